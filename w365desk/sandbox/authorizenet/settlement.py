"""Batch settlement: unsettled transactions close into a batch after a delay or on demand.

Charges become ``settledSuccessfully`` and refunds ``refundSettledSuccessfully``;
voided and declined transactions join the batch with their status unchanged, as in
the real reporting API. Only then can a charge be refunded, and no longer voided.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from w365desk.sandbox.authorizenet.records import (
    CAPTURED,
    REFUND_PENDING,
    REFUND_SETTLED,
    SETTLED,
    Batch,
    Transaction,
)
from w365desk.sandbox.authorizenet.state import SandboxState

_SETTLED_STATUS = {CAPTURED: SETTLED, REFUND_PENDING: REFUND_SETTLED}


def settle_due(state: SandboxState, now: datetime, delay: timedelta) -> bool:
    """Settle what has waited ``delay``; True when anything changed.

    Unsettled transactions are kept oldest first, so the due ones are a prefix and the
    scan stops at the first that is not due (were the clock ever set back, a few would
    settle on a later request rather than this one).
    """
    due: list[Transaction] = []
    for transaction in state.iter_unsettled():
        if transaction.submitted_at + delay > now:
            break
        due.append(transaction)
    return _settle(state, due, now)


def settle_all(state: SandboxState, now: datetime) -> bool:
    return _settle(state, state.unsettled(), now)


def _settle(state: SandboxState, transactions: list[Transaction], now: datetime) -> bool:
    if not transactions:
        return False
    batch = Batch(id=state.new_id("batch"), settled_at=now)
    state.batches[batch.id] = batch
    for transaction in transactions:
        transaction.batch_id = batch.id
        transaction.settled_at = now
        transaction.status = _SETTLED_STATUS.get(transaction.status, transaction.status)
        state.settled(transaction)
    return True

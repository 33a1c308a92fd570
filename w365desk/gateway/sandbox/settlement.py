"""Batch settlement: unsettled transactions close into a batch after a delay or on demand.

Charges become ``settledSuccessfully`` and refunds ``refundSettledSuccessfully``;
voided and declined transactions join the batch with their status unchanged, as in
the real reporting API. Only then can a charge be refunded, and no longer voided.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from w365desk.gateway.sandbox.records import (
    CAPTURED,
    REFUND_PENDING,
    REFUND_SETTLED,
    SETTLED,
    Batch,
    Transaction,
)
from w365desk.gateway.sandbox.state import SandboxState

_SETTLED_STATUS = {CAPTURED: SETTLED, REFUND_PENDING: REFUND_SETTLED}


def unsettled(state: SandboxState) -> list[Transaction]:
    return [t for t in state.transactions.values() if t.batch_id is None]


def settle_due(state: SandboxState, now: datetime, delay: timedelta) -> bool:
    """Settle what has waited ``delay``; True when anything changed."""
    due = [t for t in unsettled(state) if t.submitted_at + delay <= now]
    return _settle(state, due, now)


def settle_all(state: SandboxState, now: datetime) -> bool:
    return _settle(state, unsettled(state), now)


def _settle(state: SandboxState, transactions: list[Transaction], now: datetime) -> bool:
    if not transactions:
        return False
    batch = Batch(id=state.new_id("batch"), settled_at=now)
    state.batches[batch.id] = batch
    for transaction in transactions:
        transaction.batch_id = batch.id
        transaction.settled_at = now
        transaction.status = _SETTLED_STATUS.get(transaction.status, transaction.status)
    return True

"""One-time Accept nonces: issued for a card or bank account, redeemed once, dead after 15 minutes.

Pending nonces hold the payment data in memory only; they die with the process, which
is acceptable for something that lives fifteen minutes. Lookups go by a SHA-256 of the
nonce so the vault never keys anything by a usable token.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from w365desk.clock import Clock
from w365desk.gateway.sandbox.errors import ApiError
from w365desk.gateway.sandbox.payments import NonceBank, NonceCard

NONCE_LIFETIME = timedelta(minutes=15)
# Expired nonces are remembered a while longer so a late use reads "expired", not "invalid".
FORGET_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class _Pending:
    payment: NonceCard | NonceBank
    issued_at: datetime


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class NonceVault:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: dict[str, _Pending] = {}

    def issue(self, payment: NonceCard | NonceBank) -> str:
        value = base64.b64encode(secrets.token_bytes(96)).decode("ascii")
        now = self._clock.now()
        with self._lock:
            self._forget_old(now)
            self._pending[_digest(value)] = _Pending(payment=payment, issued_at=now)
        return value

    def redeem(self, data_value: str) -> NonceCard | NonceBank:
        """Use a nonce: E00114 when unknown or already used, E00115 when expired."""
        now = self._clock.now()
        with self._lock:
            pending = self._pending.pop(_digest(data_value), None)
        if pending is None:
            raise ApiError("E00114")
        if now - pending.issued_at >= NONCE_LIFETIME:
            raise ApiError("E00115")
        return pending.payment

    def _forget_old(self, now: datetime) -> None:
        stale = [key for key, item in self._pending.items() if now - item.issued_at > FORGET_AFTER]
        for key in stale:
            del self._pending[key]

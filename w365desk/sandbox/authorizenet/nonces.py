"""One-time Accept nonces: issued for a card or bank account, redeemed once, dead after 15 minutes.

Pending nonces hold the payment data in memory only, and only while they can still be
used: at expiry the payment is dropped and just a digest of the nonce and its issue
time remain (so a late use still reads "expired", not "invalid"), and redeeming one
hands the payment over and forgets it. Lookups go by a SHA-256 of the nonce so the
vault never keys anything by a usable token.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from w365desk.sandbox.authorizenet.clock import Now
from w365desk.sandbox.authorizenet.errors import ApiError
from w365desk.sandbox.authorizenet.payments import NonceBank, NonceCard

NONCE_LIFETIME = timedelta(minutes=15)
# Expired nonces are remembered (as digests) a while longer so a late use reads "expired".
FORGET_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class _Pending:
    payment: NonceCard | NonceBank
    issued_at: datetime


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class NonceVault:
    def __init__(self, clock: Now) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        # Both oldest first (nonces are issued in clock order), so purging looks at the
        # front only and costs nothing while nothing is due.
        self._pending: dict[str, _Pending] = {}
        self._expired: dict[str, datetime] = {}

    def issue(self, payment: NonceCard | NonceBank) -> str:
        value = base64.b64encode(secrets.token_bytes(96)).decode("ascii")
        now = self._clock()
        with self._lock:
            self._purge(now)
            self._pending[_digest(value)] = _Pending(payment=payment, issued_at=now)
        return value

    def redeem(self, data_value: str) -> NonceCard | NonceBank:
        """Use a nonce: E00114 when unknown or already used, E00115 when expired."""
        now = self._clock()
        digest = _digest(data_value)
        with self._lock:
            self._purge(now)
            pending = self._pending.pop(digest, None)
            if pending is not None and now - pending.issued_at >= NONCE_LIFETIME:
                self._expired[digest] = pending.issued_at  # out of order: the clock went back
                pending = None
            expired = digest in self._expired
        if pending is not None:
            return pending.payment
        raise ApiError("E00115" if expired else "E00114")

    def purge(self) -> None:
        """Drop the payment data of nonces that have expired (called often, and cheap)."""
        now = self._clock()
        with self._lock:
            self._purge(now)

    def clear(self) -> None:
        """Forget every nonce, pending or expired (a sandbox reset)."""
        with self._lock:
            self._pending.clear()
            self._expired.clear()

    def holds_payment_data(self) -> int:
        """How many nonces still hold payment data (for tests and diagnostics)."""
        with self._lock:
            return len(self._pending)

    def _purge(self, now: datetime) -> None:
        while self._pending:
            digest, oldest = next(iter(self._pending.items()))
            if now - oldest.issued_at < NONCE_LIFETIME:
                break
            del self._pending[digest]
            self._expired[digest] = oldest.issued_at
        while self._expired:
            digest, issued_at = next(iter(self._expired.items()))
            if now - issued_at <= FORGET_AFTER:
                break
            del self._expired[digest]

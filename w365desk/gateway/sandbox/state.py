"""The sandbox's memory and its JSON file: profiles, transactions, batches, ledger, id counters.

The file is rewritten atomically (temporary file, fsync, ``os.replace``) under the
caller's lock, so a crash leaves either the old or the new state, never half of one.
It holds a per-sandbox random secret used to fingerprint card and account numbers;
the numbers themselves are never written.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import types
import typing
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from w365desk.gateway.sandbox.records import (
    Batch,
    CustomerProfile,
    LedgerEntry,
    PaymentProfile,
    Transaction,
)

STATE_FILE_NAME = "sandbox-state.json"
STATE_VERSION = 1

# First ids handed out: shaped like the real service's ids so they fit the same columns.
FIRST_IDS: dict[str, int] = {
    "customer": 1500000001,
    "payment": 1800000001,
    "transaction": 40000000001,
    "batch": 9000001,
}


class StateFileError(Exception):
    """The state file exists but cannot be read; it is left untouched for a human to inspect."""


@dataclass
class SandboxState:
    secret: str = field(default_factory=lambda: secrets.token_hex(32))
    next_ids: dict[str, int] = field(default_factory=lambda: dict(FIRST_IDS))
    customers: dict[str, CustomerProfile] = field(default_factory=dict)
    payment_profiles: dict[str, PaymentProfile] = field(default_factory=dict)
    transactions: dict[str, Transaction] = field(default_factory=dict)
    batches: dict[str, Batch] = field(default_factory=dict)
    ledger: list[LedgerEntry] = field(default_factory=list)

    def new_id(self, kind: str) -> str:
        value = self.next_ids[kind]
        self.next_ids[kind] = value + 1
        return str(value)

    def fingerprint(self, kind: str, number: str) -> str:
        """Keyed hash of a card or account number: equal numbers match, nothing can be read back."""
        message = f"{kind}:{number}".encode()
        return hmac.new(bytes.fromhex(self.secret), message, hashlib.sha256).hexdigest()


# --- JSON codec --------------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _encode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_encode(item) for item in value]
    return value


def _decode(kind: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        return _decode(options[0], value)
    if origin is typing.Literal:
        return value
    if origin is list:
        (item_kind,) = typing.get_args(kind)
        return [_decode(item_kind, item) for item in value]
    if origin is dict:
        _, item_kind = typing.get_args(kind)
        return {key: _decode(item_kind, item) for key, item in value.items()}
    if dataclasses.is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        known = {f.name for f in dataclasses.fields(kind)}
        return kind(**{k: _decode(hints[k], v) for k, v in value.items() if k in known})
    if kind is Decimal:
        return Decimal(value)
    if kind is datetime:
        return datetime.fromisoformat(value)
    return value


def state_to_json(state: SandboxState) -> str:
    document = {"version": STATE_VERSION, **_encode(state)}
    return json.dumps(document, indent=1, sort_keys=False)


def state_from_json(text: str) -> SandboxState:
    document = json.loads(text)
    if document.get("version") != STATE_VERSION:
        raise ValueError(f"unsupported state version {document.get('version')!r}")
    document.pop("version")
    decoded: SandboxState = _decode(SandboxState, document)
    for kind, first in FIRST_IDS.items():
        decoded.next_ids.setdefault(kind, first)
    return decoded


class StateStore:
    """Loads and atomically saves one sandbox's state file."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / STATE_FILE_NAME

    def load(self) -> SandboxState:
        if not self.path.exists():
            return SandboxState()
        try:
            return state_from_json(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as error:
            raise StateFileError(
                f"cannot read the sandbox state file {self.path}: {error}. "
                "Move it away to start with an empty sandbox."
            ) from None

    def save(self, state: SandboxState) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = state_to_json(state)
        handle, temporary = tempfile.mkstemp(
            prefix=".sandbox-state-", suffix=".tmp", dir=self.path.parent
        )
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(payload)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

"""The sandbox's memory and how it is kept on disk: a snapshot plus a journal of changes.

In the data folder, ``sandbox-state.json`` is a full snapshot (replaced atomically)
carrying a generation number, and ``sandbox-journal.jsonl`` holds the changes made
since that snapshot, one synced line per request that changed anything: the records
the request reached (their new values, or null once removed), the new ledger entries
and the id counters. A change therefore costs the same however large the sandbox
grows. On start, on stop and every ``COMPACT_AFTER`` changes the snapshot is rewritten
under the next generation and the journal restarted; a journal of an older generation
(a crash between those two steps) is already inside the snapshot and is ignored.

Nothing on disk can give a card or account number back. Only Authorize.Net's public
test cards are accepted, so a card's fingerprint is a plain SHA-256 of that public
number. A bank account's fingerprint is an HMAC under a key held in this process's
memory only: duplicate detection of bank accounts does not survive a restart, which
is the price of a state file that holds nothing secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from w365desk.sandbox.authorizenet.cards import TEST_CARDS
from w365desk.sandbox.authorizenet.codec import decode, encode
from w365desk.sandbox.authorizenet.journal import (
    JournalError,
    JournalWriter,
    read_journal,
    write_atomically,
)
from w365desk.sandbox.authorizenet.records import (
    Batch,
    CustomerProfile,
    LedgerEntry,
    PaymentProfile,
    StoredPayment,
    Transaction,
)
from w365desk.sandbox.authorizenet.tables import Table

STATE_FILE_NAME = "sandbox-state.json"
JOURNAL_FILE_NAME = "sandbox-journal.jsonl"
STATE_VERSION = 2
# Version 1 kept an HMAC key beside the fingerprints it made: read, migrated, never written.
OLD_STATE_VERSION = 1
COMPACT_AFTER = 1000

# First ids handed out: shaped like the real service's ids so they fit the same columns.
FIRST_IDS: dict[str, int] = {
    "customer": 1500000001,
    "payment": 1800000001,
    "transaction": 40000000001,
    "batch": 9000001,
}

# The record tables, by their name in the files.
RECORD_TYPES: dict[str, type] = {
    "customers": CustomerProfile,
    "payment_profiles": PaymentProfile,
    "transactions": Transaction,
    "batches": Batch,
}


class StateFileError(Exception):
    """The state file exists but cannot be read; it is left untouched for a human to inspect."""


def public_card_fingerprint(number: str) -> str:
    """Fingerprint of a (public) test card: equal cards match, and no key is needed or kept."""
    return hashlib.sha256(f"card:{number}".encode()).hexdigest()


def new_bank_key() -> bytes:
    return secrets.token_bytes(32)


@dataclass
class Changes:
    """What one request changed: keys reached per table, ledger growth, id counters."""

    reached: dict[str, set[str]]
    ledger_from: int
    ledger_added: list[LedgerEntry]
    ids_changed: bool

    @property
    def empty(self) -> bool:
        return not (any(self.reached.values()) or self.ledger_added or self.ids_changed)


@dataclass
class SandboxState:
    next_ids: dict[str, int] = field(default_factory=lambda: dict(FIRST_IDS))
    customers: Table[CustomerProfile] = field(default_factory=Table)
    payment_profiles: Table[PaymentProfile] = field(default_factory=Table)
    transactions: Table[Transaction] = field(default_factory=Table)
    batches: Table[Batch] = field(default_factory=Table)
    ledger: list[LedgerEntry] = field(default_factory=list)
    # Memory only: never written, so the fingerprints it makes cannot be reversed from disk.
    bank_key: bytes = field(default_factory=new_bank_key, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in RECORD_TYPES:
            table = getattr(self, name)
            if not isinstance(table, Table):
                setattr(self, name, Table(table))
        self._unsettled: dict[str, Transaction] = {}
        self._by_duplicate_key: dict[str, list[Transaction]] = {}
        self.reindex()

    def reindex(self) -> None:
        """Rebuild what is derived from the records (after loading or replaying them)."""
        # Unsettled transactions in the order they were made, so settlement scans only them.
        self._unsettled = {t.id: t for t in self.transactions.values() if t.batch_id is None}
        # Transactions by what makes them duplicates, so the duplicate check looks at few.
        self._by_duplicate_key = {}
        for transaction in self.transactions.values():
            self._index_duplicate_key(transaction)
        self._ledger_mark = len(self.ledger)
        self._ids_before = dict(self.next_ids)

    def new_id(self, kind: str) -> str:
        value = self.next_ids[kind]
        self.next_ids[kind] = value + 1
        return str(value)

    def bank_fingerprint(self, routing_number: str, account_number: str) -> str:
        message = f"bank:{routing_number}:{account_number}".encode()
        return hmac.new(self.bank_key, message, hashlib.sha256).hexdigest()

    # --- transactions and settlement -----------------------------------------------------------

    def add_transaction(self, transaction: Transaction) -> None:
        self.transactions[transaction.id] = transaction
        if transaction.batch_id is None:
            self._unsettled[transaction.id] = transaction
        self._index_duplicate_key(transaction)

    def _index_duplicate_key(self, transaction: Transaction) -> None:
        if transaction.duplicate_key:
            self._by_duplicate_key.setdefault(transaction.duplicate_key, []).append(transaction)

    def with_duplicate_key(self, duplicate_key: str) -> list[Transaction]:
        """Transactions made with this duplicate key, oldest first."""
        return self._by_duplicate_key.get(duplicate_key, [])

    def unsettled(self) -> list[Transaction]:
        """Transactions not yet in a batch, oldest first."""
        return list(self._unsettled.values())

    def iter_unsettled(self) -> Iterator[Transaction]:
        """The same without copying them: do not settle while iterating."""
        return iter(self._unsettled.values())

    def settled(self, transaction: Transaction) -> None:
        """Note that ``transaction`` joined a batch (reached by iteration, so say so)."""
        self._unsettled.pop(transaction.id, None)
        self.transactions.touch(transaction.id)

    # --- change tracking -----------------------------------------------------------------------

    def start_changes(self) -> None:
        for name in RECORD_TYPES:
            getattr(self, name).start_tracking()
        self._ledger_mark = len(self.ledger)
        self._ids_before = dict(self.next_ids)

    def take_changes(self) -> Changes:
        reached = {name: getattr(self, name).stop_tracking() for name in RECORD_TYPES}
        mark = self._ledger_mark
        changes = Changes(reached, mark, self.ledger[mark:], self.next_ids != self._ids_before)
        self._ledger_mark = len(self.ledger)
        self._ids_before = dict(self.next_ids)
        return changes


# --- documents ---------------------------------------------------------------------------------


def state_to_document(state: SandboxState, generation: int = 0) -> dict[str, Any]:
    document: dict[str, Any] = {"version": STATE_VERSION, "generation": generation}
    document["next_ids"] = dict(state.next_ids)
    for name in RECORD_TYPES:
        document[name] = encode(dict(getattr(state, name)))
    document["ledger"] = encode(state.ledger)
    return document


def state_to_json(state: SandboxState, generation: int = 0) -> str:
    return json.dumps(state_to_document(state, generation), indent=1)


def state_from_json(text: str, bank_key: bytes | None = None) -> tuple[SandboxState, int]:
    """The state in a snapshot and the snapshot's generation."""
    document = json.loads(text)
    if not isinstance(document, dict):
        raise ValueError("the state file does not hold a JSON object")
    version = document.get("version")
    if version not in (STATE_VERSION, OLD_STATE_VERSION):
        raise ValueError(f"unsupported state version {version!r}")
    old_secret = document.get("secret") if version == OLD_STATE_VERSION else None
    generation = document.get("generation", 0)
    if not isinstance(generation, int):
        raise ValueError("the generation is not a whole number")
    next_ids = dict(FIRST_IDS)
    next_ids.update(decode(dict[str, int], document.get("next_ids") or {}))
    tables: dict[str, Any] = {
        name: {key: decode(kind, value) for key, value in (document.get(name) or {}).items()}
        for name, kind in RECORD_TYPES.items()
    }
    state = SandboxState(
        next_ids=next_ids,
        ledger=decode(list[LedgerEntry], document.get("ledger") or []),
        bank_key=bank_key or new_bank_key(),
        **tables,
    )
    if isinstance(old_secret, str):
        _forget_version_1_key(state, bytes.fromhex(old_secret))
    return state, generation


def _forget_version_1_key(state: SandboxState, key: bytes) -> None:
    """Re-fingerprint version 1's test cards without its key; other cards stay unmatchable.

    Version 1 fingerprinted every card under a key stored in the same file. Test cards
    get their public fingerprint back (so their duplicate checks carry on); anything
    else keeps a fingerprint whose key is about to be dropped with the old file.
    """
    by_old_fingerprint = {
        hmac.new(key, f"card:{number}".encode(), hashlib.sha256).hexdigest(): number
        for number in TEST_CARDS
    }
    payments: list[StoredPayment] = [p.payment for p in state.payment_profiles.values()]
    payments += [t.payment for t in state.transactions.values()]
    for payment in payments:
        number = by_old_fingerprint.get(payment.fingerprint) if payment.kind == "card" else None
        if number is not None:
            payment.fingerprint = public_card_fingerprint(number)


def changes_to_entry(state: SandboxState, changes: Changes) -> dict[str, Any]:
    """One journal line: the reached records' values now (None once removed)."""
    entry: dict[str, Any] = {}
    if changes.ids_changed:
        entry["next_ids"] = dict(state.next_ids)
    for name, keys in changes.reached.items():
        if keys:
            table: Table[Any] = getattr(state, name)
            entry[name] = {key: encode(table.peek(key)) for key in sorted(keys)}
    if changes.ledger_added:
        entry["ledger_from"] = changes.ledger_from
        entry["ledger"] = encode(changes.ledger_added)
    return entry


def apply_entry(state: SandboxState, entry: dict[str, Any]) -> None:
    if "next_ids" in entry:
        state.next_ids.update(decode(dict[str, int], entry["next_ids"]))
    for name, kind in RECORD_TYPES.items():
        table: Table[Any] = getattr(state, name)
        for key, value in (entry.get(name) or {}).items():
            if value is None:
                dict.pop(table, key, None)
            else:
                dict.__setitem__(table, key, decode(kind, value))
    if "ledger" in entry:
        del state.ledger[int(entry["ledger_from"]) :]
        state.ledger.extend(decode(list[LedgerEntry], entry["ledger"]))


# --- the files ---------------------------------------------------------------------------------


class StateStore:
    """Loads one sandbox's state, journals its changes and compacts them into the snapshot."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / STATE_FILE_NAME
        self.journal_path = Path(data_dir) / JOURNAL_FILE_NAME
        # One key for this process's lifetime, so a reload after a failed request still
        # matches the bank accounts seen before it.
        self.bank_key = new_bank_key()
        self._generation = 0
        self._journal: JournalWriter | None = None

    def load(self) -> SandboxState:
        """The snapshot with its journal applied (or an empty sandbox when there is none)."""
        state, generation = self._load_snapshot()
        try:
            journal = read_journal(self.journal_path)
        except (OSError, JournalError) as error:
            raise self._unreadable(self.journal_path, error) from None
        if journal is not None and journal.generation > generation:
            raise self._unreadable(
                self.journal_path, ValueError("it is newer than the state file beside it")
            )
        if journal is not None and journal.generation == generation:
            try:
                for entry in journal.entries:
                    apply_entry(state, entry)
            except (ValueError, TypeError, KeyError, AttributeError) as error:
                raise self._unreadable(self.journal_path, error) from None
            state.reindex()
        self._generation = generation
        return state

    def _load_snapshot(self) -> tuple[SandboxState, int]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return SandboxState(bank_key=self.bank_key), 0
        except OSError as error:
            raise self._unreadable(self.path, error) from None
        try:
            return state_from_json(text, self.bank_key)
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise self._unreadable(self.path, error) from None

    @staticmethod
    def _unreadable(path: Path, error: Exception) -> StateFileError:
        return StateFileError(
            f"cannot read the sandbox state file {path}: {error}. "
            "Move it away to start with an empty sandbox."
        )

    def save(self, state: SandboxState) -> None:
        """Write the whole state as the next generation's snapshot and restart the journal."""
        generation = self._generation + 1
        write_atomically(self.path, state_to_json(state, generation).encode("utf-8"))
        self._generation = generation
        self.close()
        self._journal = JournalWriter.start(self.journal_path, generation)

    def record(self, state: SandboxState, changes: Changes) -> None:
        """Make one request's changes durable before it is answered."""
        if changes.empty:
            return
        journal = self._journal
        if journal is None or journal.damaged or journal.entries >= COMPACT_AFTER:
            self.save(state)
            return
        journal.append(changes_to_entry(state, changes))

    def close(self) -> None:
        journal, self._journal = self._journal, None
        if journal is not None:
            journal.close()

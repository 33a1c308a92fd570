"""The sandbox state on disk: snapshot round trip, the journal (replay, torn tail, stale
generation), compaction, migration of version 1 files, and that nothing secret is written."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from w365desk.sandbox.authorizenet.journal import HEADER_KIND
from w365desk.sandbox.authorizenet.records import (
    Address,
    Batch,
    CustomerProfile,
    LedgerEntry,
    PaymentProfile,
    StoredPayment,
    Transaction,
)
from w365desk.sandbox.authorizenet.state import (
    COMPACT_AFTER,
    FIRST_IDS,
    JOURNAL_FILE_NAME,
    STATE_FILE_NAME,
    SandboxState,
    StateFileError,
    StateStore,
    public_card_fingerprint,
    state_to_json,
)

MOMENT = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
VISA = "4111111111111111"


def card_payment() -> StoredPayment:
    return StoredPayment(
        kind="card",
        fingerprint=public_card_fingerprint(VISA),
        last4="1111",
        brand="Visa",
        expiry="2030-12",
    )


def charge(state: SandboxState, amount: str, payment: StoredPayment | None = None) -> Transaction:
    transaction = Transaction(
        id=state.new_id("transaction"),
        type="authCaptureTransaction",
        status="capturedPendingSettlement",
        response_code=1,
        reason_code=1,
        amount=Decimal(amount),
        submitted_at=MOMENT,
        payment=payment or card_payment(),
    )
    state.add_transaction(transaction)
    state.ledger.append(
        LedgerEntry(
            kind="charge",
            transaction_id=transaction.id,
            amount=Decimal(amount),
            ref_id=None,
            invoice_number="INV-1",
            customer_profile_id=None,
            payment_profile_id=None,
            response_code="1",
            at=MOMENT,
        )
    )
    return transaction


def populated() -> SandboxState:
    state = SandboxState()
    customer = CustomerProfile(id=state.new_id("customer"), created_at=MOMENT, email="a@b.c")
    profile = PaymentProfile(
        id=state.new_id("payment"),
        customer_profile_id=customer.id,
        payment=card_payment(),
        created_at=MOMENT,
        bill_to=Address(first_name="Jane", zip="98004"),
    )
    customer.payment_profile_ids.append(profile.id)
    customer.default_payment_profile_id = profile.id
    state.customers[customer.id] = customer
    state.payment_profiles[profile.id] = profile
    charge(state, "12.50")
    return state


def same(left: SandboxState, right: SandboxState) -> bool:
    return state_to_json(left) == state_to_json(right)


# --- snapshot ------------------------------------------------------------------------------------


def test_state_round_trips_through_the_file(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    original = populated()
    store.save(original)
    loaded = StateStore(tmp_path).load()
    assert loaded == original
    assert loaded.transactions["40000000001"].amount == Decimal("12.50")
    assert loaded.transactions["40000000001"].submitted_at == MOMENT
    assert loaded.next_ids["transaction"] == FIRST_IDS["transaction"] + 1
    assert [t.id for t in loaded.unsettled()] == ["40000000001"]
    store.close()


def test_the_files_hold_no_card_number_and_no_key(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    state = populated()
    bank = StoredPayment(
        kind="bank",
        fingerprint=state.bank_fingerprint("121042882", "123456789"),
        last4="6789",
        brand="eCheck",
        routing_last4="2882",
    )
    store.save(state)
    state.start_changes()
    charge(state, "3.00", bank)
    store.record(state, state.take_changes())
    store.close()
    written = b"".join(path.read_bytes() for path in tmp_path.iterdir())
    assert VISA.encode() not in written
    assert b"123456789" not in written
    assert state.bank_key.hex().encode() not in written
    assert b"secret" not in written


def test_bank_fingerprints_depend_on_a_key_that_is_not_kept(tmp_path: Path) -> None:
    """Equal accounts match within one run; a new run (a new key) cannot recompute them."""
    store = StateStore(tmp_path)
    state = store.load()
    first = state.bank_fingerprint("121042882", "123456789")
    assert state.bank_fingerprint("121042882", "123456789") == first
    assert state.bank_fingerprint("121042882", "123456780") != first
    assert store.load().bank_fingerprint("121042882", "123456789") == first  # same process
    assert StateStore(tmp_path).load().bank_fingerprint("121042882", "123456789") != first


def test_test_card_fingerprints_are_public_and_stable() -> None:
    assert public_card_fingerprint(VISA) == public_card_fingerprint(VISA)
    assert public_card_fingerprint(VISA) != public_card_fingerprint("5424000000000015")
    assert VISA not in public_card_fingerprint(VISA)


def test_saving_leaves_no_temporary_files(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    for _ in range(3):
        store.save(populated())
    store.close()
    assert sorted(path.name for path in tmp_path.iterdir()) == [JOURNAL_FILE_NAME, STATE_FILE_NAME]


def test_a_failed_write_keeps_the_previous_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = StateStore(tmp_path)
    store.save(populated())
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}

    def refuse(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("w365desk.sandbox.authorizenet.journal.os.replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        store.save(SandboxState())
    store.close()
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == before


def test_a_missing_file_is_an_empty_sandbox(tmp_path: Path) -> None:
    state = StateStore(tmp_path / "new").load()
    assert state.customers == {} and state.ledger == [] and state.next_ids == FIRST_IDS


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[]",
        json.dumps({"version": 99}),
        json.dumps({"version": 2, "customers": 5}),
        json.dumps({"version": 2, "generation": "one"}),
    ],
)
def test_an_unreadable_file_is_refused_with_its_path(tmp_path: Path, content: str) -> None:
    (tmp_path / STATE_FILE_NAME).write_text(content, encoding="utf-8")
    with pytest.raises(StateFileError) as raised:
        StateStore(tmp_path).load()
    assert str(tmp_path / STATE_FILE_NAME) in str(raised.value)
    assert "Move it away" in str(raised.value)


# --- the journal ---------------------------------------------------------------------------------


def journaled(tmp_path: Path) -> tuple[StateStore, SandboxState]:
    """A store that has saved ``populated()`` and journaled three more changes."""
    store = StateStore(tmp_path)
    state = populated()
    store.save(state)
    state.start_changes()
    first = charge(state, "1.00")
    store.record(state, state.take_changes())
    state.start_changes()
    state.transactions.get(first.id).status = "voided"  # type: ignore[union-attr]
    store.record(state, state.take_changes())
    state.start_changes()
    customer_id = next(iter(dict(state.customers)))
    profile_id = state.customers[customer_id].payment_profile_ids.pop()
    del state.payment_profiles[profile_id]
    store.record(state, state.take_changes())
    return store, state


def test_changes_are_journaled_and_replayed_on_load(tmp_path: Path) -> None:
    store, state = journaled(tmp_path)
    journal = (tmp_path / JOURNAL_FILE_NAME).read_text(encoding="utf-8").splitlines()
    assert len(journal) == 4  # the header and one line per change
    assert json.loads(journal[0]) == {"kind": HEADER_KIND, "generation": 1}
    loaded = StateStore(tmp_path).load()
    assert same(loaded, state)
    assert loaded.transactions["40000000002"].status == "voided"
    assert loaded.payment_profiles == {}
    assert [t.id for t in loaded.unsettled()] == ["40000000001", "40000000002"]
    store.close()


def test_a_request_that_only_reads_writes_nothing(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    state = populated()
    store.save(state)
    before = (tmp_path / JOURNAL_FILE_NAME).read_bytes()
    state.start_changes()
    changes = state.take_changes()
    store.record(state, changes)
    store.close()
    assert changes.empty
    assert (tmp_path / JOURNAL_FILE_NAME).read_bytes() == before


def test_a_line_cut_short_by_a_crash_is_ignored(tmp_path: Path) -> None:
    store, state = journaled(tmp_path)
    store.close()
    with (tmp_path / JOURNAL_FILE_NAME).open("ab") as journal:
        journal.write(b'{"transactions":{"40000000009":{"id":"4000')
    assert same(StateStore(tmp_path).load(), state)
    with (tmp_path / JOURNAL_FILE_NAME).open("ab") as journal:
        journal.write(b"\n")  # a damaged last line, complete but unreadable: also never synced
    assert same(StateStore(tmp_path).load(), state)


def test_a_damaged_line_before_good_ones_is_refused(tmp_path: Path) -> None:
    store, _ = journaled(tmp_path)
    store.close()
    path = tmp_path / JOURNAL_FILE_NAME
    lines = path.read_bytes().split(b"\n")
    lines[1] = b"{damaged"
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(StateFileError, match="line 2 is damaged") as raised:
        StateStore(tmp_path).load()
    assert str(path) in str(raised.value)


def test_a_journal_already_folded_into_the_snapshot_is_ignored(tmp_path: Path) -> None:
    """A crash after the new snapshot was written but before the journal was restarted."""
    store, state = journaled(tmp_path)
    store.close()
    old_journal = (tmp_path / JOURNAL_FILE_NAME).read_bytes()
    compacting = StateStore(tmp_path)
    compacting.save(compacting.load())
    compacting.close()
    (tmp_path / JOURNAL_FILE_NAME).write_bytes(old_journal)  # generation 1 beside snapshot 2
    loaded = StateStore(tmp_path).load()
    assert same(loaded, state)
    assert len(loaded.ledger) == 2  # not applied twice


def test_a_journal_without_its_snapshot_is_refused(tmp_path: Path) -> None:
    store, _ = journaled(tmp_path)
    store.close()
    (tmp_path / STATE_FILE_NAME).unlink()
    with pytest.raises(StateFileError, match="newer than the state file"):
        StateStore(tmp_path).load()


def test_the_journal_is_compacted_into_the_snapshot_after_many_changes(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    state = SandboxState()
    store.save(state)
    for number in range(COMPACT_AFTER + 1):
        state.start_changes()
        charge(state, f"{number + 1}.00")
        store.record(state, state.take_changes())
    store.close()
    lines = (tmp_path / JOURNAL_FILE_NAME).read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["generation"] == 2
    assert len(lines) == 1  # the last change went into the new snapshot
    assert same(StateStore(tmp_path).load(), state)


def test_a_failed_append_is_cut_back_and_the_next_change_still_lands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = StateStore(tmp_path)
    state = populated()
    store.save(state)
    before = (tmp_path / JOURNAL_FILE_NAME).read_bytes()
    real_fsync = os.fsync
    calls = {"n": 0}

    def failing_first_fsync(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("I/O error")
        real_fsync(fd)

    monkeypatch.setattr("w365desk.sandbox.authorizenet.journal.os.fsync", failing_first_fsync)
    state.start_changes()
    charge(state, "5.00")
    with pytest.raises(OSError, match="I/O error"):
        store.record(state, state.take_changes())
    assert (tmp_path / JOURNAL_FILE_NAME).read_bytes() == before
    state = store.load()  # what the engine does: roll back to what is on disk
    state.start_changes()
    charge(state, "6.00")
    store.record(state, state.take_changes())
    store.close()
    loaded = StateStore(tmp_path).load()
    assert [entry.amount for entry in loaded.ledger] == [Decimal("12.50"), Decimal("6.00")]


# --- version 1 files -----------------------------------------------------------------------------


def test_a_version_1_file_loses_its_key_and_keeps_test_card_duplicates(tmp_path: Path) -> None:
    key = secrets.token_hex(32)

    def old_fingerprint(number: str) -> str:
        return hmac.new(bytes.fromhex(key), f"card:{number}".encode(), hashlib.sha256).hexdigest()

    document = json.loads(state_to_json(populated()))
    document["version"] = 1
    document["secret"] = key
    del document["generation"]
    profile = next(iter(document["payment_profiles"].values()))
    profile["payment"]["fingerprint"] = old_fingerprint(VISA)
    transaction = next(iter(document["transactions"].values()))
    transaction["payment"]["fingerprint"] = old_fingerprint("4000056655665556")  # not a test card
    (tmp_path / STATE_FILE_NAME).write_text(json.dumps(document), encoding="utf-8")

    store = StateStore(tmp_path)
    state = store.load()
    store.save(state)
    store.close()
    rewritten = (tmp_path / STATE_FILE_NAME).read_text(encoding="utf-8")
    assert key not in rewritten and '"secret"' not in rewritten
    assert json.loads(rewritten)["version"] == 2
    loaded = StateStore(tmp_path).load()
    assert next(iter(dict(loaded.payment_profiles).values())).payment.fingerprint == (
        public_card_fingerprint(VISA)
    )
    kept = next(iter(dict(loaded.transactions).values())).payment.fingerprint
    assert kept == old_fingerprint("4000056655665556")  # its key is gone: it matches nothing


# --- what a request reached ----------------------------------------------------------------------


def test_records_reached_by_key_are_noted_and_iteration_is_not() -> None:
    state = populated()
    state.start_changes()
    customer_id = next(iter(dict(state.customers)))
    assert state.customers.get(customer_id) is not None
    _ = list(state.transactions.values())
    state.batches["9000001"] = Batch(id="9000001", settled_at=MOMENT)
    changes = state.take_changes()
    assert changes.reached == {
        "customers": {customer_id},
        "payment_profiles": set(),
        "transactions": set(),
        "batches": {"9000001"},
    }
    assert not changes.ids_changed and changes.ledger_added == []
    # Outside tracking nothing is noted.
    state.customers.get(customer_id)
    state.start_changes()
    assert state.take_changes().empty


def test_a_change_writes_the_same_however_large_the_sandbox_is(tmp_path: Path) -> None:
    """The cost that made charges slow down as history grew: each write was the whole file."""
    store = StateStore(tmp_path)
    state = SandboxState()
    store.save(state)
    journal = tmp_path / JOURNAL_FILE_NAME

    def next_line_length() -> int:
        before = journal.stat().st_size
        state.start_changes()
        charge(state, "9.99")
        store.record(state, state.take_changes())
        return journal.stat().st_size - before

    first = next_line_length()
    for _ in range(500):
        next_line_length()
    assert first <= next_line_length() <= first + 3  # the ledger position gained digits
    store.close()

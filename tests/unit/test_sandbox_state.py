"""The sandbox state file: round trip, atomic replacement, fingerprints, refusal of bad files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from w365desk.gateway.sandbox.records import (
    Address,
    CustomerProfile,
    LedgerEntry,
    PaymentProfile,
    StoredPayment,
    Transaction,
)
from w365desk.gateway.sandbox.state import (
    FIRST_IDS,
    STATE_FILE_NAME,
    SandboxState,
    StateFileError,
    StateStore,
)

MOMENT = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def populated() -> SandboxState:
    state = SandboxState()
    payment = StoredPayment(
        kind="card",
        fingerprint=state.fingerprint("card", "4111111111111111"),
        last4="1111",
        brand="Visa",
        expiry="2030-12",
    )
    customer = CustomerProfile(id=state.new_id("customer"), created_at=MOMENT, email="a@b.c")
    profile = PaymentProfile(
        id=state.new_id("payment"),
        customer_profile_id=customer.id,
        payment=payment,
        created_at=MOMENT,
        bill_to=Address(first_name="Jane", zip="98004"),
    )
    customer.payment_profile_ids.append(profile.id)
    customer.default_payment_profile_id = profile.id
    state.customers[customer.id] = customer
    state.payment_profiles[profile.id] = profile
    transaction = Transaction(
        id=state.new_id("transaction"),
        type="authCaptureTransaction",
        status="capturedPendingSettlement",
        response_code=1,
        reason_code=1,
        amount=Decimal("12.50"),
        submitted_at=MOMENT,
        payment=payment,
        customer_profile_id=customer.id,
        payment_profile_id=profile.id,
    )
    state.transactions[transaction.id] = transaction
    state.ledger.append(
        LedgerEntry(
            kind="charge",
            transaction_id=transaction.id,
            amount=Decimal("12.50"),
            ref_id=None,
            invoice_number="INV-1",
            customer_profile_id=customer.id,
            payment_profile_id=profile.id,
            response_code="1",
            at=MOMENT,
        )
    )
    return state


def test_state_round_trips_through_the_file(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    original = populated()
    store.save(original)
    loaded = store.load()
    assert loaded == original
    assert loaded.transactions["40000000001"].amount == Decimal("12.50")
    assert loaded.transactions["40000000001"].submitted_at == MOMENT
    assert loaded.next_ids["transaction"] == FIRST_IDS["transaction"] + 1


def test_fingerprints_are_keyed_per_sandbox_and_survive_a_reload(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    state = populated()
    store.save(state)
    reloaded = store.load()
    number = "4111111111111111"
    assert reloaded.fingerprint("card", number) == state.fingerprint("card", number)
    assert SandboxState().fingerprint("card", number) != state.fingerprint("card", number)
    assert state.fingerprint("card", number) != state.fingerprint("bank", number)


def test_the_file_holds_no_card_number(tmp_path: Path) -> None:
    StateStore(tmp_path).save(populated())
    assert "4111111111111111" not in (tmp_path / STATE_FILE_NAME).read_text(encoding="utf-8")


def test_saving_leaves_no_temporary_files(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    for _ in range(3):
        store.save(populated())
    assert [path.name for path in tmp_path.iterdir()] == [STATE_FILE_NAME]


def test_a_failed_write_keeps_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = StateStore(tmp_path)
    store.save(populated())
    before = (tmp_path / STATE_FILE_NAME).read_bytes()

    def refuse(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("w365desk.gateway.sandbox.state.os.replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        store.save(SandboxState())
    assert (tmp_path / STATE_FILE_NAME).read_bytes() == before
    assert [path.name for path in tmp_path.iterdir()] == [STATE_FILE_NAME]


def test_a_missing_file_is_an_empty_sandbox(tmp_path: Path) -> None:
    state = StateStore(tmp_path / "new").load()
    assert state.customers == {} and state.ledger == []
    assert len(state.secret) == 64


@pytest.mark.parametrize(
    "content",
    ["{not json", json.dumps({"version": 99}), json.dumps({"version": 1, "customers": 5})],
)
def test_an_unreadable_file_is_refused_with_its_path(tmp_path: Path, content: str) -> None:
    (tmp_path / STATE_FILE_NAME).write_text(content, encoding="utf-8")
    with pytest.raises(StateFileError) as raised:
        StateStore(tmp_path).load()
    assert str(tmp_path / STATE_FILE_NAME) in str(raised.value)
    assert "Move it away" in str(raised.value)

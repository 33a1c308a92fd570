"""The audit trail's guard against card data and secrets, its JSON shape and the OS user."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from w365desk.cards import luhn_valid
from w365desk.clock import FrozenClock
from w365desk.db.engine import make_engine, make_session_factory
from w365desk.db.migrate import upgrade
from w365desk.db.models import AccountStatus, AuditEvent
from w365desk.services import actors
from w365desk.services.actors import ACTOR_MAX_LENGTH, Actor, current_os_user
from w365desk.services.audit import (
    AuditEntry,
    contains_card_number,
    is_sensitive_key,
    record_audit,
    record_audit_many,
    serialize_details,
)
from w365desk.services.errors import SensitiveDataError

VISA = "4111111111111111"


@pytest.mark.parametrize(
    ("digits", "valid"),
    [
        (VISA, True),
        ("378282246310005", True),  # American Express, 15 digits
        ("4222222222222", True),  # old 13-digit Visa
        ("6222020000000000000", True),  # 19 digits
        ("4111111111111112", False),
        ("1234567890123", False),
    ],
)
def test_luhn(digits: str, valid: bool) -> None:
    assert luhn_valid(digits) is valid


@pytest.mark.parametrize(
    "text",
    [
        VISA,
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "paid with card 4111111111111111 yesterday",
        "4111 1111 1111 1111 12 26",  # followed by an expiry typed in the same field
        "Amex 3782 822463 10005",
        "4222222222222",
        "6222020000000000000",
        "8613800100002",  # passes Luhn; without "+" it could be a card, so it is refused
    ],
)
def test_card_numbers_are_detected(text: str) -> None:
    assert contains_card_number(text)


@pytest.mark.parametrize(
    "text",
    [
        "4111111111111112",  # fails Luhn
        "411111111111",  # 12 digits
        "ACC-000123",
        "2026-01-15T12:00:00+00:00",
        "+86 138 0010 0002",  # the same digits as an international phone number
        "+8613800100002",
        "+1 (415) 555-0132 x12",
        "1234.56",
        "31415926535897932384626",  # a long opaque identifier, not a card
    ],
)
def test_ordinary_values_are_not_mistaken_for_cards(text: str) -> None:
    assert not contains_card_number(text)


@pytest.mark.parametrize(
    "key",
    [
        "card_number",
        "CardNumber",
        "card-number",
        "CVV",
        "cvv2",
        "card_code",
        "bank_account_number",
        "accountNumber",
        "password",
        "smtp_password",
        "transactionKey",
        "transaction_key",
    ],
)
def test_sensitive_keys(key: str) -> None:
    assert is_sensitive_key(key)


@pytest.mark.parametrize("key", ["number", "name", "last4", "brand", "account_id", "changes"])
def test_ordinary_keys(key: str) -> None:
    assert not is_sensitive_key(key)


def test_details_are_compact_sorted_json_with_plain_values() -> None:
    details = {
        "z": 1,
        "amount": Decimal("12.50"),
        "status": AccountStatus.ACTIVE,
        "when": datetime(2026, 1, 15, 12, 0, tzinfo=UTC),
        "due": date(2026, 2, 1),
        "a": {"from": None, "to": "Zoë"},
    }
    text = serialize_details(details)
    assert text == (
        '{"a":{"from":null,"to":"Zoë"},"amount":"12.50","due":"2026-02-01",'
        '"status":"active","when":"2026-01-15T12:00:00+00:00","z":1}'
    )
    assert json.loads(text or "")["amount"] == "12.50"
    assert serialize_details(None) is None


@pytest.mark.parametrize(
    "details",
    [
        {"card_number": "x"},
        {"changes": {"note": {"from": None, "to": "4111 1111 1111 1111"}}},
        {"lines": ["fine", {"cvv": "123"}]},
        {"amounts": [1, 4111111111111111]},
        {VISA: "as a key"},
    ],
)
def test_card_data_anywhere_in_details_is_refused_without_echoing_it(
    details: dict[str, Any],
) -> None:
    with pytest.raises(SensitiveDataError) as raised:
        serialize_details(details)
    message = str(raised.value)
    assert "1111" not in message
    assert "123" not in message


def test_unsupported_values_are_refused() -> None:
    with pytest.raises(TypeError, match="cannot hold a object"):
        serialize_details({"thing": object()})


def _session_factory(tmp_path: Path) -> tuple[Engine, sessionmaker[Session]]:
    engine = make_engine(f"sqlite:///{(tmp_path / 'audit.sqlite3').as_posix()}")
    upgrade(engine)
    return engine, make_session_factory(engine)


def test_record_audit_writes_one_row_in_the_callers_transaction(tmp_path: Path) -> None:
    engine, factory = _session_factory(tmp_path)
    clock = FrozenClock()
    with factory.begin() as session:
        record_audit(
            session,
            clock=clock,
            actor=Actor.staff("  alice  "),
            action="account.update",
            entity_type="account",
            entity_id=42,
            details={"changes": {"name": {"from": "A", "to": "B"}}},
        )
    with factory() as session:
        event = session.scalars(select(AuditEvent)).one()
    assert (event.actor, event.action, event.entity_type, event.entity_id) == (
        "alice",
        "account.update",
        "account",
        "42",
    )
    assert event.occurred_at == clock.now()
    assert event.details == '{"changes":{"name":{"from":"A","to":"B"}}}'

    # A refusal leaves nothing behind: the caller's transaction rolls back.
    with pytest.raises(SensitiveDataError), factory.begin() as session:
        record_audit(
            session,
            clock=clock,
            actor=Actor.staff("alice"),
            action="note",
            entity_type="account",
            entity_id=42,
            details={"note": VISA},
        )
    with factory() as session:
        assert len(session.scalars(select(AuditEvent)).all()) == 1
    engine.dispose()


def test_record_audit_many_and_actor_rules(tmp_path: Path) -> None:
    engine, factory = _session_factory(tmp_path)
    clock = FrozenClock()
    with factory.begin() as session:
        count = record_audit_many(
            session,
            clock=clock,
            actor=Actor.staff("bob"),
            entries=[
                AuditEntry("account.create", "account", 1, {"line": 2}),
                AuditEntry("account.create", "account", 2, None),
            ],
        )
    assert count == 2
    with factory() as session:
        rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(r.entity_id, r.details, r.actor) for r in rows] == [
        ("1", '{"line":2}', "bob"),
        ("2", None, "bob"),
    ]
    with factory.begin() as session, pytest.raises(ValueError, match="acting user"):
        record_audit(
            session,
            clock=clock,
            actor=Actor.staff("   "),
            action="x",
            entity_type="account",
            entity_id=None,
            details=None,
        )
    engine.dispose()


@pytest.mark.parametrize("blank", ["", "   ", "\t\n", None])
def test_an_actor_needs_a_name(blank: Any) -> None:
    with pytest.raises(ValueError, match="acting user's name"):
        Actor.staff(blank)
    with pytest.raises(ValueError, match="acting user's name"):
        Actor.customer(blank)


def test_actor_names_are_trimmed_and_fit_the_column() -> None:
    assert Actor.staff("  alice \n").audit_name == "alice"
    long_name = "x" * (ACTOR_MAX_LENGTH + 5)
    assert Actor.staff(long_name).audit_name == "x" * ACTOR_MAX_LENGTH
    assert AuditEvent.__table__.c.actor.type.length == ACTOR_MAX_LENGTH


def test_a_customer_is_never_recorded_as_a_member_of_staff() -> None:
    customer = Actor.customer("dana@contoso.example via profile request 7")
    assert customer.audit_name == "customer: dana@contoso.example via profile request 7"
    assert Actor.staff("dana@contoso.example").audit_name == "dana@contoso.example"
    assert len(Actor.customer("y" * 300).audit_name) == ACTOR_MAX_LENGTH


def test_current_os_user_has_a_safe_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(actors.getpass, "getuser", lambda: "carol")
    assert current_os_user() == Actor.staff("carol")

    def no_user() -> str:
        raise OSError("no user name")

    monkeypatch.setattr(actors.getpass, "getuser", no_user)
    monkeypatch.setenv("USERNAME", "dave")
    assert current_os_user() == Actor.staff("dave")
    monkeypatch.delenv("USERNAME")
    monkeypatch.delenv("USER", raising=False)
    assert current_os_user() == Actor.staff("unknown-user")


def test_full_width_card_number_is_refused_too() -> None:
    full_width = "".join(chr(ord(c) - ord("0") + 0xFF10) for c in VISA)
    assert contains_card_number(f"note: {full_width}")

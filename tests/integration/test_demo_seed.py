"""Demo data: realistic, safe to show, deterministic, and never mixed into real data."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from w365desk.clock import FrozenClock
from w365desk.db.engine import make_engine, make_session_factory
from w365desk.db.migrate import upgrade
from w365desk.db.models import (
    Account,
    AuditEvent,
    Contact,
    Invoice,
    InvoiceStatus,
    PaymentProfile,
)
from w365desk.services.accounts import AccountEditor, AccountQueries
from w365desk.services.accounts.inputs import AccountInput, ContactInput
from w365desk.services.accounts.search import normalize_search_key
from w365desk.services.actors import Actor
from w365desk.services.demo import DemoDataRefusedError, seed_demo_data
from w365desk.services.errors import ValidationError

RESERVED_EMAIL = re.compile(r"^[a-z.]+@[a-z0-9]+\.(example\.(com|net|org)|test)$")
FICTIONAL_PHONE = re.compile(r"^\+1 \(\d{3}\) 555-01\d{2}$")


def _snapshot(session_factory: sessionmaker[Session]) -> list[tuple[Any, ...]]:
    with session_factory() as session:
        accounts = session.scalars(
            select(Account)
            .options(selectinload(Account.contacts), selectinload(Account.invoices))
            .order_by(Account.number)
        ).all()
        return [
            (
                a.number,
                a.name,
                a.primary_email,
                a.phone,
                a.address_line1,
                a.city,
                a.state,
                a.postal_code,
                tuple((c.full_name, c.email, c.role, c.is_billing) for c in a.contacts),
                tuple(
                    (i.number, i.total, i.issue_date, i.due_date, i.description) for i in a.invoices
                ),
            )
            for a in accounts
        ]


def _count(session_factory: sessionmaker[Session], model: type) -> int:
    with session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_seeds_realistic_customers_with_contacts_and_invoices(
    session_factory: sessionmaker[Session],
) -> None:
    clock = FrozenClock()
    assert seed_demo_data(session_factory, clock, actor=Actor.staff("demo-user")) == 50
    snapshot = _snapshot(session_factory)
    assert len(snapshot) == 50
    assert len({row[1] for row in snapshot}) == 50  # distinct company names

    today = clock.now().date()
    invoice_numbers: list[str] = []
    for number, _name, email, phone, street, city, state, postal, contacts, invoices in snapshot:
        assert re.fullmatch(r"ACC-\d{6}", number)
        assert RESERVED_EMAIL.match(email), email
        assert FICTIONAL_PHONE.match(phone), phone
        assert (
            street and city and re.fullmatch(r"[A-Z]{2}", state) and re.fullmatch(r"\d{5}", postal)
        )
        assert 1 <= len(contacts) <= 3
        assert [c[3] for c in contacts].count(True) == 1
        assert all(RESERVED_EMAIL.match(c[1]) for c in contacts)
        assert 1 <= len(invoices) <= 4
        for invoice_number, total, issue_date, due_date, description in invoices:
            invoice_numbers.append(invoice_number)
            assert isinstance(total, Decimal) and total == total.quantize(Decimal("0.01"))
            assert Decimal("75.00") <= total <= Decimal("4800.00")
            assert today - timedelta(days=75) <= issue_date <= today
            assert issue_date < due_date
            assert description
    assert len(invoice_numbers) == len(set(invoice_numbers))
    # Due dates straddle "now": some overdue, some still to come.
    with session_factory() as session:
        due_dates = session.scalars(select(Invoice.due_date)).all()
        statuses = set(session.scalars(select(Invoice.status)))
    assert min(due_dates) < today < max(due_dates)
    assert statuses == {InvoiceStatus.OPEN}
    assert _count(session_factory, PaymentProfile) == 0

    with session_factory() as session:
        actions = dict(
            session.execute(
                select(AuditEvent.action, func.count()).group_by(AuditEvent.action)
            ).all()
        )
        actors = set(session.scalars(select(AuditEvent.actor)))
    assert actions == {
        "demo.seed": 1,
        "account.create": 50,
        "contact.create": _count(session_factory, Contact),
        "invoice.create": len(invoice_numbers),
    }
    assert actors == {"demo-user"}

    # Demo customers are found like any others.
    queries = AccountQueries(session_factory)
    first_name = snapshot[0][1]
    assert snapshot[0][0] in [a.number for a in queries.search(first_name[:5])]


def _columns(row: Account | Contact) -> dict[str, object]:
    """A row's stored values, without what differs by nature (ids, number, times)."""
    own = {"id", "number", "account_id", "created_at", "updated_at"}
    mapper = inspect(row).mapper
    values = {a.key: getattr(row, a.key) for a in mapper.column_attrs if a.key not in own}
    if isinstance(row, Account):  # the search document holds the number too
        values["search_text"] = row.search_text.replace(row.number.casefold(), "<number>")
    return values


def _stored(session_factory: sessionmaker[Session], account_id: int) -> list[dict[str, object]]:
    with session_factory() as session:
        account = session.get(Account, account_id, options=[selectinload(Account.contacts)])
        assert account is not None
        return [_columns(account), *(_columns(contact) for contact in account.contacts)]


def test_demo_rows_hold_exactly_what_the_service_stores(
    session_factory: sessionmaker[Session],
) -> None:
    clock = FrozenClock()
    seed_demo_data(session_factory, clock, actor=Actor.staff("demo"), accounts=8)
    queries = AccountQueries(session_factory)
    editor = AccountEditor(session_factory, clock)
    demo = queries.list_accounts(limit=8)
    for index, summary in enumerate(demo):
        view = queries.get_account(summary.id)
        typed = editor.create_account(
            dataclasses.replace(AccountInput.from_view(view), number=f"TYPED-{index}"),
            contacts=[ContactInput.from_view(contact) for contact in view.contacts],
            actor=Actor.staff("alice"),
            allow_duplicates=True,  # the same customer twice, on purpose
        )
        assert _stored(session_factory, typed.id) == _stored(session_factory, view.id)

    # Search keys follow their values everywhere: a key for every value, none without.
    with session_factory() as session:
        for account in session.scalars(select(Account)):
            assert account.name_key == normalize_search_key(account.name)
            assert account.email_key == _email_key(account.primary_email)
        for contact in session.scalars(select(Contact)):
            assert contact.email_key == _email_key(contact.email)


def _email_key(email: str | None) -> str | None:
    return normalize_search_key(email) if email else None


def test_refuses_to_mix_with_existing_accounts_unless_forced(
    session_factory: sessionmaker[Session],
) -> None:
    clock = FrozenClock()
    AccountEditor(session_factory, clock).create_account(
        AccountInput(name="Real Co"), actor=Actor.staff("alice")
    )
    with pytest.raises(DemoDataRefusedError) as raised:
        seed_demo_data(session_factory, clock, actor=Actor.staff("alice"))
    assert str(raised.value) == (
        "The database already has 1 account; demo data is only added to an empty database."
    )
    assert _count(session_factory, Account) == 1

    assert (
        seed_demo_data(session_factory, clock, actor=Actor.staff("alice"), force=True, accounts=5)
        == 5
    )
    assert (
        seed_demo_data(session_factory, clock, actor=Actor.staff("alice"), force=True, accounts=5)
        == 5
    )
    with session_factory() as session:
        numbers = session.scalars(select(Account.number)).all()
        invoices = session.scalars(select(Invoice.number)).all()
    assert len(numbers) == len(set(numbers)) == 11
    assert len(invoices) == len(set(invoices))
    with pytest.raises(DemoDataRefusedError, match="already has 11 accounts"):
        seed_demo_data(session_factory, clock, actor=Actor.staff("alice"))


def test_same_seed_same_data_on_any_backend(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    clock = FrozenClock()
    seed_demo_data(session_factory, clock, actor=Actor.staff("demo"), accounts=20, rng_seed=7)

    other_engine = make_engine(f"sqlite:///{(tmp_path / 'other.sqlite3').as_posix()}")
    upgrade(other_engine)
    other = make_session_factory(other_engine)
    seed_demo_data(other, clock, actor=Actor.staff("demo"), accounts=20, rng_seed=7)
    assert _snapshot(session_factory) == _snapshot(other)

    third_engine = make_engine(f"sqlite:///{(tmp_path / 'third.sqlite3').as_posix()}")
    upgrade(third_engine)
    third = make_session_factory(third_engine)
    seed_demo_data(third, clock, actor=Actor.staff("demo"), accounts=20, rng_seed=8)
    assert [row[1] for row in _snapshot(third)] != [row[1] for row in _snapshot(other)]
    other_engine.dispose()
    third_engine.dispose()


@pytest.mark.parametrize("count", [0, -3, 10_001])
def test_refuses_an_unreasonable_count(session_factory: sessionmaker[Session], count: int) -> None:
    with pytest.raises(ValidationError) as raised:
        seed_demo_data(session_factory, FrozenClock(), actor=Actor.staff("demo"), accounts=count)
    assert raised.value.field == "accounts"
    assert str(raised.value) == "The number of demo accounts must be between 1 and 10000."
    assert _count(session_factory, Account) == 0

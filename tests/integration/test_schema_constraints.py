"""Rules the database itself enforces, proven with raw SQL so the ORM is not the one saying no."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError

from w365desk.db.engine import SQLITE_BUSY_TIMEOUT_MS, make_engine
from w365desk.db.migrate import upgrade

WHEN = "2026-03-01 12:00:00"
_serial = itertools.count(1)


def _insert(connection: Connection, table: str, row: dict[str, Any]) -> int:
    columns = ", ".join(row)
    values = ", ".join(f":{column}" for column in row)
    connection.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({values})"), row)
    return connection.execute(
        text(f"SELECT max(id) FROM {table}")  # tests insert from a single connection
    ).scalar_one()


def insert_account(connection: Connection, **overrides: Any) -> int:
    n = next(_serial)
    row = {
        "number": f"A-{n}",
        "name": f"Account {n}",
        "name_key": f"account {n}",
        "currency": "USD",
        "status": "active",
        "created_at": WHEN,
        "updated_at": WHEN,
    }
    return _insert(connection, "account", row | overrides)


def insert_contact(connection: Connection, account_id: int, **overrides: Any) -> int:
    row = {
        "account_id": account_id,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "is_billing": False,
        "status": "active",
        "created_at": WHEN,
        "updated_at": WHEN,
    }
    return _insert(connection, "contact", row | overrides)


def insert_profile(connection: Connection, account_id: int, **overrides: Any) -> int:
    n = next(_serial)
    row = {
        "account_id": account_id,
        "customer_profile_id": "500100",
        "payment_profile_id": f"6{n:05d}",
        "kind": "card",
        "brand": "Visa",
        "last4": "1111",
        "exp_month": 12,
        "exp_year": 2030,
        "status": "active",
        "is_default": False,
        "source": "direct_entry",
        "created_by": "tester",
        "created_at": WHEN,
        "updated_at": WHEN,
    }
    return _insert(connection, "payment_profile", row | overrides)


def insert_email(connection: Connection, **overrides: Any) -> int:
    row = {
        "to_address": "ada@example.test",
        "from_address": "billing@example.test",
        "subject": "Your payment link",
        "body_text": "Hello",
        "status": "queued",
        "attempts": 0,
        "created_at": WHEN,
    }
    return _insert(connection, "outbound_email", row | overrides)


def insert_request(
    connection: Connection, account_id: int, contact_id: int, **overrides: Any
) -> int:
    n = next(_serial)
    row = {
        "account_id": account_id,
        "contact_id": contact_id,
        "token_hash": f"{n:064x}",
        "expires_at": WHEN,
        "status": "pending",
        "created_by": "tester",
        "created_at": WHEN,
        "updated_at": WHEN,
    }
    return _insert(connection, "profile_request", row | overrides)


def insert_invoice(connection: Connection, account_id: int, **overrides: Any) -> int:
    n = next(_serial)
    row = {
        "account_id": account_id,
        "number": f"INV-{n}",
        "issue_date": "2026-03-01",
        "due_date": "2026-03-31",
        "currency": "USD",
        "total": 10000,
        "amount_paid": 0,
        "status": "open",
        "created_at": WHEN,
        "updated_at": WHEN,
    }
    return _insert(connection, "invoice", row | overrides)


def insert_payment(connection: Connection, invoice_id: int | None, **overrides: Any) -> int:
    n = next(_serial)
    row = {
        "invoice_id": invoice_id,
        "kind": "charge",
        "amount": 500,
        "currency": "USD",
        "status": "pending",
        "ref_id": f"R{n}",
        "created_by": "tester",
        "created_at": WHEN,
        "updated_at": WHEN,
    }
    return _insert(connection, "payment", row | overrides)


@pytest.fixture
def account_id(engine: Engine) -> int:
    with engine.begin() as connection:
        return insert_account(connection)


@pytest.fixture
def contact_id(engine: Engine, account_id: int) -> int:
    with engine.begin() as connection:
        return insert_contact(connection, account_id)


@pytest.fixture
def invoice_id(engine: Engine, account_id: int) -> int:
    with engine.begin() as connection:
        return insert_invoice(connection, account_id)


def _refused(
    engine: Engine,
    write: Any,
    constraint: str | None = None,
    errors: type[DBAPIError] | tuple[type[DBAPIError], ...] = IntegrityError,
) -> DBAPIError:
    """Run ``write(connection)`` in its own transaction and return the database's refusal.

    ``constraint`` names the rule expected to refuse: PostgreSQL names every constraint in
    its message, SQLite names CHECK constraints (``ck_...``) only.
    """
    with pytest.raises(errors) as raised, engine.begin() as connection:
        write(connection)
    message = str(raised.value.orig)
    if constraint and (engine.dialect.name == "postgresql" or constraint.startswith("ck_")):
        assert constraint in message
    return raised.value


def _accepted(engine: Engine, write: Any) -> int:
    with engine.begin() as connection:
        return write(connection)


# -- SQLite connection settings the rest of the program relies on -------------------------


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{(tmp_path / 'pragmas.sqlite3').as_posix()}")
    upgrade(engine)
    yield engine
    engine.dispose()


def test_sqlite_connections_enforce_foreign_keys_in_wal_mode(sqlite_engine: Engine) -> None:
    # Two connections at once: the settings belong to every connection, not just the first.
    with sqlite_engine.connect() as first, sqlite_engine.connect() as second:
        for connection in (first, second):
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
            busy_timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one()
            assert busy_timeout == SQLITE_BUSY_TIMEOUT_MS


# -- One default payment profile per account -------------------------------------------------


def test_second_default_profile_for_an_account_is_refused(engine: Engine, account_id: int) -> None:
    _accepted(engine, lambda c: insert_profile(c, account_id, is_default=True))

    error = _refused(
        engine,
        lambda c: insert_profile(c, account_id, is_default=True),
        "uq_payment_profile_one_default",
    )
    if engine.dialect.name == "sqlite":  # SQLite names the columns instead
        assert "UNIQUE constraint failed: payment_profile.account_id" in str(error.orig)


def test_defaults_elsewhere_and_non_defaults_are_fine(engine: Engine, account_id: int) -> None:
    other_account = _accepted(engine, insert_account)

    _accepted(engine, lambda c: insert_profile(c, account_id, is_default=True))
    _accepted(engine, lambda c: insert_profile(c, account_id, is_default=False))
    _accepted(engine, lambda c: insert_profile(c, account_id, is_default=False))
    _accepted(engine, lambda c: insert_profile(c, other_account, is_default=True))

    with engine.connect() as connection:
        defaults = connection.execute(
            text("SELECT account_id FROM payment_profile WHERE is_default ORDER BY account_id")
        ).scalars()
        assert list(defaults) == [account_id, other_account]


def test_moving_the_default_within_one_transaction_works(engine: Engine, account_id: int) -> None:
    first = _accepted(engine, lambda c: insert_profile(c, account_id, is_default=True))
    second = _accepted(engine, lambda c: insert_profile(c, account_id))
    switch = text("UPDATE payment_profile SET is_default = :on WHERE id = :id")
    with engine.begin() as connection:
        connection.execute(switch, {"on": False, "id": first})
        connection.execute(switch, {"on": True, "id": second})

    _refused(
        engine,
        lambda c: c.execute(switch, {"on": True, "id": first}),
        "uq_payment_profile_one_default",
    )


# -- One billing contact per account ----------------------------------------------------------


def test_second_billing_contact_for_an_account_is_refused(engine: Engine, account_id: int) -> None:
    other_account = _accepted(engine, insert_account)
    _accepted(engine, lambda c: insert_contact(c, account_id, is_billing=True))
    _accepted(engine, lambda c: insert_contact(c, account_id, is_billing=False))
    _accepted(engine, lambda c: insert_contact(c, other_account, is_billing=True))

    _refused(
        engine,
        lambda c: insert_contact(c, account_id, is_billing=True),
        "uq_contact_one_billing",
    )


# -- Uniqueness ------------------------------------------------------------------------------


def test_duplicate_invoice_number_is_refused(engine: Engine, account_id: int) -> None:
    _accepted(engine, lambda c: insert_invoice(c, account_id, number="INV-0001"))
    _refused(
        engine, lambda c: insert_invoice(c, account_id, number="INV-0001"), "uq_invoice_number"
    )


def test_duplicate_token_hash_is_refused(engine: Engine, account_id: int, contact_id: int) -> None:
    token_hash = "ab" * 32
    _accepted(engine, lambda c: insert_request(c, account_id, contact_id, token_hash=token_hash))
    _refused(
        engine,
        lambda c: insert_request(c, account_id, contact_id, token_hash=token_hash),
        "uq_profile_request_token_hash",
    )


def test_duplicate_account_number_is_refused(engine: Engine) -> None:
    _accepted(engine, lambda c: insert_account(c, number="ACME-1"))
    _refused(engine, lambda c: insert_account(c, number="ACME-1"), "uq_account_number")


def test_duplicate_payment_ref_id_is_refused(engine: Engine, invoice_id: int) -> None:
    _accepted(engine, lambda c: insert_payment(c, invoice_id, ref_id="W365-42"))
    _refused(engine, lambda c: insert_payment(c, invoice_id, ref_id="W365-42"), "uq_payment_ref_id")


def test_same_gateway_payment_profile_twice_is_refused(engine: Engine, account_id: int) -> None:
    ids = {"customer_profile_id": "900", "payment_profile_id": "901"}
    _accepted(engine, lambda c: insert_profile(c, account_id, **ids))
    _refused(
        engine, lambda c: insert_profile(c, account_id, **ids), "uq_payment_profile_gateway_ids"
    )


# -- Foreign keys ----------------------------------------------------------------------------


def test_contact_for_a_missing_account_is_refused(engine: Engine) -> None:
    error = _refused(
        engine, lambda c: insert_contact(c, account_id=987654), "fk_contact_account_id_account"
    )
    if engine.dialect.name == "sqlite":
        assert "FOREIGN KEY constraint failed" in str(error.orig)


def test_payment_for_a_missing_invoice_is_refused(engine: Engine) -> None:
    _refused(
        engine, lambda c: insert_payment(c, invoice_id=987654), "fk_payment_invoice_id_invoice"
    )


def test_account_with_contacts_cannot_be_deleted(engine: Engine, contact_id: int) -> None:
    _refused(
        engine, lambda c: c.execute(text("DELETE FROM account")), "fk_contact_account_id_account"
    )


# -- Allowed values --------------------------------------------------------------------------

# (table, column, the CHECK constraint that lists its allowed values)
STATUS_COLUMNS = [
    ("account", "status", "ck_account_account_status"),
    ("contact", "status", "ck_contact_contact_status"),
    ("payment_profile", "kind", "ck_payment_profile_payment_kind"),
    ("payment_profile", "status", "ck_payment_profile_profile_status"),
    ("payment_profile", "source", "ck_payment_profile_profile_source"),
    ("outbound_email", "status", "ck_outbound_email_email_status"),
    ("profile_request", "status", "ck_profile_request_request_status"),
    ("invoice", "status", "ck_invoice_invoice_status"),
    ("payment", "kind", "ck_payment_transaction_kind"),
    ("payment", "status", "ck_payment_transaction_status"),
]


def _insert_row(connection: Connection, table: str, **overrides: Any) -> int:
    if table == "account":
        return insert_account(connection, **overrides)
    if table == "outbound_email":
        return insert_email(connection, **overrides)
    account = insert_account(connection)
    if table == "contact":
        return insert_contact(connection, account, **overrides)
    if table == "payment_profile":
        return insert_profile(connection, account, **overrides)
    if table == "profile_request":
        return insert_request(connection, account, insert_contact(connection, account), **overrides)
    if table == "invoice":
        return insert_invoice(connection, account, **overrides)
    if table == "payment":
        return insert_payment(connection, insert_invoice(connection, account), **overrides)
    raise AssertionError(f"no row builder for {table}")


@pytest.mark.parametrize(("table", "column", "check"), STATUS_COLUMNS)
def test_unknown_status_values_are_refused(
    engine: Engine, table: str, column: str, check: str
) -> None:
    _accepted(engine, lambda c: _insert_row(c, table))  # the baseline row is valid
    _refused(engine, lambda c: _insert_row(c, table, **{column: "bogus"}), check)
    # Values are compared exactly: an upper-case member name is not a stored value.
    _refused(engine, lambda c: _insert_row(c, table, **{column: "ACTIVE"}), check)


# -- Amounts, cards and other checks ---------------------------------------------------------
# Amounts below are raw numbers: whole cents on SQLite (see Money), currency units on
# PostgreSQL. Each rule compares amounts with each other or with zero, so both readings
# exercise the same rule.


def test_amount_paid_beyond_total_is_refused(engine: Engine, account_id: int) -> None:
    paid_range = "ck_invoice_amount_paid_range"
    _accepted(engine, lambda c: insert_invoice(c, account_id, total=10000, amount_paid=10000))
    _refused(
        engine, lambda c: insert_invoice(c, account_id, total=10000, amount_paid=10001), paid_range
    )
    _refused(
        engine, lambda c: insert_invoice(c, account_id, total=10000, amount_paid=-1), paid_range
    )
    # A negative total breaks both total_not_negative and amount_paid_range; which one the
    # database names first is its own business.
    _refused(engine, lambda c: insert_invoice(c, account_id, total=-1, amount_paid=0))


def test_paying_an_invoice_past_its_total_is_refused(engine: Engine, invoice_id: int) -> None:
    pay = text("UPDATE invoice SET amount_paid = amount_paid + :paid WHERE id = :id")
    with engine.begin() as connection:
        connection.execute(pay, {"paid": 6000, "id": invoice_id})
    _refused(
        engine,
        lambda c: c.execute(pay, {"paid": 6000, "id": invoice_id}),
        "ck_invoice_amount_paid_range",
    )


def test_payment_amount_must_be_positive(engine: Engine, invoice_id: int) -> None:
    positive = "ck_payment_amount_positive"
    _refused(engine, lambda c: insert_payment(c, invoice_id, amount=0), positive)
    _refused(engine, lambda c: insert_payment(c, invoice_id, amount=-500), positive)


@pytest.mark.parametrize("month", [0, 13, -1])
def test_impossible_expiry_month_is_refused(engine: Engine, account_id: int, month: int) -> None:
    _refused(
        engine,
        lambda c: insert_profile(c, account_id, exp_month=month),
        "ck_payment_profile_exp_month_range",
    )


@pytest.mark.parametrize("month", [1, 12, None])
def test_possible_expiry_month_is_accepted(engine: Engine, account_id: int, month: int) -> None:
    _accepted(engine, lambda c: insert_profile(c, account_id, exp_month=month))


# Too-long values: SQLite ignores VARCHAR lengths, so its CHECK refuses them
# (IntegrityError); PostgreSQL refuses them at the column type first (DataError).
TOO_LONG = (IntegrityError, DataError)


@pytest.mark.parametrize("last4", ["111", ""])
def test_last4_shorter_than_four_is_refused(engine: Engine, account_id: int, last4: str) -> None:
    last4_length = "ck_payment_profile_last4_length"
    _refused(engine, lambda c: insert_profile(c, account_id, last4=last4), last4_length)


def test_last4_longer_than_four_is_refused(engine: Engine, account_id: int) -> None:
    _refused(engine, lambda c: insert_profile(c, account_id, last4="41111"), errors=TOO_LONG)


@pytest.mark.parametrize("currency", ["US", ""])
def test_currency_shorter_than_three_is_refused(engine: Engine, currency: str) -> None:
    currency_code = "ck_account_currency_code"
    _refused(engine, lambda c: insert_account(c, currency=currency), currency_code)


def test_currency_longer_than_three_is_refused(engine: Engine) -> None:
    _refused(engine, lambda c: insert_account(c, currency="USDX"), errors=TOO_LONG)


def test_token_hash_must_be_a_sha256_hex_digest_length(
    engine: Engine, account_id: int, contact_id: int
) -> None:
    _refused(
        engine,
        lambda c: insert_request(c, account_id, contact_id, token_hash="a" * 63),
        "ck_profile_request_token_hash_length",
    )
    _refused(
        engine,
        lambda c: insert_request(c, account_id, contact_id, token_hash="a" * 65),
        errors=TOO_LONG,
    )


@pytest.mark.parametrize(
    ("table", "column"),
    [("account", "name"), ("invoice", "total"), ("payment", "ref_id"), ("contact", "is_billing")],
)
def test_required_columns_refuse_null(engine: Engine, table: str, column: str) -> None:
    _refused(engine, lambda c: _insert_row(c, table, **{column: None}))

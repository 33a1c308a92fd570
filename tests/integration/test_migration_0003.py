"""Revision 0003: existing accounts get their search document, billing contact and default
payment method filled in, and the text index finds them at once; downgrade removes it all."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, Engine, bindparam, inspect, text

from w365desk.db.engine import make_engine, make_session_factory
from w365desk.db.migrate import current_revision, downgrade, upgrade
from w365desk.db.types import UTCDateTime
from w365desk.services.accounts import AccountQueries

BEFORE = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def engine_at_0002(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine, "0002_one_billing_contact")
    yield engine
    engine.dispose()


def _stamped(sql: str) -> object:
    return text(sql).bindparams(bindparam("stamp", type_=UTCDateTime()))


def _seed(connection: Connection) -> int:
    account = connection.execute(
        _stamped(
            "INSERT INTO account (number, name, name_key, primary_email, email_key, phone, "
            "currency, status, created_at, updated_at) VALUES ('HX-9', 'Hexagon Freight Ltd', "
            "'hexagon freight ltd', 'ap@hexagon.example', 'ap@hexagon.example', "
            "'(312) 555-0177', 'USD', 'active', :stamp, :stamp) RETURNING id"
        ),
        {"stamp": BEFORE},
    ).scalar_one()
    for first, last, billing, status in (
        ("Rosa", "Lindqvist", True, "active"),
        ("Omar", "Haddad", False, "inactive"),
    ):
        connection.execute(
            _stamped(
                "INSERT INTO contact (account_id, first_name, last_name, is_billing, status, "
                "created_at, updated_at) VALUES (:account, :first, :last, :billing, :status, "
                ":stamp, :stamp)"
            ),
            {
                "account": account,
                "first": first,
                "last": last,
                "billing": billing,
                "status": status,
                "stamp": BEFORE,
            },
        )
    connection.execute(
        _stamped(
            "INSERT INTO payment_profile (account_id, customer_profile_id, payment_profile_id, "
            "kind, brand, last4, exp_month, exp_year, status, is_default, source, created_by, "
            "created_at, updated_at) VALUES (:account, '501', '601', 'card', 'Visa', '1111', "
            "4, 2031, 'active', :yes, 'direct_entry', 'alice', :stamp, :stamp)"
        ),
        {"account": account, "yes": True, "stamp": BEFORE},
    )
    return int(account)


def test_existing_accounts_are_found_and_listed_after_the_upgrade(
    engine_at_0002: Engine,
) -> None:
    with engine_at_0002.begin() as connection:
        account_id = _seed(connection)
    upgrade(engine_at_0002)
    assert current_revision(engine_at_0002) == "0003_account_search"

    queries = AccountQueries(make_session_factory(engine_at_0002))
    for fragment in ("xagon", "frei", "3125550177", "555-0177", "lindq", "haddad", "hx-9"):
        assert [row.id for row in queries.search(fragment)] == [account_id], fragment
    [row] = queries.search("hexagon")
    assert row.billing_contact_name == "Rosa Lindqvist"
    assert row.default_payment_summary == "Visa •••• 1111 04/31"


def test_downgrade_removes_the_index_and_the_columns(engine_at_0002: Engine) -> None:
    upgrade(engine_at_0002)
    downgrade(engine_at_0002, "0002_one_billing_contact")
    columns = {c["name"] for c in inspect(engine_at_0002).get_columns("account")}
    assert not columns & {"search_text", "billing_contact_name", "default_payment_summary"}
    assert "account_search" not in set(inspect(engine_at_0002).get_table_names())
    upgrade(engine_at_0002)
    assert current_revision(engine_at_0002) == "0003_account_search"

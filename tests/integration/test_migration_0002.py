"""Migration 0002 on a database with duplicate billing contacts (SQLite and PostgreSQL).

The data is written with raw SQL at revision 0001, as another tool might have written it,
then the database is upgraded to head the way every desk does at start-up.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, Engine, bindparam, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from w365desk.clock import FrozenClock
from w365desk.db.engine import make_engine, make_session_factory
from w365desk.db.migrate import current_revision, head_revision, upgrade
from w365desk.db.models import AuditEvent, Contact
from w365desk.db.types import UTCDateTime
from w365desk.services.accounts import ContactEditor
from w365desk.services.accounts.inputs import ContactInput
from w365desk.services.actors import Actor

BEFORE = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
ACTOR = "w365desk migration 0002"


@pytest.fixture
def engine_at_0001(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine, "0001_initial")
    assert current_revision(engine) == "0001_initial"
    yield engine
    engine.dispose()


def _insert_account(connection: Connection, name: str) -> int:
    return int(
        connection.execute(
            text(
                "INSERT INTO account (number, name, name_key, currency, status, created_at, "
                "updated_at) VALUES (:number, :name, :name_key, 'USD', 'active', :stamp, :stamp) "
                "RETURNING id"
            ).bindparams(bindparam("stamp", type_=UTCDateTime())),
            {"number": name.upper(), "name": name, "name_key": name.lower(), "stamp": BEFORE},
        ).scalar_one()
    )


def _insert_contact(
    connection: Connection, account_id: int, *, billing: bool, created: datetime
) -> int:
    return int(
        connection.execute(
            text(
                "INSERT INTO contact (account_id, first_name, last_name, is_billing, status, "
                "created_at, updated_at) VALUES (:account_id, 'Jo', 'Doe', :billing, 'active', "
                ":created, :created) RETURNING id"
            ).bindparams(bindparam("created", type_=UTCDateTime())),
            {"account_id": account_id, "billing": billing, "created": created},
        ).scalar_one()
    )


def _contacts(engine: Engine) -> dict[int, tuple[int, bool, datetime]]:
    with Session(engine) as session:
        return {
            c.id: (c.account_id, c.is_billing, c.updated_at)
            for c in session.scalars(select(Contact).order_by(Contact.id))
        }


def test_duplicate_billing_contacts_are_cleared_audited_and_stamped(
    engine_at_0001: Engine,
) -> None:
    later, latest = BEFORE + timedelta(days=1), BEFORE + timedelta(days=2)
    with engine_at_0001.begin() as connection:
        one, two, three = (_insert_account(connection, name) for name in ("one", "two", "three"))
        _insert_account(connection, "four")  # no contacts at all
        # One: three billing contacts, and the oldest (made first) does not have the
        # lowest id. Two: one billing contact and one other. Three: two billing contacts
        # made at the same moment, so the lower id keeps the flag.
        one_newest = _insert_contact(connection, one, billing=True, created=latest)
        one_oldest = _insert_contact(connection, one, billing=True, created=BEFORE)
        one_middle = _insert_contact(connection, one, billing=True, created=later)
        two_billing = _insert_contact(connection, two, billing=True, created=BEFORE)
        two_other = _insert_contact(connection, two, billing=False, created=BEFORE)
        three_first = _insert_contact(connection, three, billing=True, created=BEFORE)
        three_second = _insert_contact(connection, three, billing=True, created=BEFORE)
    before = _contacts(engine_at_0001)

    upgrade(engine_at_0001)
    upgraded_by = datetime.now(UTC)

    assert current_revision(engine_at_0001) == head_revision()
    after = _contacts(engine_at_0001)
    billing = {cid: account for cid, (account, is_billing, _) in after.items() if is_billing}
    assert billing == {one_oldest: one, two_billing: two, three_first: three}
    cleared = {one_newest, one_middle, three_second}
    for contact_id, (_account, _billing, updated_at) in after.items():
        if contact_id in cleared:
            assert BEFORE < updated_at <= upgraded_by
        else:
            assert updated_at == before[contact_id][2] == BEFORE

    with Session(engine_at_0001) as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert sorted((e.entity_type, e.entity_id) for e in events) == sorted(
        ("contact", str(contact_id)) for contact_id in cleared
    )
    for event in events:
        assert (event.actor, event.action) == (ACTOR, "contact.update")
        assert event.occurred_at == after[int(event.entity_id or 0)][2]
        assert json.loads(event.details or "") == {
            "account_id": after[int(event.entity_id or 0)][0],
            "changes": {"is_billing": {"from": True, "to": False}},
            "reason": "another billing contact of this account is older; an account has one",
        }

    # The index now holds the rule: a second billing contact cannot be written.
    with pytest.raises(IntegrityError), engine_at_0001.begin() as connection:
        connection.execute(
            text("UPDATE contact SET is_billing = :billing WHERE id = :id"),
            {"billing": True, "id": two_other},
        )


def test_the_migration_audit_reads_like_the_services(engine_at_0001: Engine) -> None:
    with engine_at_0001.begin() as connection:
        account = _insert_account(connection, "one")
        _insert_contact(connection, account, billing=True, created=BEFORE)
        _insert_contact(connection, account, billing=True, created=BEFORE + timedelta(hours=1))
    upgrade(engine_at_0001)

    # The service takes the flag from the kept contact as the migration took it from the other.
    contacts = ContactEditor(make_session_factory(engine_at_0001), FrozenClock())
    contacts.add_contact(
        account, ContactInput("New", "Billing", is_billing=True), actor=Actor.staff("alice")
    )
    with Session(engine_at_0001) as session:
        updates = {
            event.actor: json.loads(event.details or "")
            for event in session.scalars(
                select(AuditEvent).where(AuditEvent.action == "contact.update")
            )
        }
    by_migration = updates.pop(ACTOR)
    assert by_migration.pop("reason")
    assert by_migration == updates["alice"]


def test_a_database_without_duplicates_gets_no_audit_rows(engine_at_0001: Engine) -> None:
    with engine_at_0001.begin() as connection:
        account = _insert_account(connection, "one")
        _insert_contact(connection, account, billing=True, created=BEFORE)
        _insert_contact(connection, account, billing=False, created=BEFORE)
    before = _contacts(engine_at_0001)

    upgrade(engine_at_0001)

    assert _contacts(engine_at_0001) == before
    with Session(engine_at_0001) as session:
        assert session.scalars(select(AuditEvent)).all() == []

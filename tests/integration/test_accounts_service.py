"""The account and contact use cases on a real database: CRUD, validation, conflicts and the
audit trail."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from w365desk.clock import FrozenClock
from w365desk.db.models import Account, AccountStatus, AuditEvent, Contact, ContactStatus
from w365desk.services.accounts import AccountOrder
from w365desk.services.accounts.inputs import AccountInput, ContactInput
from w365desk.services.actors import Actor
from w365desk.services.bundle import Services
from w365desk.services.errors import (
    ConflictError,
    NotFoundError,
    PossibleDuplicates,
    ValidationError,
)

ACTOR = "alice"
STAFF = Actor.staff(ACTOR)


def _audit(session_factory: sessionmaker[Session]) -> list[tuple[str, str, str | None, Any]]:
    with session_factory() as session:
        rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        return [
            (row.action, row.entity_type, row.entity_id, json.loads(row.details or "null"))
            for row in rows
        ]


def _count(session_factory: sessionmaker[Session], model: type) -> int:
    with session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_create_account_with_contacts_is_normalized_and_audited(
    services: Services, session_factory: sessionmaker[Session], clock: FrozenClock
) -> None:
    view = services.accounts.create_account(
        AccountInput(
            name="  Northwind   Traders ",
            primary_email=" AP@Northwind.example.com ",
            phone="+1 (206) 555-0100",
            currency="usd",
            city="Seattle",
            state="WA",
        ),
        contacts=[
            ContactInput("Nancy", "Davolio", email="nancy@northwind.test", is_billing=True),
            ContactInput("Andrew", "Fuller", role="CFO"),
        ],
        actor=STAFF,
    )
    assert view.number == "ACC-000001"
    assert view.name == "Northwind Traders"
    assert view.primary_email == "AP@Northwind.example.com"
    assert view.currency == "USD"
    assert view.status is AccountStatus.ACTIVE and view.is_active
    assert view.created_at == clock.now() == view.updated_at
    assert [c.full_name for c in view.contacts] == ["Nancy Davolio", "Andrew Fuller"]
    assert view.billing_contact is not None and view.billing_contact.first_name == "Nancy"

    with session_factory() as session:
        account = session.get(Account, view.id)
        assert account is not None
        assert account.name_key == "northwind traders"
        assert account.email_key == "ap@northwind.example.com"
        keys = session.scalars(select(Contact.email_key).order_by(Contact.id)).all()
        assert keys == ["nancy@northwind.test", None]

    audit = _audit(session_factory)
    assert [(a, t) for a, t, _, _ in audit] == [
        ("account.create", "account"),
        ("contact.create", "contact"),
        ("contact.create", "contact"),
    ]
    assert audit[0][2] == str(view.id)
    assert audit[0][3]["number"] == "ACC-000001"
    assert audit[0][3]["fields"]["name"] == "Northwind Traders"
    assert audit[1][3]["fields"]["is_billing"] is True
    with session_factory() as session:
        assert set(session.scalars(select(AuditEvent.actor))) == {ACTOR}

    # Views are read-only snapshots, not live rows.
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.name = "changed"  # type: ignore[misc]


def test_given_numbers_are_upper_cased_and_duplicates_refused(
    services: Services, session_factory: sessionmaker[Session]
) -> None:
    first = services.accounts.create_account(
        AccountInput(name="Contoso", number=" cn-100 "), actor=STAFF
    )
    assert first.number == "CN-100"
    audit_before = len(_audit(session_factory))

    with pytest.raises(ConflictError) as raised:
        services.accounts.create_account(
            AccountInput(name="Contoso Again", number="Cn-100"), actor=STAFF
        )
    assert str(raised.value) == "Account number CN-100 is already used by another account."
    assert raised.value.field == "number"
    assert _count(session_factory, Account) == 1
    assert len(_audit(session_factory)) == audit_before


def test_auto_numbers_skip_numbers_typed_by_hand(services: Services) -> None:
    services.accounts.create_account(AccountInput(name="Typed", number="ACC-000002"), actor=STAFF)
    auto = [
        services.accounts.create_account(AccountInput(name=f"Auto {i}"), actor=STAFF).number
        for i in range(2)
    ]
    assert auto == ["ACC-000003", "ACC-000004"]


@pytest.mark.parametrize(
    ("account", "field", "message"),
    [
        (AccountInput(name="   "), "name", "Account name is required."),
        (
            AccountInput(name="A", primary_email="ap.example.com"),
            "primary_email",
            "Email address must contain exactly one '@', like name@example.com.",
        ),
        (
            AccountInput(name="A", primary_email="ap@example"),
            "primary_email",
            "Email domain 'example' needs a dot, like example.com.",
        ),
        (
            AccountInput(name="A", primary_email="a p@example.com"),
            "primary_email",
            "Email address must not contain spaces.",
        ),
        (
            AccountInput(name="A", currency="US"),
            "currency",
            "Currency must be a 3-letter ISO code such as USD.",
        ),
        (
            AccountInput(name="A", currency="U$D"),
            "currency",
            "Currency must be a 3-letter ISO code such as USD.",
        ),
        (
            AccountInput(name="A", number="ACC 1"),
            "number",
            "Account number may only contain letters, digits and . _ / - "
            "and must start with a letter or digit.",
        ),
        (
            AccountInput(name="A", number="X" * 33),
            "number",
            "Account number is longer than 32 characters.",
        ),
        (AccountInput(name="A", phone="555-01"), "phone", "Phone number needs at least 7 digits."),
        (
            AccountInput(name="A", phone="call me"),
            "phone",
            "Phone number may only contain digits, spaces, + ( ) . - / and an extension (x123).",
        ),
        (
            AccountInput(name="A", address_line2="4111 1111 1111 1111"),
            "address_line2",
            "Address line 2 looks like a payment card number. Card numbers are never stored "
            "in account records; add a payment method instead.",
        ),
        (AccountInput(name="x" * 201), "name", "Account name is longer than 200 characters."),
        (
            AccountInput(name="Acme\x00Corp"),
            "name",
            "Account name contains an invisible control character; please retype it.",
        ),
        (
            AccountInput(name="Acme", city="Reno\x1b"),
            "city",
            "City contains an invisible control character; please retype it.",
        ),
    ],
)
def test_validation_messages_name_the_field(
    services: Services,
    session_factory: sessionmaker[Session],
    account: AccountInput,
    field: str,
    message: str,
) -> None:
    with pytest.raises(ValidationError) as raised:
        services.accounts.create_account(account, actor=STAFF)
    assert raised.value.messages()[field] == [message]
    assert _count(session_factory, Account) == 0
    assert _audit(session_factory) == []


def test_every_problem_is_reported_at_once_including_contacts(services: Services) -> None:
    with pytest.raises(ValidationError) as raised:
        services.accounts.create_account(
            AccountInput(name="", currency="dollars"),
            contacts=[
                ContactInput("", "", email="x@"),
                ContactInput("A", is_billing=True),
                ContactInput("B", is_billing=True),
            ],
            actor=STAFF,
        )
    assert raised.value.messages() == {
        "name": ["Account name is required."],
        "currency": ["Currency must be a 3-letter ISO code such as USD."],
    }
    # Account problems come first; contact problems are reported once the account is fine.
    with pytest.raises(ValidationError) as raised:
        services.accounts.create_account(
            AccountInput(name="Fine"),
            contacts=[
                ContactInput("", "", email="x@"),
                ContactInput("A", is_billing=True),
                ContactInput("B", is_billing=True),
            ],
            actor=STAFF,
        )
    assert raised.value.messages() == {
        "contacts[0].first_name": ["Contact needs a first or last name."],
        "contacts[0].email": ["Email address needs a domain after the '@', like example.com."],
        "contacts[2].is_billing": ["Only one contact can be the billing contact."],
    }
    assert raised.value.field == "contacts[0].first_name"


def test_update_records_changed_fields_only(
    services: Services, session_factory: sessionmaker[Session], clock: FrozenClock
) -> None:
    view = services.accounts.create_account(
        AccountInput(name="Fabrikam", city="Austin", state="TX"), actor=STAFF
    )
    clock.advance(timedelta(minutes=5))
    updated = services.accounts.update_account(
        view.id,
        dataclasses.replace(AccountInput.from_view(view), name="Fabrikam Inc", city="Dallas"),
        actor=STAFF,
    )
    assert (updated.name, updated.city, updated.state) == ("Fabrikam Inc", "Dallas", "TX")
    assert updated.updated_at == clock.now() != updated.created_at
    action, _, entity_id, details = _audit(session_factory)[-1]
    assert (action, entity_id) == ("account.update", str(view.id))
    assert details == {
        "number": view.number,
        "changes": {
            "city": {"from": "Austin", "to": "Dallas"},
            "name": {"from": "Fabrikam", "to": "Fabrikam Inc"},
        },
    }
    with session_factory() as session:
        assert session.scalar(select(Account.name_key)) == "fabrikam inc"

    # Saving the same values again writes nothing.
    audit_count = len(_audit(session_factory))
    clock.advance(timedelta(minutes=5))
    same = services.accounts.update_account(view.id, AccountInput.from_view(updated), actor=STAFF)
    assert same.updated_at == updated.updated_at
    assert len(_audit(session_factory)) == audit_count


def test_update_refuses_a_stale_edit_and_a_taken_number(
    services: Services, session_factory: sessionmaker[Session], clock: FrozenClock
) -> None:
    view = services.accounts.create_account(AccountInput(name="Tailspin"), actor=STAFF)
    other = services.accounts.create_account(
        AccountInput(name="Other", number="OTH-1"), actor=STAFF
    )
    clock.advance(timedelta(seconds=1))
    services.accounts.update_account(
        view.id, dataclasses.replace(AccountInput.from_view(view), city="Reno"), actor=STAFF
    )

    with pytest.raises(ConflictError, match="changed by someone else"):
        services.accounts.update_account(
            view.id,
            dataclasses.replace(AccountInput.from_view(view), city="Elko"),
            expected_updated_at=view.updated_at,
            actor=STAFF,
        )
    with pytest.raises(ConflictError, match="OTH-1 is already used"):
        services.accounts.update_account(
            view.id, dataclasses.replace(AccountInput.from_view(view), number="oth-1"), actor=STAFF
        )
    current = services.account_queries.get_account(view.id)
    assert (current.city, current.number) == ("Reno", view.number)
    renumbered = services.accounts.update_account(
        view.id,
        dataclasses.replace(AccountInput.from_view(current), number="TSP-9"),
        expected_updated_at=current.updated_at,
        actor=STAFF,
    )
    assert renumbered.number == "TSP-9"
    assert _audit(session_factory)[-1][3]["changes"] == {
        "number": {"from": view.number, "to": "TSP-9"}
    }
    assert other.number == "OTH-1"


def test_deactivate_and_reactivate(
    services: Services, session_factory: sessionmaker[Session]
) -> None:
    view = services.accounts.create_account(AccountInput(name="Wingtip"), actor=STAFF)
    inactive = services.accounts.deactivate_account(view.id, actor=STAFF)
    assert inactive.status is AccountStatus.INACTIVE
    assert (
        services.accounts.deactivate_account(view.id, actor=STAFF).status is AccountStatus.INACTIVE
    )  # no-op
    assert services.account_queries.list_accounts() == []
    assert [
        a.id for a in services.account_queries.list_accounts(status=AccountStatus.INACTIVE)
    ] == [view.id]
    assert services.accounts.reactivate_account(view.id, actor=STAFF).is_active
    actions = [(a, d.get("changes")) for a, _, _, d in _audit(session_factory)]
    assert actions[1:] == [
        ("account.deactivate", {"status": {"from": "active", "to": "inactive"}}),
        ("account.reactivate", {"status": {"from": "inactive", "to": "active"}}),
    ]


def test_contacts_and_the_single_billing_contact(
    services: Services, session_factory: sessionmaker[Session]
) -> None:
    account = services.accounts.create_account(
        AccountInput(name="Litware"),
        contacts=[ContactInput("Ann", "Lee", is_billing=True)],
        actor=STAFF,
    )
    ann = account.contacts[0]
    bob = services.contacts.add_contact(
        account.id, ContactInput("Bob", "Ray", email="Bob@Litware.test"), actor=STAFF
    )
    assert not bob.is_billing and bob.account_id == account.id

    # Adding a new billing contact replaces the previous one.
    cat = services.contacts.add_contact(
        account.id, ContactInput("Cat", "Poe", is_billing=True), actor=STAFF
    )
    current = services.account_queries.get_account(account.id)
    assert [c.first_name for c in current.contacts if c.is_billing] == ["Cat"]

    after = services.contacts.set_billing_contact(account.id, bob.id, actor=STAFF)
    assert after.billing_contact is not None and after.billing_contact.id == bob.id
    assert sum(c.is_billing for c in after.contacts) == 1

    updated = services.contacts.update_contact(
        ann.id,
        dataclasses.replace(ContactInput.from_view(ann), is_billing=True, role="AP"),
        actor=STAFF,
    )
    assert updated.is_billing and updated.role == "AP"
    assert [
        c.id for c in services.account_queries.get_account(account.id).contacts if c.is_billing
    ] == [ann.id]

    # A billing contact who leaves stops being the billing contact.
    gone = services.contacts.deactivate_contact(ann.id, actor=STAFF)
    assert gone.status is ContactStatus.INACTIVE and not gone.is_billing
    assert services.account_queries.get_account(account.id).billing_contact is None
    with pytest.raises(ConflictError, match="Ann Lee is inactive"):
        services.contacts.set_billing_contact(account.id, ann.id, actor=STAFF)
    assert services.contacts.reactivate_contact(ann.id, actor=STAFF).is_active

    cleared = services.contacts.set_billing_contact(account.id, None, actor=STAFF)
    assert cleared.billing_contact is None

    other = services.accounts.create_account(AccountInput(name="Other Co"), actor=STAFF)
    with pytest.raises(ConflictError, match="belongs to another account"):
        services.contacts.set_billing_contact(other.id, cat.id, actor=STAFF)

    actions = [a for a, _, _, _ in _audit(session_factory)]
    assert actions.count("contact.create") == 3
    assert "account.set_billing_contact" in actions
    assert "contact.update" in actions and "contact.deactivate" in actions
    with session_factory() as session:
        key = session.scalar(select(Contact.email_key).where(Contact.id == bob.id))
    assert key == "bob@litware.test"


def test_every_contact_that_loses_the_billing_flag_is_audited(
    services: Services, session_factory: sessionmaker[Session], clock: FrozenClock
) -> None:
    account = services.accounts.create_account(
        AccountInput(name="Fabrikam"),
        contacts=[ContactInput("Ann", "Lee", is_billing=True)],
        actor=STAFF,
    )
    ann = account.contacts[0]
    bob = services.contacts.add_contact(account.id, ContactInput("Bob", "Ray"), actor=STAFF)

    def losing_the_flag() -> list[tuple[str | None, Any]]:
        return [
            (entity_id, details)
            for action, _, entity_id, details in _audit(session_factory)
            if action == "contact.update"
            and "is_billing" in details["changes"]
            and details["changes"]["is_billing"]["to"] is False
        ]

    cleared = {"account_id": account.id, "changes": {"is_billing": {"from": True, "to": False}}}

    # Adding a new billing contact: the old one's history says it stopped being one.
    clock.advance(timedelta(minutes=1))
    cat = services.contacts.add_contact(
        account.id, ContactInput("Cat", "Poe", is_billing=True), actor=STAFF
    )
    assert losing_the_flag() == [(str(ann.id), cleared)]
    previous = next(
        c for c in services.account_queries.get_account(account.id).contacts if c.id == ann.id
    )
    assert not previous.is_billing and previous.updated_at == clock.now()

    # Editing another contact into the billing role.
    clock.advance(timedelta(minutes=1))
    services.contacts.update_contact(
        bob.id, dataclasses.replace(ContactInput.from_view(bob), is_billing=True), actor=STAFF
    )
    assert losing_the_flag()[1:] == [(str(cat.id), cleared)]
    events = _audit(session_factory)
    # The cleared contact's event comes first, then bob's own edit.
    assert [(a, e) for a, _, e, _ in events[-2:]] == [
        ("contact.update", str(cat.id)),
        ("contact.update", str(bob.id)),
    ]
    assert events[-1][3]["changes"] == {"is_billing": {"from": False, "to": True}}

    # Choosing the billing contact on the account, or none at all.
    services.contacts.set_billing_contact(account.id, ann.id, actor=STAFF)
    assert losing_the_flag()[2:] == [(str(bob.id), cleared)]
    services.contacts.set_billing_contact(account.id, None, actor=STAFF)
    assert losing_the_flag()[3:] == [(str(ann.id), cleared)]
    with session_factory() as session:
        stamps = session.scalars(select(AuditEvent.occurred_at)).all()
    assert all(stamp.tzinfo is not None for stamp in stamps)


def test_a_cleared_billing_flag_and_its_audit_roll_back_together(
    services: Services, session_factory: sessionmaker[Session]
) -> None:
    account = services.accounts.create_account(
        AccountInput(name="Tailspin"),
        contacts=[ContactInput("Ann", "Lee", is_billing=True)],
        actor=STAFF,
    )
    audit_before = _audit(session_factory)
    pending: list[list[str]] = []

    def fail(session: Session) -> None:
        session.flush()
        pending.append(list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id))))
        raise RuntimeError("simulated crash before commit")

    event.listen(session_factory, "before_commit", fail)
    try:
        with pytest.raises(RuntimeError):
            services.contacts.add_contact(
                account.id, ContactInput("Cat", "Poe", is_billing=True), actor=STAFF
            )
    finally:
        event.remove(session_factory, "before_commit", fail)

    # Inside the transaction: the clearing's audit event, then the new contact's.
    assert pending == [[a for a, _, _, _ in audit_before] + ["contact.update", "contact.create"]]
    assert _audit(session_factory) == audit_before
    current = services.account_queries.get_account(account.id)
    assert [(c.first_name, c.is_billing) for c in current.contacts] == [("Ann", True)]


def test_contact_validation_and_missing_records(services: Services) -> None:
    account = services.accounts.create_account(AccountInput(name="Proseware"), actor=STAFF)
    with pytest.raises(ValidationError) as raised:
        services.contacts.add_contact(
            account.id, ContactInput("Al", email="al@@proseware.test"), actor=STAFF
        )
    assert raised.value.messages() == {
        "email": ["Email address must contain exactly one '@', like name@example.com."]
    }
    with pytest.raises(NotFoundError, match=r"^Account 9999 was not found\.$"):
        services.account_queries.get_account(9999)
    with pytest.raises(NotFoundError):
        services.contacts.add_contact(9999, ContactInput("Al"), actor=STAFF)
    with pytest.raises(NotFoundError, match=r"^Contact 9999 was not found\.$"):
        services.contacts.deactivate_contact(9999, actor=STAFF)
    with pytest.raises(NotFoundError):
        services.contacts.set_billing_contact(account.id, 9999, actor=STAFF)
    with pytest.raises(NotFoundError):
        services.account_queries.get_account_by_number("NOPE")
    assert services.account_queries.get_account_by_number(account.number.lower()).id == account.id


def test_a_failed_commit_keeps_neither_change_nor_audit(
    services: Services, session_factory: sessionmaker[Session], clock: FrozenClock
) -> None:
    view = services.accounts.create_account(
        AccountInput(name="Adatum"), contacts=[ContactInput("Eve", "Stone")], actor=STAFF
    )
    audit_before = _audit(session_factory)

    pending: list[int] = []

    def fail(session: Session) -> None:
        session.flush()
        pending.append(int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0))
        raise RuntimeError("simulated crash before commit")

    event.listen(session_factory, "before_commit", fail)
    try:
        with pytest.raises(RuntimeError):
            services.accounts.create_account(AccountInput(name="Lost"), actor=STAFF)
        with pytest.raises(RuntimeError):
            services.accounts.update_account(
                view.id,
                dataclasses.replace(AccountInput.from_view(view), name="Renamed"),
                actor=STAFF,
            )
        with pytest.raises(RuntimeError):
            services.accounts.deactivate_account(view.id, actor=STAFF)
        with pytest.raises(RuntimeError):
            services.contacts.add_contact(view.id, ContactInput("Zed"), actor=STAFF)
    finally:
        event.remove(session_factory, "before_commit", fail)

    # Inside each transaction the change and its audit row were both written...
    assert pending == [len(audit_before) + 1] * 4
    # ...and after the failure neither survived.
    assert _audit(session_factory) == audit_before
    current = services.account_queries.get_account(view.id)
    assert (current.name, current.status, len(current.contacts)) == (
        "Adatum",
        AccountStatus.ACTIVE,
        1,
    )
    assert _count(session_factory, Account) == 1


def test_list_accounts_orders_and_pages(services: Services, clock: FrozenClock) -> None:
    for name, number in [("bravo", "N-3"), ("Alpha", "N-2"), ("charlie", "N-1")]:
        clock.advance(timedelta(seconds=1))
        services.accounts.create_account(AccountInput(name=name, number=number), actor=STAFF)
    assert [a.name for a in services.account_queries.list_accounts()] == [
        "Alpha",
        "bravo",
        "charlie",
    ]
    assert [
        a.number for a in services.account_queries.list_accounts(order=AccountOrder.NUMBER)
    ] == [
        "N-1",
        "N-2",
        "N-3",
    ]
    assert [a.name for a in services.account_queries.list_accounts(order=AccountOrder.NEWEST)] == [
        "charlie",
        "Alpha",
        "bravo",
    ]
    assert [a.name for a in services.account_queries.list_accounts(limit=1, offset=1)] == ["bravo"]
    assert services.account_queries.count_accounts() == 3
    services.accounts.deactivate_account(
        services.account_queries.list_accounts()[0].id, actor=STAFF
    )
    assert services.account_queries.count_accounts() == 2
    assert services.account_queries.count_accounts(status=None) == 3


def test_a_lookalike_account_asks_first_and_names_the_match(
    services: Services, session_factory: sessionmaker[Session]
) -> None:
    contoso = services.accounts.create_account(
        AccountInput(name="Contoso Holdings", primary_email="ap@contoso.example"), actor=STAFF
    )
    with pytest.raises(PossibleDuplicates) as same_name:
        services.accounts.create_account(AccountInput(name="  contoso   HOLDINGS "), actor=STAFF)
    [match] = same_name.value.matches
    assert (match.id, match.number, match.reason) == (contoso.id, contoso.number, "the same name")
    assert f"Account {contoso.number} (Contoso Holdings) already has the same name" in str(
        same_name.value
    )
    with pytest.raises(PossibleDuplicates) as same_email:
        services.accounts.create_account(
            AccountInput(name="Contoso Group", primary_email="AP@contoso.example"), actor=STAFF
        )
    assert same_email.value.matches[0].reason == "the same email"
    assert same_email.value.field == "primary_email"
    assert services.account_queries.count_accounts() == 1  # nothing saved while asking

    # Staff looked: it is another customer.
    twin = services.accounts.create_account(
        AccountInput(name="Contoso Holdings"), actor=STAFF, allow_duplicates=True
    )
    # Editing one of two same-named accounts does not ask again, unless name or email change.
    services.accounts.update_account(
        twin.id, dataclasses.replace(AccountInput.from_view(twin), city="Austin"), actor=STAFF
    )
    other = services.accounts.create_account(AccountInput(name="Fabrikam"), actor=STAFF)
    with pytest.raises(PossibleDuplicates):
        services.accounts.update_account(
            other.id,
            dataclasses.replace(AccountInput.from_view(other), primary_email="ap@contoso.example"),
            actor=STAFF,
        )
    # An inactive account is history, not a lookalike.
    services.accounts.deactivate_account(contoso.id, actor=STAFF)
    services.accounts.deactivate_account(twin.id, actor=STAFF)
    services.accounts.create_account(AccountInput(name="Contoso Holdings"), actor=STAFF)

"""Realistic demo data: reseller customers with contacts and open invoices.

Everything is generated from a seeded random source and the injected clock, so the same
seed on an empty database gives the same customers every time. Addresses are plausible
US ones, phone numbers use the 555-01xx range reserved for fiction, and every email is on
a reserved domain (example.com/.net/.org or .test), so nothing can reach a real person.
No payment methods are created: those only come from the gateway. No invoice is marked
paid either, since there are no payments to show for it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from w365desk.clock import Clock
from w365desk.db.models import (
    Account,
    AccountStatus,
    Contact,
    ContactStatus,
    Invoice,
    InvoiceStatus,
)
from w365desk.services.accounts.columns import account_column_values, contact_column_values
from w365desk.services.accounts.derived import derived_values
from w365desk.services.accounts.inputs import DEFAULT_CURRENCY, AccountInput, ContactInput
from w365desk.services.accounts.numbers import allocate_account_numbers
from w365desk.services.actors import Actor
from w365desk.services.audit import AuditEntry, record_audit_many
from w365desk.services.demo_limits import MAX_DEMO_ACCOUNTS
from w365desk.services.errors import ConflictError, ValidationError

DEFAULT_RNG_SEED = 365
INVOICE_NUMBER_PREFIX = "INV-"

_NAME_FIRST = (
    "Blue Ridge", "Cedar", "Harbor", "Summit", "Prairie", "Redwood", "Lakeside", "Granite",
    "Maple", "Silver Creek", "Northgate", "Riverbend", "Oak Hollow", "Pioneer", "Beacon",
    "Canyon", "Evergreen", "Ironwood", "Meridian", "Sterling", "Willow", "Bayview",
    "Highland", "Copper", "Juniper", "Crescent", "Hillside", "Falcon", "Magnolia", "Sunrise",
)  # fmt: skip
_NAME_TRADE = (
    "Dental Care", "Family Medicine", "Law Group", "Accounting", "Auto Repair",
    "Veterinary Clinic", "Realty", "Insurance Agency", "Builders", "Landscaping",
    "Coffee Roasters", "Bakery", "Fitness", "Logistics", "Print Shop", "Plumbing",
    "Electric", "Physical Therapy", "Architects", "Hardware", "Brewing", "Outfitters",
    "Pet Supply", "Florist", "Optometry",
)  # fmt: skip
_NAME_SUFFIX = ("", "", "", "LLC", "Inc.", "PLLC", "Ltd.")
_DOMAINS = ("example.com", "example.net", "example.org", "test")
_BILLING_MAILBOXES = ("billing", "ap", "accounts", "invoices", "office")
_CITIES = (
    ("Seattle", "WA", "98101", "206"), ("Portland", "OR", "97205", "503"),
    ("Boise", "ID", "83702", "208"), ("Denver", "CO", "80202", "303"),
    ("Austin", "TX", "78701", "512"), ("Phoenix", "AZ", "85004", "602"),
    ("Minneapolis", "MN", "55401", "612"), ("Madison", "WI", "53703", "608"),
    ("Columbus", "OH", "43215", "614"), ("Raleigh", "NC", "27601", "919"),
    ("Nashville", "TN", "37203", "615"), ("Atlanta", "GA", "30303", "404"),
    ("Richmond", "VA", "23219", "804"), ("Burlington", "VT", "05401", "802"),
    ("Albany", "NY", "12207", "518"), ("Sacramento", "CA", "95814", "916"),
    ("Salt Lake City", "UT", "84101", "801"), ("Omaha", "NE", "68102", "402"),
    ("Kansas City", "MO", "64106", "816"), ("Charleston", "SC", "29401", "843"),
)  # fmt: skip
_STREETS = (
    "Main St", "Oak Ave", "Elm St", "Market St", "Pine St", "Washington Ave", "2nd St",
    "Lake Dr", "Park Blvd", "Mill Rd", "Commerce Way", "Industrial Pkwy", "Center St",
    "Broadway", "Maple Ave",
)  # fmt: skip
_FIRST_NAMES = (
    "Maria", "James", "Linda", "Robert", "Patricia", "Michael", "Jennifer", "David",
    "Elizabeth", "William", "Susan", "Carlos", "Jessica", "Daniel", "Karen", "Wei",
    "Sarah", "Thomas", "Aisha", "Christopher", "Nancy", "Kevin", "Priya", "Brian",
    "Emily", "Jorge", "Laura", "Andrew", "Megan", "Samuel",
)  # fmt: skip
_LAST_NAMES = (
    "Johnson", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Hernandez",
    "Lopez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
    "Lee", "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson", "Walker",
    "Young", "Allen", "King", "Wright", "Nguyen", "Patel", "Chen",
)  # fmt: skip
_ROLES = (
    "Office Manager", "Accounts Payable", "Owner", "Controller", "Practice Manager",
    "Bookkeeper", "Operations Director", "IT Coordinator",
)  # fmt: skip
_SERVICES = (
    "Managed IT services", "Microsoft 365 Business Standard licenses", "Hosted VoIP lines",
    "Firewall subscription", "Backup and recovery plan", "On-site support hours",
    "Laptop refresh", "Domain and email hosting", "Network monitoring",
    "Security awareness training",
)  # fmt: skip
_NET_TERMS_DAYS = (15, 30, 30, 30, 45)


class DemoDataRefusedError(ConflictError):
    """Demo data would mix with real accounts."""


def seed_demo_data(
    session_factory: sessionmaker[Session],
    clock: Clock,
    *,
    actor: Actor,
    force: bool = False,
    accounts: int = 50,
    rng_seed: int = DEFAULT_RNG_SEED,
) -> int:
    """Add ``accounts`` demo customers with contacts and open invoices; returns how many.

    Refuses with :class:`DemoDataRefusedError` when the database already has accounts,
    unless ``force`` is set. Everything goes in one transaction, audited.
    """
    if not 1 <= accounts <= MAX_DEMO_ACCOUNTS:
        raise ValidationError(
            "accounts", f"The number of demo accounts must be between 1 and {MAX_DEMO_ACCOUNTS}."
        )
    rng = random.Random(rng_seed)
    now = clock.now()
    with session_factory() as session:
        existing = int(session.scalar(select(func.count()).select_from(Account)) or 0)
        if existing and not force:
            raise DemoDataRefusedError(
                f"The database already has {existing} account{'s' if existing != 1 else ''}; "
                "demo data is only added to an empty database."
            )
        numbers = iter(allocate_account_numbers(session, accounts))
        entries: list[AuditEntry] = []
        invoices: list[tuple[Account, list[Invoice]]] = []
        all_contacts: list[Contact] = []
        for name in _company_names(rng, accounts):
            account_data, contacts_data = _demo_account(rng, name, next(numbers))
            account = Account(
                **account_column_values(account_data),
                **derived_values(account_data, account_data.number or "", contacts_data),
                number=account_data.number,
                status=AccountStatus.ACTIVE,
                created_at=now,
                updated_at=now,
            )
            session.add(account)
            session.flush()
            entries.append(
                AuditEntry(
                    "account.create",
                    "account",
                    account.id,
                    {"number": account.number, "name": account.name, "source": "demo"},
                )
            )
            contacts = [
                Contact(
                    **contact_column_values(contact),
                    account_id=account.id,
                    status=ContactStatus.ACTIVE,
                    created_at=now,
                    updated_at=now,
                )
                for contact in contacts_data
            ]
            session.add_all(contacts)
            all_contacts += contacts
            invoices.append((account, _demo_invoices(rng, account, now)))
        session.flush()
        entries += [
            AuditEntry(
                "contact.create",
                "contact",
                contact.id,
                {"account_id": contact.account_id, "source": "demo"},
            )
            for contact in all_contacts
        ]
        invoice_count = _add_invoices(session, invoices, entries)
        entries.insert(
            0,
            AuditEntry(
                "demo.seed",
                "demo",
                None,
                {"accounts": accounts, "invoices": invoice_count, "rng_seed": rng_seed},
            ),
        )
        record_audit_many(session, clock=clock, actor=actor, entries=entries)
        session.commit()
    return accounts


def _company_names(rng: random.Random, count: int) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        base = f"{rng.choice(_NAME_FIRST)} {rng.choice(_NAME_TRADE)}"
        suffix = rng.choice(_NAME_SUFFIX)
        name = f"{base} {suffix}".strip()
        serial = 2
        while name in seen:  # more customers than combinations: number the repeats
            name = f"{base} {serial} {suffix}".strip()
            serial += 1
        seen.add(name)
        names.append(name)
    return names


def _slug(name: str) -> str:
    return "".join(char for char in name.lower() if char.isalnum())


def _phone(rng: random.Random, area: str) -> str:
    return f"+1 ({area}) 555-01{rng.randint(0, 99):02d}"


def _demo_account(
    rng: random.Random, name: str, number: str
) -> tuple[AccountInput, list[ContactInput]]:
    """One customer as staff would have typed it, validated like any other input."""
    city, state, postal_code, area = rng.choice(_CITIES)
    domain = f"{_slug(name.removesuffix(' LLC').removesuffix(' Inc.'))}.{rng.choice(_DOMAINS)}"
    account = AccountInput(
        name=name,
        number=number,
        primary_email=f"{rng.choice(_BILLING_MAILBOXES)}@{domain}",
        phone=_phone(rng, area),
        currency=DEFAULT_CURRENCY,
        address_line1=f"{rng.randint(10, 9899)} {rng.choice(_STREETS)}",
        address_line2=f"Suite {rng.randint(1, 9)}{rng.choice(('00', '10', '20'))}"
        if rng.random() < 0.3
        else None,
        city=city,
        state=state,
        postal_code=postal_code,
        country="US",
    ).validate()
    contacts = [
        _demo_contact(rng, domain, area, is_billing=index == 0)
        for index in range(rng.randint(1, 3))
    ]
    return account, contacts


def _demo_contact(rng: random.Random, domain: str, area: str, *, is_billing: bool) -> ContactInput:
    first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
    return ContactInput(
        first_name=first,
        last_name=last,
        email=f"{first.lower()}.{last.lower()}@{domain}",
        phone=_phone(rng, area),
        role="Accounts Payable" if is_billing else rng.choice(_ROLES),
        is_billing=is_billing,
    ).validate()


def _demo_invoices(rng: random.Random, account: Account, now: datetime) -> list[Invoice]:
    today = now.date()
    invoices = []
    for _ in range(rng.randint(1, 4)):
        issue_date = today - timedelta(days=rng.randint(0, 75))
        terms = rng.choice(_NET_TERMS_DAYS)
        invoices.append(
            Invoice(
                account_id=account.id,
                number="",  # allocated once all invoices are known
                issue_date=issue_date,
                due_date=issue_date + timedelta(days=terms),
                currency=account.currency,
                description=f"{rng.choice(_SERVICES)} - {_month(issue_date)}",
                total=Decimal(rng.randint(7_500, 480_000)).scaleb(-2),
                amount_paid=Decimal("0.00"),
                status=InvoiceStatus.OPEN,
                created_at=now,
                updated_at=now,
            )
        )
    return sorted(invoices, key=lambda invoice: invoice.issue_date)


def _month(day: date) -> str:
    return day.strftime("%B %Y")


def _add_invoices(
    session: Session,
    per_account: Sequence[tuple[Account, list[Invoice]]],
    entries: list[AuditEntry],
) -> int:
    invoices = [invoice for _account, batch in per_account for invoice in batch]
    for invoice, number in zip(
        invoices, _allocate_invoice_numbers(session, len(invoices)), strict=True
    ):
        invoice.number = number
        session.add(invoice)
    session.flush()
    entries += [
        AuditEntry(
            "invoice.create",
            "invoice",
            invoice.id,
            {
                "number": invoice.number,
                "account_id": invoice.account_id,
                "total": invoice.total,
                "due_date": invoice.due_date,
                "source": "demo",
            },
        )
        for invoice in invoices
    ]
    return len(invoices)


def _allocate_invoice_numbers(session: Session, count: int) -> list[str]:
    """``count`` unused invoice numbers like INV-000042, skipping any already taken."""
    next_value = (session.scalar(select(func.max(Invoice.id))) or 0) + 1
    allocated: list[str] = []
    while len(allocated) < count:
        batch = [
            f"{INVOICE_NUMBER_PREFIX}{value:06d}"
            for value in range(next_value, next_value + count - len(allocated))
        ]
        next_value += len(batch)
        taken: set[str] = set()
        for start in range(0, len(batch), 500):
            chunk = batch[start : start + 500]
            taken.update(session.scalars(select(Invoice.number).where(Invoice.number.in_(chunk))))
        allocated += [number for number in batch if number not in taken]
    return allocated


class DemoSeeder:
    """Demo customers on request (the first-run offer in the offline sandbox)."""

    def __init__(self, session_factory: sessionmaker[Session], clock: Clock) -> None:
        self._session_factory = session_factory
        self._clock = clock

    def seed(self, *, actor: Actor, accounts: int = 50) -> int:
        """Add demo customers to an empty database (``DemoDataRefusedError`` otherwise)."""
        return seed_demo_data(self._session_factory, self._clock, actor=actor, accounts=accounts)

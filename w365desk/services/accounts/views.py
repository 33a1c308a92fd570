"""Frozen views of accounts and contacts: what front doors get back from the service.

They are plain values copied out of the ORM rows inside the service's session, never live
ORM objects, so nothing a front door holds can lazy-load or write behind the service's back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from w365desk.db.models import Account, AccountStatus, Contact, ContactStatus


@dataclass(frozen=True)
class ContactView:
    id: int
    account_id: int
    first_name: str
    last_name: str
    full_name: str
    email: str | None
    phone: str | None
    role: str | None
    is_billing: bool
    status: ContactStatus
    created_at: datetime
    updated_at: datetime

    @property
    def is_active(self) -> bool:
        return self.status is ContactStatus.ACTIVE


@dataclass(frozen=True)
class AccountView:
    id: int
    number: str
    name: str
    primary_email: str | None
    phone: str | None
    currency: str
    address_line1: str | None
    address_line2: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    country: str | None
    status: AccountStatus
    gateway_customer_profile_id: str | None
    created_at: datetime
    updated_at: datetime
    contacts: tuple[ContactView, ...]

    @property
    def is_active(self) -> bool:
        return self.status is AccountStatus.ACTIVE

    @property
    def active_contacts(self) -> tuple[ContactView, ...]:
        return tuple(contact for contact in self.contacts if contact.is_active)

    @property
    def billing_contact(self) -> ContactView | None:
        return next((c for c in self.contacts if c.is_billing and c.is_active), None)


@dataclass(frozen=True)
class AccountSummary:
    """One line of an account list or search result."""

    id: int
    number: str
    name: str
    primary_email: str | None
    phone: str | None
    city: str | None
    state: str | None
    currency: str
    status: AccountStatus
    billing_contact_name: str = ""
    # "Visa •••• 1111 12/30", or "" when the account has no default payment method.
    default_payment_summary: str = ""

    @property
    def is_active(self) -> bool:
        return self.status is AccountStatus.ACTIVE


def to_contact_view(contact: Contact) -> ContactView:
    return ContactView(
        id=contact.id,
        account_id=contact.account_id,
        first_name=contact.first_name,
        last_name=contact.last_name,
        full_name=contact.full_name,
        email=contact.email,
        phone=contact.phone,
        role=contact.role,
        is_billing=contact.is_billing,
        status=ContactStatus(contact.status),
        created_at=contact.created_at,
        updated_at=contact.updated_at,
    )


def to_account_view(account: Account, contacts: Sequence[Contact]) -> AccountView:
    return AccountView(
        id=account.id,
        number=account.number,
        name=account.name,
        primary_email=account.primary_email,
        phone=account.phone,
        currency=account.currency,
        address_line1=account.address_line1,
        address_line2=account.address_line2,
        city=account.city,
        state=account.state,
        postal_code=account.postal_code,
        country=account.country,
        status=AccountStatus(account.status),
        gateway_customer_profile_id=account.gateway_customer_profile_id,
        created_at=account.created_at,
        updated_at=account.updated_at,
        contacts=tuple(to_contact_view(c) for c in sorted(contacts, key=lambda c: c.id)),
    )


def to_account_summary(account: Account) -> AccountSummary:
    return AccountSummary(
        id=account.id,
        number=account.number,
        name=account.name,
        primary_email=account.primary_email,
        phone=account.phone,
        city=account.city,
        state=account.state,
        currency=account.currency,
        status=AccountStatus(account.status),
        billing_contact_name=account.billing_contact_name,
        default_payment_summary=account.default_payment_summary,
    )

"""Frozen views of stored payment methods: what the desk may show, and nothing more."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from w365desk.db.derived import payment_summary
from w365desk.db.models import PaymentKind, PaymentProfile, ProfileSource, ProfileStatus


class ShownStatus(enum.StrEnum):
    """The status staff see: a stored card past its expiry month shows as Expired."""

    ACTIVE = "active"
    EXPIRED = "expired"
    PENDING = "pending"
    INACTIVE = "inactive"

    @property
    def label(self) -> str:
        return self.value.capitalize()


def card_expired(exp_month: int | None, exp_year: int | None, today: date) -> bool:
    """A card is good through the last day of its expiry month."""
    if exp_month is None or exp_year is None:
        return False
    return (exp_year, exp_month) < (today.year, today.month)


@dataclass(frozen=True)
class PaymentProfileView:
    id: int
    account_id: int
    account_number: str
    account_name: str
    customer_profile_id: str
    payment_profile_id: str
    kind: PaymentKind
    brand: str | None
    last4: str
    exp_month: int | None
    exp_year: int | None
    holder: str
    billing_company: str | None
    address_line1: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    country: str | None
    status: ShownStatus
    is_default: bool
    source: ProfileSource
    bank_account_type: str | None
    created_by: str
    created_at: datetime
    gateway_missing_at: datetime | None

    @property
    def summary(self) -> str:
        return payment_summary(
            kind=self.kind,
            brand=self.brand,
            last4=self.last4,
            exp_month=self.exp_month,
            exp_year=self.exp_year,
            bank_account_type=self.bank_account_type,
        )

    @property
    def expiry(self) -> str:
        if self.exp_month is None or self.exp_year is None:
            return ""
        return f"{self.exp_month:02d}/{self.exp_year}"

    @property
    def source_label(self) -> str:
        return "Direct Entry" if self.source is ProfileSource.DIRECT_ENTRY else "Profile Request"

    @property
    def usable(self) -> bool:
        return self.status is ShownStatus.ACTIVE


def shown_status(row: PaymentProfile, today: date) -> ShownStatus:
    status = ProfileStatus(row.status)
    if status is ProfileStatus.ACTIVE and card_expired(row.exp_month, row.exp_year, today):
        return ShownStatus.EXPIRED
    return ShownStatus(status.value)


def to_profile_view(
    row: PaymentProfile, account_number: str, account_name: str, today: date
) -> PaymentProfileView:
    holder = " ".join(p for p in (row.billing_first_name, row.billing_last_name) if p)
    return PaymentProfileView(
        id=row.id,
        account_id=row.account_id,
        account_number=account_number,
        account_name=account_name,
        customer_profile_id=row.customer_profile_id,
        payment_profile_id=row.payment_profile_id,
        kind=PaymentKind(row.kind),
        brand=row.brand,
        last4=row.last4,
        exp_month=row.exp_month,
        exp_year=row.exp_year,
        holder=holder,
        billing_company=row.billing_company,
        address_line1=row.address_line1,
        city=row.city,
        state=row.state,
        postal_code=row.postal_code,
        country=row.country,
        status=shown_status(row, today),
        is_default=row.is_default,
        source=ProfileSource(row.source),
        bank_account_type=row.bank_account_type,
        created_by=row.created_by,
        created_at=row.created_at,
        gateway_missing_at=row.gateway_missing_at,
    )

"""The data model, in SQLAlchemy 2 typed style.

Rules the database itself enforces (not only the code): foreign keys, one default
payment profile per account, unique invoice numbers and token hashes, status values.
No column holds a card number, a CVV or a full bank account number.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from w365desk.db.derived import contact_display_name
from w365desk.db.types import Money, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Search keys compare byte-wise so a prefix range scan on the index is exact
# (PostgreSQL's linguistic collations would reorder punctuation and case).
SearchKey = String(200).with_variant(String(200, collation="C"), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    """Store an enum as its value in a short string column with a CHECK constraint."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=24,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class AccountStatus(enum.StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


class ContactStatus(enum.StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


class PaymentKind(enum.StrEnum):
    CARD = "card"
    BANK = "bank"


class ProfileStatus(enum.StrEnum):
    ACTIVE = "active"
    PENDING = "pending"
    EXPIRED = "expired"
    INACTIVE = "inactive"


class ProfileSource(enum.StrEnum):
    DIRECT_ENTRY = "direct_entry"
    PROFILE_REQUEST = "profile_request"


class RequestStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"
    SEND_FAILED = "send_failed"


class EmailStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class InvoiceStatus(enum.StrEnum):
    OPEN = "open"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    VOID = "void"


class TransactionKind(enum.StrEnum):
    CHARGE = "charge"
    REFUND = "refund"
    VOID = "void"


class TransactionStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    ERROR = "error"
    UNKNOWN = "unknown"


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AddressMixin:
    address_line1: Mapped[str | None] = mapped_column(String(120))
    address_line2: Mapped[str | None] = mapped_column(String(120))
    city: Mapped[str | None] = mapped_column(String(80))
    state: Mapped[str | None] = mapped_column(String(80))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(60))


class Account(AddressMixin, TimestampMixin, Base):
    __tablename__ = "account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(SearchKey, index=True)
    primary_email: Mapped[str | None] = mapped_column(String(254))
    email_key: Mapped[str | None] = mapped_column(SearchKey, index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    status: Mapped[AccountStatus] = mapped_column(
        _enum(AccountStatus, "account_status"), default=AccountStatus.ACTIVE
    )
    # One Authorize.Net customer profile per account holds its payment profiles.
    gateway_customer_profile_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    # Kept by the services in the same transaction as what they derive from, so the list
    # can show and sort by them over every row (see db/search_index.py for search_text).
    # Added by revision 0003, hence placed last (sort_order), as ALTER TABLE put them.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="", sort_order=10)
    billing_contact_name: Mapped[str] = mapped_column(
        String(161), default="", server_default="", index=True, sort_order=10
    )
    default_payment_summary: Mapped[str] = mapped_column(
        String(80), default="", server_default="", index=True, sort_order=10
    )

    contacts: Mapped[list[Contact]] = relationship(back_populates="account", order_by="Contact.id")
    payment_profiles: Mapped[list[PaymentProfile]] = relationship(
        back_populates="account", order_by="PaymentProfile.id"
    )
    invoices: Mapped[list[Invoice]] = relationship(back_populates="account", order_by="Invoice.id")

    __table_args__ = (
        CheckConstraint("length(currency) = 3", name="currency_code"),
        # The list sorts by these over every row.
        Index("ix_account_city", "city"),
        Index("ix_account_phone", "phone"),
        Index("ix_account_status", "status"),
    )


class Contact(TimestampMixin, Base):
    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    email: Mapped[str | None] = mapped_column(String(254))
    email_key: Mapped[str | None] = mapped_column(SearchKey, index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    role: Mapped[str | None] = mapped_column(String(80))
    is_billing: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[ContactStatus] = mapped_column(
        _enum(ContactStatus, "contact_status"), default=ContactStatus.ACTIVE
    )

    account: Mapped[Account] = relationship(back_populates="contacts")

    __table_args__ = (
        # At most one billing contact per account, enforced by the database too.
        Index(
            "uq_contact_one_billing",
            "account_id",
            unique=True,
            sqlite_where=text("is_billing = 1"),
            postgresql_where=text("is_billing"),
        ),
    )

    @property
    def full_name(self) -> str:
        return contact_display_name(self.first_name, self.last_name)


class PaymentProfile(AddressMixin, TimestampMixin, Base):
    """A stored payment method: gateway ids and what is safe to show, nothing more."""

    __tablename__ = "payment_profile"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    customer_profile_id: Mapped[str] = mapped_column(String(32))
    payment_profile_id: Mapped[str] = mapped_column(String(32))
    kind: Mapped[PaymentKind] = mapped_column(_enum(PaymentKind, "payment_kind"))
    brand: Mapped[str | None] = mapped_column(String(40))
    last4: Mapped[str] = mapped_column(String(4))
    exp_month: Mapped[int | None] = mapped_column(Integer)
    exp_year: Mapped[int | None] = mapped_column(Integer)
    billing_first_name: Mapped[str | None] = mapped_column(String(80))
    billing_last_name: Mapped[str | None] = mapped_column(String(80))
    billing_company: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[ProfileStatus] = mapped_column(
        _enum(ProfileStatus, "profile_status"), default=ProfileStatus.ACTIVE
    )
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[ProfileSource] = mapped_column(_enum(ProfileSource, "profile_source"))
    # checking | savings | businessChecking, for bank accounts (revision 0003: placed last).
    bank_account_type: Mapped[str | None] = mapped_column(String(24), sort_order=10)
    # When a sync found it gone at the gateway (deleted there by someone else).
    gateway_missing_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), sort_order=10)
    created_by: Mapped[str] = mapped_column(String(120))

    account: Mapped[Account] = relationship(back_populates="payment_profiles")

    __table_args__ = (
        UniqueConstraint(
            "customer_profile_id", "payment_profile_id", name="uq_payment_profile_gateway_ids"
        ),
        CheckConstraint("length(last4) = 4", name="last4_length"),
        # The Payment Profiles view filters and sorts by these over every row.
        Index("ix_payment_profile_status", "status"),
        Index("ix_payment_profile_expiry", "exp_year", "exp_month"),
        Index("ix_payment_profile_created_at", "created_at"),
        CheckConstraint(
            "exp_month IS NULL OR (exp_month BETWEEN 1 AND 12)", name="exp_month_range"
        ),
        # At most one default payment method per account, enforced by the database.
        Index(
            "uq_payment_profile_one_default",
            "account_id",
            unique=True,
            sqlite_where=text("is_default = 1"),
            postgresql_where=text("is_default"),
        ),
    )


class OutboundEmail(Base):
    """The outbox: every mail is stored before it is sent, then retried until it goes."""

    __tablename__ = "outbound_email"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str | None] = mapped_column(String(160))
    from_address: Mapped[str] = mapped_column(String(254))
    from_name: Mapped[str | None] = mapped_column(String(160))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    status: Mapped[EmailStatus] = mapped_column(
        _enum(EmailStatus, "email_status"), default=EmailStatus.QUEUED, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProfileRequest(TimestampMixin, Base):
    """A one-time secure link mailed to a contact so they can enter their own card."""

    __tablename__ = "profile_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contact.id"), index=True)
    # SHA-256 of the link token; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[RequestStatus] = mapped_column(
        _enum(RequestStatus, "request_status"), default=RequestStatus.PENDING
    )
    outbound_email_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_email.id"))
    payment_profile_id: Mapped[int | None] = mapped_column(ForeignKey("payment_profile.id"))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(120))

    account: Mapped[Account] = relationship()
    contact: Mapped[Contact] = relationship()
    outbound_email: Mapped[OutboundEmail | None] = relationship()
    payment_profile: Mapped[PaymentProfile | None] = relationship()

    __table_args__ = (CheckConstraint("length(token_hash) = 64", name="token_hash_length"),)


class Invoice(TimestampMixin, Base):
    __tablename__ = "invoice"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    description: Mapped[str | None] = mapped_column(String(255))
    total: Mapped[Decimal] = mapped_column(Money())
    amount_paid: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"))
    status: Mapped[InvoiceStatus] = mapped_column(
        _enum(InvoiceStatus, "invoice_status"), default=InvoiceStatus.OPEN, index=True
    )

    account: Mapped[Account] = relationship(back_populates="invoices")
    payments: Mapped[list[Payment]] = relationship(back_populates="invoice", order_by="Payment.id")

    __table_args__ = (
        CheckConstraint("total >= 0", name="total_not_negative"),
        CheckConstraint("amount_paid >= 0 AND amount_paid <= total", name="amount_paid_range"),
    )


class Payment(TimestampMixin, Base):
    """One gateway transaction (charge, refund or void), recorded before it is sent."""

    __tablename__ = "payment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), index=True)
    payment_profile_id: Mapped[int | None] = mapped_column(
        ForeignKey("payment_profile.id"), index=True
    )
    parent_payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"))
    kind: Mapped[TransactionKind] = mapped_column(_enum(TransactionKind, "transaction_kind"))
    amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    status: Mapped[TransactionStatus] = mapped_column(
        _enum(TransactionStatus, "transaction_status"),
        default=TransactionStatus.PENDING,
        index=True,
    )
    # refId sent to the gateway: unique, so a retry after an unknown outcome can find it.
    ref_id: Mapped[str] = mapped_column(String(20), unique=True)
    invoice_number_sent: Mapped[str | None] = mapped_column(String(20))
    gateway_transaction_id: Mapped[str | None] = mapped_column(String(32), index=True)
    auth_code: Mapped[str | None] = mapped_column(String(12))
    response_code: Mapped[str | None] = mapped_column(String(8))
    response_text: Mapped[str | None] = mapped_column(Text)
    avs_result: Mapped[str | None] = mapped_column(String(4))
    cvv_result: Mapped[str | None] = mapped_column(String(4))
    created_by: Mapped[str] = mapped_column(String(120))

    invoice: Mapped[Invoice | None] = relationship(back_populates="payments")
    payment_profile: Mapped[PaymentProfile | None] = relationship()

    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)


class AuditEvent(Base):
    """Who did what to which record, written in the same transaction as the change."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(40))
    # JSON text; never secrets or card data.
    details: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_audit_event_entity", "entity_type", "entity_id"),)


class Setting(Base):
    """Shared settings, one key/value row each. Never secrets."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

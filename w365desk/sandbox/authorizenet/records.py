"""What the sandbox remembers: customer and payment profiles, transactions, batches, the ledger.

No record holds a full card number, a card code or a full bank account number: a
stored payment keeps its brand, last four digits, expiry and a fingerprint (for
duplicate detection) only; ``state`` explains why neither fingerprint can be reversed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from w365desk.sandbox.authorizenet.cards import MASK, masked

ADDRESS_FIELDS: tuple[tuple[str, str], ...] = (
    ("first_name", "firstName"),
    ("last_name", "lastName"),
    ("company", "company"),
    ("address", "address"),
    ("city", "city"),
    ("state", "state"),
    ("zip", "zip"),
    ("country", "country"),
    ("phone_number", "phoneNumber"),
    ("fax_number", "faxNumber"),
    ("email", "email"),
)


@dataclass
class Address:
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    address: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    phone_number: str | None = None
    fax_number: str | None = None
    email: str | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name, _ in ADDRESS_FIELDS)

    def duplicate_key(self) -> tuple[str, str, str, str]:
        """The billing fields Authorize.Net compares when it looks for duplicate profiles."""
        return (
            (self.first_name or "").strip().lower(),
            (self.last_name or "").strip().lower(),
            (self.address or "").strip().lower(),
            (self.zip or "").strip().lower(),
        )


@dataclass
class StoredPayment:
    kind: Literal["card", "bank"]
    fingerprint: str  # test card: SHA-256 of the public number; bank: HMAC, key in memory only
    last4: str
    brand: str  # "Visa", "MasterCard", ... or "eCheck" for bank accounts
    expiry: str | None = None  # "YYYY-MM" for cards
    bank_account_type: str | None = None  # checking | savings | businessChecking
    routing_last4: str | None = None
    name_on_account: str | None = None
    echeck_type: str | None = None
    bank_name: str | None = None

    @property
    def masked_number(self) -> str:
        return masked(self.last4)

    def masked_expiry(self, unmask: bool) -> str:
        return self.expiry if (unmask and self.expiry) else MASK


@dataclass
class PaymentProfile:
    id: str
    customer_profile_id: str
    payment: StoredPayment
    created_at: datetime
    customer_type: str | None = None
    bill_to: Address | None = None


@dataclass
class CustomerProfile:
    id: str
    created_at: datetime
    merchant_customer_id: str | None = None
    description: str | None = None
    email: str | None = None
    profile_type: str = "regular"
    payment_profile_ids: list[str] = field(default_factory=list)
    default_payment_profile_id: str | None = None


# transactionStatus values, as the reporting API names them.
CAPTURED = "capturedPendingSettlement"
SETTLED = "settledSuccessfully"
REFUND_PENDING = "refundPendingSettlement"
REFUND_SETTLED = "refundSettledSuccessfully"
VOIDED = "voided"
DECLINED = "declined"
VOIDABLE = (CAPTURED, REFUND_PENDING)
# Statuses that move money; voided and declined transactions settle nothing.
MOVES_MONEY = (CAPTURED, SETTLED, REFUND_PENDING, REFUND_SETTLED)


@dataclass
class Transaction:
    id: str
    type: str  # authCaptureTransaction | refundTransaction
    status: str
    response_code: int
    reason_code: int
    amount: Decimal
    submitted_at: datetime
    payment: StoredPayment
    auth_code: str = ""
    avs_code: str = ""
    cvv_code: str = ""
    network_trans_id: str = ""
    duplicate_key: str = ""
    bill_to: Address | None = None
    invoice_number: str | None = None
    description: str | None = None
    ref_id: str | None = None
    customer_type: str | None = None
    customer_id: str | None = None
    customer_email: str | None = None
    customer_ip: str | None = None
    customer_profile_id: str | None = None
    payment_profile_id: str | None = None
    ref_trans_id: str | None = None
    batch_id: str | None = None
    settled_at: datetime | None = None

    @property
    def settle_amount(self) -> Decimal:
        return self.amount if self.status in MOVES_MONEY else Decimal("0.00")


@dataclass
class Batch:
    id: str
    settled_at: datetime


@dataclass(frozen=True)
class LedgerEntry:
    """One charge, refund or void the sandbox performed (declines included, response code 2)."""

    kind: Literal["charge", "refund", "void"]
    transaction_id: str
    amount: Decimal
    ref_id: str | None
    invoice_number: str | None
    customer_profile_id: str | None
    payment_profile_id: str | None
    response_code: str  # "1" approved, "2" declined, "3" error, "4" held
    at: datetime

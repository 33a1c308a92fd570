"""Plain value types spoken between services and any gateway.

Inputs validate themselves on construction and raise ``InvalidField`` with a message
that names the field and the problem. Types that hold card or bank secrets mask them
in ``repr``/``str``: the full number and the security code can never reach a log line,
a crash report or an exception message through these objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Literal

from w365desk.cards import (
    AMEX,
    CardNumberError,
    card_brand,
    check_card_number,
    is_ascii_digits,
)
from w365desk.gateway.errors import InvalidField

ValidationMode = Literal["none", "testMode", "liveMode"]
PaymentKind = Literal["card", "bank"]
BankAccountType = Literal["checking", "savings", "businessChecking"]
ECheckType = Literal["PPD", "WEB", "CCD", "TEL"]

ACCEPT_DESCRIPTOR = "COMMON.ACCEPT.INAPP.PAYMENT"
MAX_DUPLICATE_WINDOW_S = 28_800
DEFAULT_DUPLICATE_WINDOW_S = 120
_MAX_AMOUNT = Decimal("999999999.99")
_CENT = Decimal("0.01")
_SEPARATORS = re.compile(r"[ \-]")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _check_length(field_name: str, label: str, value: str | None, limit: int) -> None:
    if value is not None and len(value) > limit:
        raise InvalidField(
            field_name, f"{label} may be at most {limit} characters long (it has {len(value)})."
        )


def _check_expiry_parts(exp_month: int, exp_year: int) -> None:
    if isinstance(exp_month, bool) or not isinstance(exp_month, int) or not 1 <= exp_month <= 12:
        raise InvalidField("exp_month", "The expiry month must be a number from 1 to 12.")
    if isinstance(exp_year, bool) or not isinstance(exp_year, int) or not 2000 <= exp_year <= 2099:
        raise InvalidField("exp_year", "The expiry year must be a four-digit year such as 2030.")


def _expired(exp_month: int, exp_year: int, today: date) -> bool:
    # A card is good through the last day of its expiry month.
    return (exp_year, exp_month) < (today.year, today.month)


def check_expiry(exp_month: int, exp_year: int, today: date) -> None:
    """Refuse an impossible or past expiry, naming which."""
    _check_expiry_parts(exp_month, exp_year)
    if _expired(exp_month, exp_year, today):
        raise InvalidField(
            "expiration", f"This card expired at the end of {exp_month:02d}/{exp_year}."
        )


@dataclass(frozen=True, repr=False)
class CardInput:
    """A card as typed by a person. Spaces and dashes in the number are accepted."""

    number: str
    exp_month: int
    exp_year: int
    cvv: str | None = None

    def __post_init__(self) -> None:
        try:
            digits = check_card_number(self.number)
        except CardNumberError as error:
            # The message names the problem, never the number.
            problem: str | None = str(error)
        else:
            problem = None
        if problem is not None:
            raise InvalidField("card_number", problem)
        object.__setattr__(self, "number", digits)
        _check_expiry_parts(self.exp_month, self.exp_year)
        if self.cvv is not None:
            cvv = self.cvv.strip()
            wanted = 4 if card_brand(digits) == AMEX else 3
            if not is_ascii_digits(cvv) or len(cvv) != wanted:
                raise InvalidField(
                    "cvv", f"The security code (CVV) for this card must be {wanted} digits."
                )
            object.__setattr__(self, "cvv", cvv)

    @property
    def brand(self) -> str:
        """The brand guessed from the number's prefix (``"Unknown"`` when unrecognised).

        Only a hint for the person typing: what the gateway reports is the brand to keep.
        """
        return card_brand(self.number)

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def expiration_date(self) -> str:
        """Authorize.Net's ``YYYY-MM`` form."""
        return f"{self.exp_year:04d}-{self.exp_month:02d}"

    def is_expired(self, today: date) -> bool:
        return _expired(self.exp_month, self.exp_year, today)

    def check_not_expired(self, today: date) -> None:
        check_expiry(self.exp_month, self.exp_year, today)

    def __repr__(self) -> str:
        return f"CardInput(****{self.last4}, {self.exp_month:02d}/{self.exp_year})"

    __str__ = __repr__


def aba_routing_valid(digits: str) -> bool:
    if len(digits) != 9 or not is_ascii_digits(digits):
        return False
    d = [int(c) for c in digits]
    total = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])
    return total % 10 == 0


@dataclass(frozen=True, repr=False)
class BankAccountInput:
    """A US bank account for eCheck (ACH) payments."""

    routing_number: str
    account_number: str
    name_on_account: str
    account_type: BankAccountType = "checking"
    echeck_type: ECheckType = "PPD"
    bank_name: str | None = None

    def __post_init__(self) -> None:
        routing = _SEPARATORS.sub("", self.routing_number or "")
        if not aba_routing_valid(routing):
            raise InvalidField(
                "routing_number",
                "The routing number must be the 9-digit ABA number printed on the cheque; "
                "this one is not valid.",
            )
        account = _SEPARATORS.sub("", self.account_number or "")
        if not is_ascii_digits(account) or not 4 <= len(account) <= 17:
            raise InvalidField("account_number", "The bank account number must be 4 to 17 digits.")
        name = (self.name_on_account or "").strip()
        if not name:
            raise InvalidField("name_on_account", "Enter the name on the bank account.")
        _check_length("name_on_account", "The name on the account", name, 22)
        if self.account_type not in ("checking", "savings", "businessChecking"):
            raise InvalidField(
                "account_type", "The account type must be checking, savings or business checking."
            )
        if self.echeck_type not in ("PPD", "WEB", "CCD", "TEL"):
            raise InvalidField("echeck_type", "The eCheck type must be PPD, WEB, CCD or TEL.")
        _check_length("bank_name", "The bank name", self.bank_name, 50)
        object.__setattr__(self, "routing_number", routing)
        object.__setattr__(self, "account_number", account)
        object.__setattr__(self, "name_on_account", name)

    @property
    def last4(self) -> str:
        return self.account_number[-4:]

    def __repr__(self) -> str:
        return (
            f"BankAccountInput(routing {self.routing_number}, ****{self.last4}, "
            f"{self.account_type})"
        )

    __str__ = __repr__


@dataclass(frozen=True, repr=False)
class AcceptNonce:
    """A one-time Accept.js payment nonce (``opaqueData``)."""

    value: str
    descriptor: str = ACCEPT_DESCRIPTOR

    def __post_init__(self) -> None:
        if not (self.value or "").strip():
            raise InvalidField("nonce", "The payment form did not return a payment token.")
        if not (self.descriptor or "").strip():
            raise InvalidField("nonce", "The payment token has no descriptor.")

    def __repr__(self) -> str:
        return f"AcceptNonce({self.descriptor}, ****)"

    __str__ = __repr__


@dataclass(frozen=True)
class BillingAddress:
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    address: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    phone: str | None = None

    def __post_init__(self) -> None:
        for name, label, limit in (
            ("first_name", "The first name", 50),
            ("last_name", "The last name", 50),
            ("company", "The company", 50),
            ("address", "The address", 60),
            ("city", "The city", 40),
            ("state", "The state", 40),
            ("zip", "The ZIP/postal code", 20),
            ("country", "The country", 60),
            ("phone", "The phone number", 25),
        ):
            _check_length(name, label, getattr(self, name), limit)


@dataclass(frozen=True)
class CustomerProfileInput:
    merchant_customer_id: str | None = None
    description: str | None = None
    email: str | None = None

    def __post_init__(self) -> None:
        if not (self.merchant_customer_id or self.description or self.email):
            raise InvalidField(
                "merchant_customer_id",
                "A customer profile needs a customer id, a description or an email address.",
            )
        _check_length("merchant_customer_id", "The customer id", self.merchant_customer_id, 20)
        _check_length("description", "The description", self.description, 255)
        _check_length("email", "The email address", self.email, 255)
        if self.email and not _EMAIL.match(self.email):
            raise InvalidField("email", f"{self.email!r} is not a valid email address.")


@dataclass(frozen=True)
class MaskedPaymentProfile:
    """What may be kept and shown about a stored payment method: ids, brand, last 4, expiry."""

    customer_profile_id: str
    payment_profile_id: str
    kind: PaymentKind
    brand: str | None
    last4: str
    exp_month: int | None
    exp_year: int | None
    billing_address: BillingAddress | None
    is_default: bool
    account_type: str | None = None
    name_on_account: str | None = None
    routing_last4: str | None = None

    def is_expired(self, today: date) -> bool:
        if self.exp_month is None or self.exp_year is None:
            return False
        return _expired(self.exp_month, self.exp_year, today)


@dataclass(frozen=True)
class CustomerProfile:
    customer_profile_id: str
    merchant_customer_id: str | None
    description: str | None
    email: str | None
    payment_profiles: tuple[MaskedPaymentProfile, ...] = ()


def check_amount(amount: Decimal, field_name: str = "amount") -> Decimal:
    """A positive amount in dollars and cents, as a Decimal (floats are refused)."""
    if isinstance(amount, bool) or not isinstance(amount, Decimal):
        raise InvalidField(
            field_name, f"The amount must be a Decimal, not {type(amount).__name__}."
        )
    try:
        if not amount.is_finite() or amount != amount.quantize(_CENT):
            raise InvalidField(field_name, "The amount must be in whole cents, e.g. 12.34.")
    except InvalidOperation:
        raise InvalidField(field_name, "The amount is too large.") from None
    if amount <= 0:
        raise InvalidField(field_name, "The amount must be greater than zero.")
    if amount > _MAX_AMOUNT:
        raise InvalidField(field_name, f"The amount may be at most {_MAX_AMOUNT}.")
    return amount.quantize(_CENT)


def check_invoice_number(invoice_number: str | None) -> str:
    """The invoice number a charge or refund is sent with: 1 to 20 characters."""
    value = invoice_number.strip() if isinstance(invoice_number, str) else ""
    if not value:
        raise InvalidField(
            "invoice_number",
            "Give the invoice number: the gateway keeps it with the transaction, and it is "
            "how the transaction is found again if its answer is lost.",
        )
    _check_length("invoice_number", "The invoice number", value, 20)
    return value


def check_year_month(month: str) -> tuple[int, int]:
    match = _MONTH.match(month or "")
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise InvalidField("month", f"Give the month as YYYY-MM, e.g. 2030-07 (got {month!r}).")
    return int(match.group(1)), int(match.group(2))


@dataclass(frozen=True)
class ChargeRequest:
    """Charge a stored payment profile (``authCaptureTransaction``).

    ``invoice_number`` is required: the gateway keeps it with the transaction (it keeps
    no ``ref_id``), so it is what finds a charge whose answer was lost. ``cvv`` is
    optional: when the customer is present it lets the issuer check the security code
    again. It is never shown by ``repr``.
    """

    customer_profile_id: str
    payment_profile_id: str
    amount: Decimal
    invoice_number: str = field(kw_only=True)
    ref_id: str | None = None
    description: str | None = None
    duplicate_window_s: int = DEFAULT_DUPLICATE_WINDOW_S
    cvv: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.customer_profile_id or not self.payment_profile_id:
            raise InvalidField("payment_profile_id", "Choose the payment profile to charge.")
        object.__setattr__(self, "amount", check_amount(self.amount))
        if self.cvv is not None and (not is_ascii_digits(self.cvv) or len(self.cvv) not in (3, 4)):
            raise InvalidField("cvv", "The security code (CVV) must be 3 or 4 digits.")
        object.__setattr__(self, "invoice_number", check_invoice_number(self.invoice_number))
        _check_length("ref_id", "The reference id", self.ref_id, 20)
        _check_length("description", "The description", self.description, 255)
        if not 0 <= self.duplicate_window_s <= MAX_DUPLICATE_WINDOW_S:
            raise InvalidField(
                "duplicate_window_s",
                f"The duplicate window must be 0 to {MAX_DUPLICATE_WINDOW_S} seconds.",
            )


@dataclass(frozen=True)
class RefundRequest:
    """Refund (part of) a settled transaction back to the card or account it came from.

    ``last4`` is the last four digits of the card or bank account the original
    transaction used (the gateway matches it against the original).
    ``invoice_number`` is required for the same reason as a charge's: it is what finds
    a refund whose answer was lost.
    """

    transaction_id: str
    amount: Decimal
    last4: str
    invoice_number: str = field(kw_only=True)
    kind: PaymentKind = "card"
    ref_id: str | None = None
    customer_profile_id: str | None = None
    payment_profile_id: str | None = None

    def __post_init__(self) -> None:
        if not self.transaction_id:
            raise InvalidField("transaction_id", "Choose the transaction to refund.")
        object.__setattr__(self, "amount", check_amount(self.amount))
        if len(self.last4) != 4 or not is_ascii_digits(self.last4):
            raise InvalidField("last4", "Give the last 4 digits of the card or account.")
        object.__setattr__(self, "invoice_number", check_invoice_number(self.invoice_number))
        _check_length("ref_id", "The reference id", self.ref_id, 20)


@dataclass(frozen=True)
class ChargeResult:
    """The gateway's verdict on a charge.

    The gateway's answer to a charge carries no amount, so ``requested_amount``,
    ``ref_id`` and ``invoice_number`` are what was *sent*, named as such; the amount the
    gateway holds is in ``transaction_details`` (``amount`` / ``settle_amount``).
    """

    transaction_id: str
    response_code: str
    auth_code: str | None
    avs_result_code: str | None
    cvv_result_code: str | None
    account_number_masked: str | None
    account_type: str | None
    message: str
    requested_amount: Decimal
    ref_id: str | None = None
    invoice_number: str | None = None

    @property
    def approved(self) -> bool:
        return self.response_code == "1"

    @property
    def held_for_review(self) -> bool:
        """Response code 4: the transaction exists but waits for the merchant's review.

        No error is raised for it because money may still move; record it as pending
        and follow it with ``transaction_details``.
        """
        return self.response_code == "4"


@dataclass(frozen=True)
class TransactionResult:
    """The answer to a refund or a void. ``requested_amount`` is what a refund asked for
    (None for a void); like ``ChargeResult`` the answer itself carries no amount."""

    transaction_id: str
    response_code: str
    reference_transaction_id: str
    auth_code: str | None
    message: str
    requested_amount: Decimal | None = None
    ref_id: str | None = None

    @property
    def held_for_review(self) -> bool:
        return self.response_code == "4"


@dataclass(frozen=True)
class TransactionDetails:
    transaction_id: str
    status: str
    transaction_type: str | None
    submitted_at: datetime
    settled_at: datetime | None
    amount: Decimal | None
    settle_amount: Decimal | None
    invoice_number: str | None
    ref_id: str | None
    customer_profile_id: str | None
    payment_profile_id: str | None
    response_code: str | None
    reason_code: str | None = None
    reason: str | None = None
    auth_code: str | None = None
    account_number_masked: str | None = None
    reference_transaction_id: str | None = None


@dataclass(frozen=True)
class TransactionSummary:
    transaction_id: str
    status: str
    submitted_at: datetime
    settle_amount: Decimal | None
    invoice_number: str | None
    account_number_masked: str | None
    account_type: str | None
    customer_profile_id: str | None
    payment_profile_id: str | None
    first_name: str | None = None
    last_name: str | None = None

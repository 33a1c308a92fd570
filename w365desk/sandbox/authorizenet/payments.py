"""Reading a request's ``payment`` element into a checked payment, and storing it safely.

A full card number lives only inside a ``CardInput`` while one request is handled,
and only a published test card gets that far; ``to_stored`` turns it into brand,
last four, expiry and a fingerprint (see ``state`` for why that is safe to keep).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from xml.etree.ElementTree import Element

from w365desk.sandbox.authorizenet.cards import (
    NOT_A_TEST_CARD_REASON_TEXT,
    NOT_A_TEST_CARD_TEXT,
    Expiry,
    bank_account_number_valid,
    brand_of,
    card_code_valid,
    card_number_well_formed,
    is_masked,
    is_test_card,
    last4_of,
    parse_expiry,
    routing_number_valid,
)
from w365desk.sandbox.authorizenet.errors import ApiError
from w365desk.sandbox.authorizenet.records import StoredPayment
from w365desk.sandbox.authorizenet.state import SandboxState, public_card_fingerprint
from w365desk.sandbox.authorizenet.xmlio import find, text_of

ACCEPT_DATA_DESCRIPTOR = "COMMON.ACCEPT.INAPP.PAYMENT"
BANK_ACCOUNT_TYPES = ("checking", "savings", "businessChecking")
ECHECK_TYPES = ("PPD", "WEB", "CCD", "TEL", "ARC", "BOC")


class PaymentProblem(Exception):
    """A payment field failed a check.

    Profile calls report it as E00013/E00014 with ``api_text``; transactions report it
    as a response-code-3 error with ``reason`` (the gateway's reason code) and
    ``reason_text`` when the reason's standard text would not say enough.
    """

    def __init__(
        self, api_code: str, api_text: str, reason: int, reason_text: str | None = None
    ) -> None:
        super().__init__(api_text)
        self.api_code = api_code
        self.api_text = api_text
        self.reason = reason
        self.reason_text = reason_text

    def as_api_error(self) -> ApiError:
        return ApiError(self.api_code, self.api_text)


@dataclass(frozen=True)
class CardInput:
    number: str | None  # None when the request repeated the masked "XXXX1111"
    last4: str
    expiry: Expiry | None  # None when the request repeated the masked "XXXX"
    card_code: str | None


@dataclass(frozen=True)
class BankInput:
    account_type: str | None
    routing_number: str | None  # None when masked
    account_number: str | None  # None when masked
    last4: str
    name_on_account: str
    echeck_type: str | None
    bank_name: str | None


PaymentInput = CardInput | BankInput


@dataclass(frozen=True)
class NonceCard:
    number: str
    expiry: Expiry
    card_code: str | None


@dataclass(frozen=True)
class NonceBank:
    account_type: str
    routing_number: str
    account_number: str
    name_on_account: str


class NonceRedeemer(Protocol):
    def redeem(self, data_value: str) -> NonceCard | NonceBank:
        """The payment behind a one-time Accept nonce; raises ApiError E00114/E00115."""
        ...


def read_payment(
    payment: Element | None,
    *,
    now: datetime,
    nonces: NonceRedeemer,
    existing: StoredPayment | None = None,
) -> PaymentInput:
    """Check and read ``payment``; ``existing`` allows masked values to mean "keep as is"."""
    if payment is None or len(payment) == 0:
        raise ApiError("E00029")
    card = find(payment, "creditCard")
    if card is not None:
        return _read_card(card, now=now, existing=existing)
    bank = find(payment, "bankAccount")
    if bank is not None:
        return _read_bank(bank, existing=existing)
    opaque = find(payment, "opaqueData")
    if opaque is not None:
        return _read_opaque(opaque, now=now, nonces=nonces)
    raise ApiError("E00029")


def _read_card(card: Element, *, now: datetime, existing: StoredPayment | None) -> CardInput:
    raw_number = text_of(card, "cardNumber")
    raw_expiry = text_of(card, "expirationDate")
    card_code = text_of(card, "cardCode")
    if raw_number is None:
        raise PaymentProblem("E00014", "Card Number is required.", 33)
    if raw_expiry is None:
        raise PaymentProblem("E00014", "Expiration Date is required.", 33)
    keep_number = existing is not None and existing.kind == "card" and is_masked(raw_number)
    if keep_number:
        assert existing is not None
        if last4_of(raw_number) != existing.last4:
            raise PaymentProblem("E00013", "Card Number is invalid.", 6)
        number: str | None = None
        last4 = existing.last4
        brand = existing.brand
    else:
        if not card_number_well_formed(raw_number):
            raise PaymentProblem("E00013", "Card Number is invalid.", 6)
        if not is_test_card(raw_number):
            raise PaymentProblem("E00013", NOT_A_TEST_CARD_TEXT, 6, NOT_A_TEST_CARD_REASON_TEXT)
        number = raw_number
        last4 = raw_number[-4:]
        brand = brand_of(raw_number)
    expiry: Expiry | None
    if existing is not None and existing.kind == "card" and is_masked(raw_expiry):
        expiry = None
    else:
        expiry = parse_expiry(raw_expiry)
        if expiry is None:
            raise PaymentProblem("E00013", "Expiration Date is invalid.", 7)
        if expiry.expired_at(now):
            raise PaymentProblem("E00013", "The credit card has expired.", 8)
    if card_code is not None and not card_code_valid(card_code, brand):
        raise PaymentProblem("E00013", "Card Code is invalid.", 78)
    return CardInput(number=number, last4=last4, expiry=expiry, card_code=card_code)


def _read_bank(bank: Element, *, existing: StoredPayment | None) -> BankInput:
    account_type = text_of(bank, "accountType")
    routing = text_of(bank, "routingNumber")
    account = text_of(bank, "accountNumber")
    name = text_of(bank, "nameOnAccount")
    echeck_type = text_of(bank, "echeckType")
    if routing is None:
        raise PaymentProblem("E00014", "Routing Number is required.", 9)
    if account is None:
        raise PaymentProblem("E00014", "Account Number is required.", 10)
    if not name:
        raise PaymentProblem("E00014", "Name on Account is required.", 33)
    if account_type is not None and account_type not in BANK_ACCOUNT_TYPES:
        raise PaymentProblem("E00013", "Account Type is invalid.", 290)
    if echeck_type is not None and echeck_type not in ECHECK_TYPES:
        raise PaymentProblem("E00013", "eCheck Type is invalid.", 290)
    keep = existing is not None and existing.kind == "bank"
    routing_kept = keep and is_masked(routing)
    account_kept = keep and is_masked(account)
    if routing_kept:
        assert existing is not None
        if last4_of(routing) != existing.routing_last4:
            raise PaymentProblem("E00013", "Routing Number is invalid.", 9)
    elif not routing_number_valid(routing):
        raise PaymentProblem("E00013", "Routing Number is invalid.", 9)
    if account_kept:
        assert existing is not None
        if last4_of(account) != existing.last4:
            raise PaymentProblem("E00013", "Account Number is invalid.", 10)
    elif not bank_account_number_valid(account):
        raise PaymentProblem("E00013", "Account Number is invalid.", 10)
    if routing_kept != account_kept:
        # A fingerprint covers routing and account together: both change or neither.
        raise PaymentProblem("E00013", "Account Number is invalid.", 10)
    return BankInput(
        account_type=account_type,
        routing_number=None if routing_kept else routing,
        account_number=None if account_kept else account,
        last4=last4_of(account),
        name_on_account=name,
        echeck_type=echeck_type,
        bank_name=text_of(bank, "bankName"),
    )


def _read_opaque(opaque: Element, *, now: datetime, nonces: NonceRedeemer) -> PaymentInput:
    descriptor = text_of(opaque, "dataDescriptor")
    value = text_of(opaque, "dataValue")
    if descriptor != ACCEPT_DATA_DESCRIPTOR or not value:
        raise ApiError("E00114")
    redeemed = nonces.redeem(value)
    if isinstance(redeemed, NonceBank):
        return BankInput(
            account_type=redeemed.account_type,
            routing_number=redeemed.routing_number,
            account_number=redeemed.account_number,
            last4=redeemed.account_number[-4:],
            name_on_account=redeemed.name_on_account,
            echeck_type="WEB",
            bank_name=None,
        )
    if redeemed.expiry.expired_at(now):
        raise PaymentProblem("E00013", "The credit card has expired.", 8)
    return CardInput(
        number=redeemed.number,
        last4=redeemed.number[-4:],
        expiry=redeemed.expiry,
        card_code=redeemed.card_code,
    )


def card_brand_of(payment: PaymentInput, existing: StoredPayment | None = None) -> str:
    if isinstance(payment, BankInput):
        return "eCheck"
    if payment.number is not None:
        return brand_of(payment.number)
    return existing.brand if existing is not None else "Unknown"


def to_stored(
    payment: PaymentInput, state: SandboxState, existing: StoredPayment | None = None
) -> StoredPayment:
    """The at-rest form: no full number, no card code; masked parts kept from ``existing``."""
    if isinstance(payment, CardInput):
        if payment.number is not None:
            fingerprint = public_card_fingerprint(payment.number)
        else:
            assert existing is not None
            fingerprint = existing.fingerprint
        expiry: str | None
        if payment.expiry is not None:
            expiry = payment.expiry.iso()
        else:
            assert existing is not None
            expiry = existing.expiry
        return StoredPayment(
            kind="card",
            fingerprint=fingerprint,
            last4=payment.last4,
            brand=card_brand_of(payment, existing),
            expiry=expiry,
        )
    if payment.routing_number is not None and payment.account_number is not None:
        fingerprint = state.bank_fingerprint(payment.routing_number, payment.account_number)
        routing_last4 = payment.routing_number[-4:]
    else:
        assert existing is not None
        fingerprint = existing.fingerprint
        routing_last4 = existing.routing_last4 or ""
    return StoredPayment(
        kind="bank",
        fingerprint=fingerprint,
        last4=payment.last4,
        brand="eCheck",
        bank_account_type=payment.account_type,
        routing_last4=routing_last4,
        name_on_account=payment.name_on_account,
        echeck_type=payment.echeck_type,
        bank_name=payment.bank_name,
    )

"""Reading Authorize.Net XML answers into the gateway's value types: every reader in one place.

Answers are parsed with lxml directly rather than with the SDK's ``CreateFromDocument``
+ objectify round trip: that costs ~9 ms of GIL-holding CPU per answer (it would cap
parallel throughput) and rejects answers carrying elements newer than the SDK's bundled
schema. The parser is hardened (no entities, no network), namespaces are dropped, and
values are read as text — never guessed into numbers, so ids like ``0123`` and amounts
like ``10.10`` survive exactly.
"""

from __future__ import annotations

import codecs
import re
import threading
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from lxml import etree

from w365desk.gateway.types import (
    BillingAddress,
    ChargeRequest,
    ChargeResult,
    CustomerProfile,
    MaskedPaymentProfile,
    TransactionDetails,
    TransactionResult,
    TransactionSummary,
)

Element = etree._Element


class UnreadableResponse(Exception):
    """The body is not an Authorize.Net answer we can read."""


_local = threading.local()
_FRACTION = re.compile(r"(\.\d{6})\d+")
_EXPIRY = re.compile(r"^(\d{4})-(\d{2})$")


def _parser() -> etree.XMLParser:
    # lxml parsers must not be shared between threads.
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True
        )
        _local.parser = parser
    return parser


def parse(body: bytes, expected_root: str) -> Element:
    """The answer's root element without namespaces; ``ErrorResponse`` is also accepted."""
    body = body.removeprefix(codecs.BOM_UTF8)
    try:
        root = etree.fromstring(body, parser=_parser())
    except (etree.XMLSyntaxError, ValueError) as error:
        raise UnreadableResponse(f"not well-formed XML ({error.__class__.__name__})") from None
    if root is None:
        raise UnreadableResponse("empty answer")
    for element in root.iter():
        if isinstance(element.tag, str):
            element.tag = etree.QName(element).localname
    if root.tag not in (expected_root, "ErrorResponse"):
        raise UnreadableResponse(f"unexpected answer <{root.tag}> instead of <{expected_root}>")
    if text(root, "messages/resultCode") not in ("Ok", "Error"):
        raise UnreadableResponse("the answer has no result code")
    return root


def text(element: Element | None, path: str) -> str | None:
    """The stripped text at ``path``, or None when missing or empty."""
    if element is None:
        return None
    value = element.findtext(path)
    if value is None:
        return None
    value = value.strip()
    return value or None


def is_ok(root: Element) -> bool:
    return text(root, "messages/resultCode") == "Ok"


def first_message(root: Element) -> tuple[str, str]:
    message = root.find("messages/message")
    return (text(message, "code") or "unknown", text(message, "text") or "")


def decimal(element: Element | None, path: str) -> Decimal | None:
    value = text(element, path)
    if value is None:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        raise UnreadableResponse(f"{path} is not a number") from None


def utc_datetime(element: Element | None, path: str) -> datetime | None:
    value = text(element, path)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(_FRACTION.sub(r"\1", value).replace("Z", "+00:00"))
    except ValueError:
        raise UnreadableResponse(f"{path} is not a date-time") from None
    # The *UTC fields carry no offset at times; they are UTC by definition.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def boolean(element: Element | None, path: str) -> bool:
    return (text(element, path) or "").lower() == "true"


def last4(masked: str | None) -> str:
    digits = "".join(ch for ch in masked or "" if ch.isdigit())
    return digits[-4:]


def billing_address(element: Element | None) -> BillingAddress | None:
    if element is None:
        return None
    return BillingAddress(
        first_name=text(element, "firstName"),
        last_name=text(element, "lastName"),
        company=text(element, "company"),
        address=text(element, "address"),
        city=text(element, "city"),
        state=text(element, "state"),
        zip=text(element, "zip"),
        country=text(element, "country"),
        phone=text(element, "phoneNumber"),
    )


def payment_profile(
    element: Element,
    customer_profile_id: str | None = None,
    expiry_hint: tuple[int, int] | None = None,
) -> MaskedPaymentProfile:
    """A ``paymentProfile`` element (masked payment) as a ``MaskedPaymentProfile``.

    ``expiry_hint`` (year, month) fills a masked ``XXXX`` expiry when the caller
    knows it, e.g. from a cards-expiring-in-month search.
    """
    profile_id = text(element, "customerProfileId") or customer_profile_id
    payment_id = text(element, "customerPaymentProfileId")
    if not profile_id or not payment_id:
        raise UnreadableResponse("a payment profile without ids")
    card = element.find("payment/creditCard")
    bank = element.find("payment/bankAccount")
    billing = billing_address(element.find("billTo"))
    is_default = boolean(element, "defaultPaymentProfile")
    if card is not None:
        exp_month: int | None = None
        exp_year: int | None = None
        match = _EXPIRY.match(text(card, "expirationDate") or "")
        if match:
            exp_year, exp_month = int(match.group(1)), int(match.group(2))
        elif expiry_hint is not None:
            exp_year, exp_month = expiry_hint
        return MaskedPaymentProfile(
            customer_profile_id=profile_id,
            payment_profile_id=payment_id,
            kind="card",
            brand=text(card, "cardType"),
            last4=last4(text(card, "cardNumber")),
            exp_month=exp_month,
            exp_year=exp_year,
            billing_address=billing,
            is_default=is_default,
        )
    if bank is not None:
        return MaskedPaymentProfile(
            customer_profile_id=profile_id,
            payment_profile_id=payment_id,
            kind="bank",
            brand=None,
            last4=last4(text(bank, "accountNumber")),
            exp_month=None,
            exp_year=None,
            billing_address=billing,
            is_default=is_default,
            account_type=text(bank, "accountType"),
            name_on_account=text(bank, "nameOnAccount"),
            routing_last4=last4(text(bank, "routingNumber")) or None,
        )
    raise UnreadableResponse("a payment profile with neither card nor bank account")


def customer_profile(element: Element) -> CustomerProfile:
    profile_id = text(element, "customerProfileId")
    if not profile_id:
        raise UnreadableResponse("a customer profile without an id")
    return CustomerProfile(
        customer_profile_id=profile_id,
        merchant_customer_id=text(element, "merchantCustomerId"),
        description=text(element, "description"),
        email=text(element, "email"),
        payment_profiles=tuple(
            payment_profile(item, profile_id) for item in element.findall("paymentProfiles")
        ),
    )


def transaction_details(element: Element) -> TransactionDetails:
    transaction_id = text(element, "transId")
    submitted = utc_datetime(element, "submitTimeUTC")
    if not transaction_id or submitted is None:
        raise UnreadableResponse("a transaction without id or submit time")
    payment = element.find("payment")
    masked = text(payment, "creditCard/cardNumber") or text(payment, "bankAccount/accountNumber")
    return TransactionDetails(
        transaction_id=transaction_id,
        status=text(element, "transactionStatus") or "unknown",
        transaction_type=text(element, "transactionType"),
        submitted_at=submitted,
        settled_at=utc_datetime(element, "batch/settlementTimeUTC"),
        amount=decimal(element, "authAmount"),
        settle_amount=decimal(element, "settleAmount"),
        invoice_number=text(element, "order/invoiceNumber"),
        ref_id=None,  # the gateway does not keep a transaction's refId
        customer_profile_id=text(element, "profile/customerProfileId"),
        payment_profile_id=text(element, "profile/customerPaymentProfileId"),
        response_code=text(element, "responseCode"),
        reason_code=text(element, "responseReasonCode"),
        reason=text(element, "responseReasonDescription"),
        auth_code=text(element, "authCode"),
        account_number_masked=masked,
        reference_transaction_id=text(element, "refTransId"),
    )


def transaction_summary(element: Element) -> TransactionSummary:
    transaction_id = text(element, "transId")
    submitted = utc_datetime(element, "submitTimeUTC")
    if not transaction_id or submitted is None:
        raise UnreadableResponse("a transaction without id or submit time")
    return TransactionSummary(
        transaction_id=transaction_id,
        status=text(element, "transactionStatus") or "unknown",
        submitted_at=submitted,
        settle_amount=decimal(element, "settleAmount"),
        invoice_number=text(element, "invoiceNumber"),
        account_number_masked=text(element, "accountNumber"),
        account_type=text(element, "accountType"),
        customer_profile_id=text(element, "profile/customerProfileId"),
        payment_profile_id=text(element, "profile/customerPaymentProfileId"),
        first_name=text(element, "firstName"),
        last_name=text(element, "lastName"),
    )


# --- ids, counts and verdicts -------------------------------------------------------------


def result_count(root: Element, fallback: int) -> int:
    """``totalNumInResultSet`` of a paged list (``fallback`` when the answer has none)."""
    value = text(root, "totalNumInResultSet")
    if value is None:
        return fallback
    if not value.isascii() or not value.isdigit():
        raise UnreadableResponse("totalNumInResultSet is not a number")
    return int(value)


def live_transaction_id(value: str | None) -> str | None:
    """A transaction id, or None for the gateway's "no transaction" id 0."""
    return value if value not in (None, "", "0") else None


def refusal(element: Element | None, root: Element) -> tuple[str | None, str | None]:
    """A refused transaction's reason code and text: ``errors`` first, then ``messages``."""
    error = element.find("errors/error") if element is not None else None
    if error is not None:
        return text(error, "errorCode"), text(error, "errorText")
    reason = text(element, "messages/message/description")
    if reason is not None:
        return text(element, "messages/message/code"), reason
    return first_message(root)


def _verdict_text(element: Element) -> str:
    return (
        text(element, "messages/message/description")
        or ("Held for review." if text(element, "responseCode") == "4" else "")
        or "Approved."
    )


def charge_result(element: Element, request: ChargeRequest) -> ChargeResult:
    """An approved (or held) charge's ``transactionResponse``."""
    return ChargeResult(
        transaction_id=text(element, "transId") or "",
        response_code=text(element, "responseCode") or "",
        auth_code=text(element, "authCode"),
        avs_result_code=text(element, "avsResultCode"),
        cvv_result_code=text(element, "cvvResultCode"),
        account_number_masked=text(element, "accountNumber"),
        account_type=text(element, "accountType"),
        message=_verdict_text(element),
        requested_amount=request.amount,
        ref_id=request.ref_id,
        invoice_number=request.invoice_number,
    )


def transaction_result(
    element: Element,
    reference_transaction_id: str,
    *,
    requested_amount: Decimal | None = None,
    ref_id: str | None = None,
) -> TransactionResult:
    """An approved refund's or void's ``transactionResponse``."""
    return TransactionResult(
        transaction_id=text(element, "transId") or "",
        response_code=text(element, "responseCode") or "",
        reference_transaction_id=reference_transaction_id,
        auth_code=text(element, "authCode"),
        message=_verdict_text(element),
        requested_amount=requested_amount,
        ref_id=ref_id,
    )

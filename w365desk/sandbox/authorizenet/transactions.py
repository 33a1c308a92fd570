"""createTransactionRequest: charges (authCaptureTransaction), refunds and voids.

- A charge uses a stored profile or a card, bank account or Accept nonce in the request.
- An identical charge (same type, amount, invoice number and payment) inside the
  duplicate window (``duplicateWindow`` setting, default 120 s, at most 28 800 s, 0 off)
  is refused with response code 3, reason 11, and charges nothing. The original's id
  and codes come back only when the request sent ``duplicateWindow``, as documented.
- A refund needs a *settled* charge, the card's last four (expiry ``XXXX``) or the same
  profile, and an amount no larger than what is left to refund (reasons 54 and 55).
- A void needs an *unsettled* charge or refund.

Approved and declined transactions answer ``resultCode`` Ok (the transaction response
tells the outcome); errors (response code 3) answer Error with E00027, like the real API.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Literal
from xml.etree.ElementTree import Element

from w365desk.sandbox.authorizenet.cards import MASK, is_masked, last4_of, parse_expiry
from w365desk.sandbox.authorizenet.context import Context
from w365desk.sandbox.authorizenet.errors import (
    OK,
    OK_TEXT,
    ApiError,
    api_text,
    missing_field,
    reason_text,
)
from w365desk.sandbox.authorizenet.fields import limited_text, read_address
from w365desk.sandbox.authorizenet.payments import (
    CardInput,
    PaymentProblem,
    read_payment,
    to_stored,
)
from w365desk.sandbox.authorizenet.processor import authorize, new_network_trans_id
from w365desk.sandbox.authorizenet.records import (
    CAPTURED,
    DECLINED,
    REFUND_PENDING,
    SETTLED,
    VOIDABLE,
    VOIDED,
    LedgerEntry,
    Transaction,
)
from w365desk.sandbox.authorizenet.shapes import add_profile_ids, api_response
from w365desk.sandbox.authorizenet.xmlio import find, leaf, sub, sub_if, text_of

CHARGE = "authCaptureTransaction"
REFUND = "refundTransaction"
VOID = "voidTransaction"
DEFAULT_DUPLICATE_WINDOW = 120
MAX_DUPLICATE_WINDOW = 28800
PROFILE_NOT_FOUND_TEXT = "Customer Profile ID or Customer Payment Profile ID not found."


@dataclass(frozen=True)
class Outcome:
    """What one transaction request produced, ready to be written as a transactionResponse."""

    response_code: int
    reason_code: int
    trans_id: str = "0"
    ref_trans_id: str = ""
    auth_code: str = ""
    avs_code: str = ""
    cvv_code: str = ""
    account_number: str = ""
    account_type: str = ""
    customer_profile_id: str | None = None
    payment_profile_id: str | None = None
    network_trans_id: str = ""
    text: str | None = None  # when the reason code's standard text would not say enough


def create_transaction(ctx: Context, request: Element) -> Element:
    transaction = find(request, "transactionRequest")
    if transaction is None:
        raise missing_field("Transaction Request")
    kind = text_of(transaction, "transactionType")
    if kind is None:
        raise missing_field("Transaction Type")
    if kind == CHARGE:
        outcome = _charge(ctx, transaction)
    elif kind == REFUND:
        outcome = _refund(ctx, transaction)
    elif kind == VOID:
        outcome = _void(ctx, transaction)
    else:
        raise ApiError("E00060")
    return _response(ctx, outcome)


# --- charges -----------------------------------------------------------------------------------


def _charge(ctx: Context, request: Element) -> Outcome:
    amount = _amount(request)
    if amount is None:
        return Outcome(3, 5)
    invoice = limited_text(request, "order/invoiceNumber", 20)
    description = limited_text(request, "order/description", 255)
    profile_element = find(request, "profile")
    customer_profile_id: str | None = None
    payment_profile_id: str | None = None
    card_code: str | None
    if profile_element is not None and text_of(profile_element, "customerProfileId"):
        customer_profile_id = text_of(profile_element, "customerProfileId")
        payment_profile_id = text_of(profile_element, "paymentProfile/paymentProfileId")
        if payment_profile_id is None:
            raise ApiError(
                "E00110", "CustomerPaymentProfileId is not provided within Customer Profile."
            )
        stored_profile = ctx.state.payment_profiles.get(payment_profile_id)
        if stored_profile is None or stored_profile.customer_profile_id != customer_profile_id:
            raise ApiError("E00040", PROFILE_NOT_FOUND_TEXT)
        payment = stored_profile.payment
        bill_to = stored_profile.bill_to
        card_code = text_of(profile_element, "paymentProfile/cardCode")
        expiry = parse_expiry(payment.expiry) if payment.expiry else None
        if expiry is not None and expiry.expired_at(ctx.now):
            return Outcome(3, 8, account_number=payment.masked_number, account_type=payment.brand)
        payment_key = f"profile:{payment_profile_id}"
    else:
        try:
            given = read_payment(find(request, "payment"), now=ctx.now, nonces=ctx.nonces)
        except PaymentProblem as problem:
            return Outcome(3, problem.reason, text=problem.reason_text)
        payment = to_stored(given, ctx.state)
        bill_to = read_address(request, "billTo")
        card_code = given.card_code if isinstance(given, CardInput) else None
        payment_key = f"{payment.kind}:{payment.fingerprint}"
    duplicate_key = _duplicate_key(CHARGE, amount, invoice, payment_key)
    duplicate = _recent_duplicate(ctx, request, duplicate_key)
    if duplicate is not None:
        return duplicate
    decision = authorize(payment, amount, bill_to, card_code)
    record = Transaction(
        id=ctx.state.new_id("transaction"),
        type=CHARGE,
        status=CAPTURED if decision.approved else DECLINED,
        response_code=decision.response_code,
        reason_code=decision.reason_code,
        amount=amount,
        submitted_at=ctx.now,
        payment=payment,
        auth_code=decision.auth_code,
        avs_code=decision.avs_code,
        cvv_code=decision.cvv_code,
        network_trans_id=new_network_trans_id() if decision.approved else "",
        duplicate_key=duplicate_key,
        bill_to=bill_to,
        invoice_number=invoice,
        description=description,
        ref_id=ctx.ref_id,
        customer_type=text_of(request, "customer/type"),
        customer_id=limited_text(request, "customer/id", 20),
        customer_email=limited_text(request, "customer/email", 255),
        customer_ip=text_of(request, "customerIP"),
        customer_profile_id=customer_profile_id,
        payment_profile_id=payment_profile_id,
    )
    _record(ctx, record, "charge")
    return _outcome_of(record)


# --- refunds -----------------------------------------------------------------------------------


def _referenced(ctx: Context, request: Element) -> Transaction | Outcome:
    """The transaction ``refTransId`` names, or the error a refund or void gets without it:
    reason 15 for a malformed id, 16 for one the gateway does not know."""
    original_id = text_of(request, "refTransId")
    if original_id is None or not original_id.isdigit():
        return Outcome(3, 15)
    original = ctx.state.transactions.get(original_id)
    return Outcome(3, 16) if original is None else original


def _refund(ctx: Context, request: Element) -> Outcome:
    amount = _amount(request)
    if amount is None:
        return Outcome(3, 5)
    original = _referenced(ctx, request)
    if isinstance(original, Outcome):
        return original
    if original.type != CHARGE or original.status != SETTLED:
        return Outcome(3, 54)
    if not _same_payment(request, original):
        return Outcome(3, 54)
    refunded = sum(
        (t.amount for t in _refunds_of(ctx, original) if t.status != VOIDED), Decimal("0")
    )
    if amount > original.amount - refunded:
        return Outcome(3, 55)
    invoice = limited_text(request, "order/invoiceNumber", 20)
    duplicate_key = _duplicate_key(REFUND, amount, invoice, f"refund:{original.id}")
    duplicate = _recent_duplicate(ctx, request, duplicate_key)
    if duplicate is not None:
        return duplicate
    record = Transaction(
        id=ctx.state.new_id("transaction"),
        type=REFUND,
        status=REFUND_PENDING,
        response_code=1,
        reason_code=1,
        amount=amount,
        submitted_at=ctx.now,
        payment=original.payment,
        avs_code="P",
        duplicate_key=duplicate_key,
        bill_to=original.bill_to,
        invoice_number=invoice,
        description=limited_text(request, "order/description", 255),
        ref_id=ctx.ref_id,
        customer_profile_id=original.customer_profile_id,
        payment_profile_id=original.payment_profile_id,
        ref_trans_id=original.id,
    )
    _record(ctx, record, "refund")
    return _outcome_of(record)


def _same_payment(request: Element, original: Transaction) -> bool:
    """A refund names the card by last four (expiry XXXX), the account, or the same profile."""
    stored = original.payment
    card = find(request, "payment/creditCard")
    if card is not None:
        number = text_of(card, "cardNumber") or ""
        expiry = text_of(card, "expirationDate") or MASK
        if stored.kind != "card" or last4_of(number) != stored.last4:
            return False
        if is_masked(expiry):
            return True
        given = parse_expiry(expiry)
        return given is not None and given.iso() == stored.expiry
    bank = find(request, "payment/bankAccount")
    if bank is not None:
        account = text_of(bank, "accountNumber") or ""
        return stored.kind == "bank" and last4_of(account) == stored.last4
    profile = find(request, "profile")
    if profile is not None:
        return (
            text_of(profile, "customerProfileId") == original.customer_profile_id
            and text_of(profile, "paymentProfile/paymentProfileId") == original.payment_profile_id
            and original.customer_profile_id is not None
        )
    return False


def _refunds_of(ctx: Context, original: Transaction) -> list[Transaction]:
    return [
        t
        for t in ctx.state.transactions.values()
        if t.type == REFUND and t.ref_trans_id == original.id and t.response_code == 1
    ]


# --- voids -------------------------------------------------------------------------------------


def _void(ctx: Context, request: Element) -> Outcome:
    original = _referenced(ctx, request)
    if isinstance(original, Outcome):
        return original
    if original.status == VOIDED:
        return Outcome(3, 310, trans_id=original.id, ref_trans_id=original.id)
    if original.status not in VOIDABLE or original.batch_id is not None:
        # Settled (or declined) transactions are out of the void's reach.
        return Outcome(3, 16)
    original.status = VOIDED
    ctx.state.ledger.append(
        LedgerEntry(
            kind="void",
            transaction_id=original.id,
            amount=original.amount,
            ref_id=ctx.ref_id,
            invoice_number=original.invoice_number,
            customer_profile_id=original.customer_profile_id,
            payment_profile_id=original.payment_profile_id,
            response_code="1",
            at=ctx.now,
        )
    )
    return Outcome(
        1,
        1,
        trans_id=original.id,
        ref_trans_id=original.id,
        auth_code=original.auth_code,
        avs_code="P",
        account_number=original.payment.masked_number,
        account_type=original.payment.brand,
        customer_profile_id=original.customer_profile_id,
        payment_profile_id=original.payment_profile_id,
    )


# --- shared steps ------------------------------------------------------------------------------


def _amount(request: Element) -> Decimal | None:
    text = text_of(request, "amount")
    if text is None:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        return None
    return amount.quantize(Decimal("0.01"))


def _duplicate_key(kind: str, amount: Decimal, invoice: str | None, payment_key: str) -> str:
    material = f"{kind}|{amount}|{invoice or ''}|{payment_key}"
    return hashlib.sha256(material.encode()).hexdigest()


def _duplicate_window(request: Element) -> tuple[int, bool]:
    """The window in seconds, and whether the request sent it explicitly."""
    for setting in request.findall("transactionSettings/setting"):
        if text_of(setting, "settingName") == "duplicateWindow":
            value = text_of(setting, "settingValue") or ""
            try:
                seconds = int(value)
            except ValueError:
                raise ApiError("E00013", "Duplicate Window is invalid.") from None
            return min(seconds, MAX_DUPLICATE_WINDOW), True
    return DEFAULT_DUPLICATE_WINDOW, False


def _recent_duplicate(ctx: Context, request: Element, key: str) -> Outcome | None:
    window, explicit = _duplicate_window(request)
    if window <= 0:
        return None
    since = ctx.now - timedelta(seconds=window)
    for earlier in reversed(ctx.state.with_duplicate_key(key)):
        if earlier.submitted_at < since:
            break  # newest first: everything further back is older still
        if earlier.response_code in (1, 2):
            if not explicit:
                return Outcome(3, 11)
            return Outcome(
                3,
                11,
                trans_id=earlier.id,
                auth_code=earlier.auth_code,
                avs_code=earlier.avs_code,
                cvv_code=earlier.cvv_code,
                account_number=earlier.payment.masked_number,
                account_type=earlier.payment.brand,
            )
    return None


def _record(ctx: Context, record: Transaction, kind: Literal["charge", "refund"]) -> None:
    ctx.state.add_transaction(record)
    ctx.state.ledger.append(
        LedgerEntry(
            kind=kind,
            transaction_id=record.id,
            amount=record.amount,
            ref_id=record.ref_id,
            invoice_number=record.invoice_number,
            customer_profile_id=record.customer_profile_id,
            payment_profile_id=record.payment_profile_id,
            response_code=str(record.response_code),
            at=record.submitted_at,
        )
    )


def _outcome_of(record: Transaction) -> Outcome:
    return Outcome(
        record.response_code,
        record.reason_code,
        trans_id=record.id,
        ref_trans_id=record.ref_trans_id or "",
        auth_code=record.auth_code,
        avs_code=record.avs_code,
        cvv_code=record.cvv_code,
        account_number=record.payment.masked_number,
        account_type=record.payment.brand,
        customer_profile_id=record.customer_profile_id,
        payment_profile_id=record.payment_profile_id,
        network_trans_id=record.network_trans_id,
    )


def error_transaction_response(code: str, text: str) -> Element:
    """The transactionResponse of a request refused before any transaction (E00040, E00114...)."""
    result = leaf("transactionResponse")
    sub(result, "responseCode", "3")
    error = sub(sub(result, "errors"), "error")
    sub(error, "errorCode", code)
    sub(error, "errorText", text)
    return result


def _response(ctx: Context, outcome: Outcome) -> Element:
    if outcome.response_code == 3:
        root = api_response(ctx.response_name, ctx.ref_id, [("E00027", api_text("E00027"))])
    else:
        root = api_response(ctx.response_name, ctx.ref_id, [(OK, OK_TEXT)])
    result = sub(root, "transactionResponse")
    sub(result, "responseCode", str(outcome.response_code))
    sub(result, "authCode", outcome.auth_code)
    sub(result, "avsResultCode", outcome.avs_code)
    sub(result, "cvvResultCode", outcome.cvv_code)
    sub(result, "cavvResultCode", "")
    sub(result, "transId", outcome.trans_id)
    sub(result, "refTransID", outcome.ref_trans_id)
    sub(result, "transHash", "")
    sub(result, "testRequest", "0")
    sub(result, "accountNumber", outcome.account_number)
    sub(result, "accountType", outcome.account_type)
    text = outcome.text or reason_text(outcome.reason_code)
    if outcome.response_code == 1:
        message = sub(sub(result, "messages"), "message")
        sub(message, "code", str(outcome.reason_code))
        sub(message, "description", text)
    else:
        error = sub(sub(result, "errors"), "error")
        sub(error, "errorCode", str(outcome.reason_code))
        sub(error, "errorText", text)
    sub(result, "transHashSha2", "")
    if outcome.customer_profile_id and outcome.payment_profile_id:
        add_profile_ids(result, outcome.customer_profile_id, outcome.payment_profile_id)
    sub_if(result, "networkTransId", outcome.network_trans_id)
    return root

"""Gateway error codes → error kinds with messages people can act on. One table, one place.

Two code families exist: API result codes (``E000nn`` in ``messages``) and transaction
reason codes (``errorCode`` in ``transactionResponse.errors``). Gateway texts are
quoted only after ``redact`` has removed anything shaped like a card or account number.
"""

from __future__ import annotations

import re

from w365desk.gateway.errors import (
    AccountInactive,
    AuthenticationFailed,
    Declined,
    DuplicateProfile,
    DuplicateTransaction,
    FeatureNotEnabled,
    GatewayError,
    GatewayUnavailable,
    InvalidField,
    LimitReached,
    NonceExpired,
    NonceInvalid,
    NotFound,
    ProfileKind,
    RequestRejected,
    TransactionFailed,
    TransactionRejected,
    ValidationFailed,
)

_LONG_DIGIT_RUN = re.compile(r"\d(?:[ \-]?\d){12,}")
_DUPLICATE_ID = re.compile(r"ID\s+(\d+)", re.IGNORECASE)

_CHECK_SETTINGS = "Check the API login id and transaction key in Settings."

# code → (error kind, message). "{text}" is replaced by the gateway's own (redacted) text.
API_ERRORS: dict[str, tuple[type[GatewayError], str]] = {
    "E00001": (
        GatewayUnavailable,
        "The gateway had an unexpected internal error. Please try again in a moment.",
    ),
    "E00002": (RequestRejected, "The gateway refused the request's content type (program fault)."),
    "E00003": (
        RequestRejected,
        "The gateway could not read the request (XML error). This is a program fault; "
        "please report it. Gateway said: {text}",
    ),
    "E00004": (RequestRejected, "The gateway does not know this request (program fault)."),
    "E00005": (
        AuthenticationFailed,
        f"The transaction key is invalid or missing. {_CHECK_SETTINGS}",
    ),
    "E00006": (AuthenticationFailed, f"The API login id is invalid or missing. {_CHECK_SETTINGS}"),
    "E00007": (
        AuthenticationFailed,
        "The gateway rejected the API login id or transaction key. Check them in Settings, "
        "and check that they belong to the selected environment: sandbox keys do not work "
        "in production, nor production keys in the sandbox.",
    ),
    "E00008": (
        AccountInactive,
        "The merchant's Authorize.Net account is inactive, so the gateway refuses requests. "
        "Contact Authorize.Net.",
    ),
    "E00009": (
        FeatureNotEnabled,
        "The Authorize.Net account is in Test Mode and cannot process this request. "
        "Turn Test Mode off in the merchant interface.",
    ),
    "E00010": (AuthenticationFailed, "This API user may not make this request. {text}"),
    "E00011": (
        FeatureNotEnabled,
        "The Transaction Details API is not enabled for this account. Enable it in the "
        "merchant interface (Account → Settings → Transaction Details API).",
    ),
    "E00012": (RequestRejected, "The gateway rejected a duplicate subscription. {text}"),
    "E00013": (InvalidField, "The gateway rejected a value: {text}"),
    "E00014": (InvalidField, "A required value is missing: {text}"),
    "E00015": (InvalidField, "A value is too long for the gateway: {text}"),
    "E00016": (InvalidField, "A value has the wrong format for the gateway: {text}"),
    "E00027": (ValidationFailed, "The payment method could not be verified: {text}"),
    "E00029": (InvalidField, "Payment information is required: enter a card or bank account."),
    "E00040": (
        NotFound,
        "The gateway has no such record (it may have been deleted there). Gateway said: {text}",
    ),
    "E00041": (
        InvalidField,
        "A customer profile needs a customer id, a description or an email address.",
    ),
    "E00042": (
        LimitReached,
        "This customer already has the most stored payment methods the gateway allows (10). "
        "Delete one before adding another.",
    ),
    "E00043": (
        LimitReached,
        "This customer already has the most shipping addresses the gateway allows.",
    ),
    "E00044": (
        FeatureNotEnabled,
        "Customer Information Manager (CIM) is not enabled on the merchant's Authorize.Net "
        "account; stored payment methods need it. Enable it in the merchant interface.",
    ),
    "E00045": (RequestRejected, "The request's XML namespace is wrong (program fault)."),
    "E00049": (
        GatewayUnavailable,
        "The gateway's database timed out before the request completed. "
        "Please try again in a moment.",
    ),
    "E00051": (
        InvalidField,
        "The original transaction was not made with this payment profile. {text}",
    ),
    "E00053": (
        GatewayUnavailable,
        "The gateway is too busy right now; nothing was processed. Please try again in a moment.",
    ),
    "E00054": (RequestRejected, "The gateway refused the request. {text}"),
    "E00104": (
        GatewayUnavailable,
        "The gateway is down for maintenance; nothing was processed. Please try again later.",
    ),
    "E00114": (
        NonceInvalid,
        "The payment form's card token is not valid. Ask the customer to enter the card again.",
    ),
    "E00115": (
        NonceExpired,
        "The payment form's card token has expired or was already used (tokens last about "
        "15 minutes). Ask the customer to enter the card again.",
    ),
    "E00121": (NotFound, "The customer has no default payment method at the gateway."),
}

# Request-level codes that, on a charge, refund or void, provably mean "not processed":
# the gateway refuses these while reading, authenticating or validating the request,
# before any transaction is submitted to a processor. Every other code on a money
# operation is reported as OutcomeUnknown. Deliberately left out:
#   E00001 "an unexpected system error occurred while processing this request" (it may
#          have happened after the processor approved);
#   E00027 "the transaction was unsuccessful": it also accompanies reason codes 120-122,
#          127, 141 and 145, where money may have moved; without the transaction
#          response's reason code the cases cannot be told apart;
#   E00049 "the operation timed out before it could be completed" (a database timeout
#          mid-operation), and any code not known here (new codes mean nothing proven).
NOT_PROCESSED_CODES: frozenset[str] = frozenset(
    {
        "E00002",  # content type not supported
        "E00003",  # XML parse error
        "E00004",  # unknown API method
        "E00045",  # wrong XML namespace
        "E00005",  # transaction key invalid or missing
        "E00006",  # API login id invalid or missing
        "E00007",  # authentication failed
        "E00008",  # account or API user inactive
        "E00009",  # account in Test Mode: "the request cannot be processed"
        "E00010",  # no permission to call the API
        "E00011",  # no permission to call this method
        "E00013",  # a field is invalid
        "E00014",  # a required field is missing
        "E00015",  # a field has an invalid length
        "E00016",  # a field has an invalid type
        "E00029",  # payment information required
        "E00040",  # the profile, payment profile or referenced transaction does not exist
        "E00041",  # all fields empty
        "E00044",  # Customer Information Manager not enabled
        "E00051",  # the original transaction was not made with this payment profile
        "E00053",  # server too busy
        "E00104",  # server in maintenance: the method is unavailable
        "E00114",  # invalid Accept nonce
        "E00115",  # expired Accept nonce
        "E00121",  # no default payment profile
    }
)

# Transaction reason codes where the gateway's own clean-up void failed, so money may
# have moved although the response code says error (120-122) or declined (127, 141,
# 145): the authorization may still stand. Meanings from Authorize.Net's response-code
# reference; the text completes "the gateway did not confirm whether it went through (…)".
MONEY_MAY_HAVE_MOVED: dict[str, str] = {
    "120": "the processor timed out and the gateway's automatic void failed",
    "121": "the gateway had a database error and its automatic void failed",
    "122": "the gateway had a processing error and its automatic void failed",
    "127": (
        "the address check (AVS) rejected it after the card issuer approved, and the "
        "gateway's automatic void failed"
    ),
    "141": (
        "the fraud screen rejected it after the card issuer approved, and the gateway's "
        "automatic void failed"
    ),
    "145": (
        "the security code (CVV) and address (AVS) checks rejected it after the card "
        "issuer approved, and the gateway's automatic void failed"
    ),
}

# Transaction reason codes that deserve their own words (others quote the gateway).
REASON_MESSAGES: dict[str, str] = {
    "2": "The card issuer declined the transaction.",
    "3": "The card issuer declined the transaction and asks for a call (referral).",
    "4": "The card issuer declined the transaction (pick up card).",
    "5": "The amount is not valid.",
    "6": "The card number is not valid.",
    "7": "The card's expiry date is not valid.",
    "8": "The card has expired. Ask the customer for a new expiry date or card.",
    "9": "The bank routing (ABA) number is not valid.",
    "10": "The bank account number is not valid.",
    "13": f"The gateway rejected the merchant login. {_CHECK_SETTINGS}",
    "16": "The gateway cannot find the referenced transaction; check the transaction id.",
    "17": "The merchant account does not accept this type of card.",
    "19": "The processor had an error; nothing was processed. Try again in a few minutes.",
    "20": "The processor had an error; nothing was processed. Try again in a few minutes.",
    "21": "The processor had an error; nothing was processed. Try again in a few minutes.",
    "22": "The processor had an error; nothing was processed. Try again in a few minutes.",
    "23": "The processor had an error; nothing was processed. Try again in a few minutes.",
    "27": "Declined: the billing address does not match the card issuer's records (AVS).",
    "28": "The merchant does not accept this type of card.",
    "33": "A required field is missing for this transaction.",
    "36": "The authorization was approved but settlement failed.",
    "37": "The card number is not valid.",
    "44": "Declined: the security code (CVV) did not match.",
    "45": "Declined: the address (AVS) and security code (CVV) did not match.",
    "54": (
        "This transaction cannot be refunded yet: only settled transactions can be refunded "
        "(void it instead if it has not settled), and only within 180 days."
    ),
    "55": "The refunds would exceed the amount originally charged.",
    "65": "Declined: the security code (CVV) did not match.",
    "78": "The security code (CVV) is not valid.",
    "101": "The name on the account or the account type does not match the bank's records.",
    "250": "Declined by the merchant's fraud filters.",
    "251": "Declined by the merchant's fraud filters.",
    "252": "Held for review by the merchant's fraud filters.",
    "253": "Held for review by the merchant's fraud filters.",
    "254": "Declined after the merchant's review.",
    "310": "This transaction has already been voided.",
    "311": "This transaction has already been captured.",
    "315": "The card number is not valid.",
    "316": "The card's expiry date is not valid.",
    "317": "The card has expired.",
}

_FIELD_HINTS: tuple[tuple[str, str], ...] = (
    ("expir", "expiration"),
    ("card number", "card_number"),
    ("credit card", "card_number"),
    ("card code", "cvv"),
    ("cvv", "cvv"),
    ("routing", "routing_number"),
    ("aba", "routing_number"),
    ("account number", "account_number"),
    ("name on account", "name_on_account"),
    ("email", "email"),
    ("merchant customer id", "merchant_customer_id"),
    ("invoice", "invoice_number"),
    ("amount", "amount"),
    ("zip", "zip"),
    ("payment profile", "payment_profile_id"),
    ("customer profile", "customer_profile_id"),
    ("opaque", "nonce"),
    ("month", "month"),
)


def redact(text: str | None) -> str:
    """The gateway's text with anything shaped like a card or account number removed."""
    return _LONG_DIGIT_RUN.sub("[redacted]", text or "").strip()


def guess_field(text: str) -> str:
    lowered = text.lower()
    for hint, field_name in _FIELD_HINTS:
        if hint in lowered:
            return field_name
    return "request"


def duplicate_id_from_text(text: str) -> str | None:
    """E00039 for customer profiles only names the existing id inside its text."""
    match = _DUPLICATE_ID.search(text or "")
    return match.group(1) if match else None


def api_error(
    code: str,
    text: str | None,
    *,
    duplicate_kind: ProfileKind = "customer",
    existing_id: str | None = None,
) -> GatewayError:
    """The error for an API result code (``messages.message[0]``)."""
    safe_text = redact(text)
    if code == "E00039":
        found = existing_id or duplicate_id_from_text(safe_text)
        what = "customer profile" if duplicate_kind == "customer" else "payment method"
        suffix = f" (gateway id {found})" if found else ""
        return DuplicateProfile(
            found,
            duplicate_kind,
            f"The gateway already holds this {what}{suffix}; it was not added again.",
        )
    entry = API_ERRORS.get(code)
    if entry is None:
        return GatewayError(
            f"The gateway refused the request: {safe_text or 'no reason given'} ({code}).",
            code=code,
        )
    kind, template = entry
    message = template.replace("{text}", safe_text or "no details given").strip()
    if kind is InvalidField:
        return InvalidField(guess_field(safe_text), message, code=code)
    return kind(message, code=code)


_DUPLICATE_MESSAGES: dict[str, str] = {
    "charge": "so the customer was not charged twice",
    "refund": "so the customer was not refunded twice",
    "void": "so nothing was voided twice",
}

# Voiding a settled transaction also answers reason 16: only unsettled transactions
# can be found to void, so the likely fix is a refund.
_VOID_NOT_FOUND = (
    "The gateway cannot find an unsettled transaction with this id. If the charge has "
    "already settled it can no longer be voided: refund it instead."
)


def _duplicate_message(operation: str) -> str:
    outcome = _DUPLICATE_MESSAGES.get(operation, "so it did not happen twice")
    return (
        f"An identical {operation} (same amount, invoice and payment method) was submitted "
        f"moments ago; this one was not processed, {outcome}. Check the earlier one."
    )


def transaction_error(
    response_code: str,
    reason_code: str | None,
    text: str | None,
    transaction_id: str | None,
    *,
    operation: str = "charge",
) -> TransactionFailed:
    """The error for a refused transaction (``transactionResponse`` code 2 or 3).

    ``operation`` ("charge", "refund" or "void") chooses the wording where the same
    reason code means different things per operation.
    """
    reason = redact(text) or "no reason given"
    kind: type[TransactionFailed]
    if reason_code == "11":
        kind = DuplicateTransaction
    elif response_code == "2":
        kind = Declined
    else:
        kind = TransactionRejected
    if reason_code == "11":
        known: str | None = _duplicate_message(operation)
    elif reason_code == "16" and operation == "void":
        known = _VOID_NOT_FOUND
    else:
        known = REASON_MESSAGES.get(reason_code or "")
    base = known or reason
    label = "Declined: " if kind is Declined and not base.startswith("Declined") else ""
    message = f"{label}{base}"
    if reason_code:
        message += f" (reason code {reason_code})"
    return kind(
        reason,
        response_code=response_code,
        reason_code=reason_code,
        transaction_id=transaction_id if transaction_id not in (None, "", "0") else None,
        message=message,
    )

"""``validationMode`` for payment profiles: none, testMode (field checks) or liveMode.

Field checks (card number, Luhn, expiry, card code, routing number) run in every mode
when the payment is read. testMode then answers with a "(TESTMODE)" approval and
transaction id 0. liveMode runs a zero-dollar (one cent for brands without
zero-dollar support) authorization that is voided at once; its decline comes back
as E00027 whose text is the transaction's own reason, with the direct response
attached, as the real API does.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from w365desk.sandbox.authorizenet.errors import ApiError, reason_text
from w365desk.sandbox.authorizenet.processor import authorize, direct_response
from w365desk.sandbox.authorizenet.records import Address, StoredPayment
from w365desk.sandbox.authorizenet.state import SandboxState

VALIDATION_MODES = ("none", "testMode", "liveMode", "oldLiveMode")
DESCRIPTION = "Test transaction for ValidateCustomerPaymentProfile."
ZERO_DOLLAR_BRANDS = ("Visa", "MasterCard")
TEST_MODE_TEXT = "(TESTMODE) This transaction has been approved."


@dataclass(frozen=True)
class ValidationResult:
    passed: bool
    text: str  # the reason text of the validation transaction
    direct_response: str | None  # None when nothing was validated (mode "none")


def check_mode(mode: str | None) -> str:
    if mode is None:
        return "none"
    if mode not in VALIDATION_MODES:
        raise ApiError("E00013", "Validation Mode is invalid.")
    return mode


def validate_payment(
    mode: str,
    state: SandboxState,
    payment: StoredPayment,
    bill_to: Address | None,
    card_code: str | None,
    *,
    merchant_customer_id: str | None,
    email: str | None,
) -> ValidationResult:
    if mode == "none":
        return ValidationResult(True, "", None)
    amount = Decimal("0.00") if payment.brand in ZERO_DOLLAR_BRANDS else Decimal("0.01")
    common: dict[str, Any] = {
        "amount": amount,
        "payment": payment,
        "bill_to": bill_to,
        "customer_id": merchant_customer_id,
        "email": email,
        "description": DESCRIPTION,
    }
    if mode == "testMode":
        response = direct_response(
            response_code=1,
            reason_code=1,
            text=TEST_MODE_TEXT,
            auth_code="000000",
            avs_code="P",
            cvv_code="",
            trans_id="0",
            **common,
        )
        return ValidationResult(True, TEST_MODE_TEXT, response)
    missing_address = bill_to is None or not bill_to.address or not bill_to.zip
    if payment.brand == "Visa" and missing_address:
        # A Visa zero-dollar authorization needs the street address and zip.
        text = reason_text(290)
        response = direct_response(
            response_code=3,
            reason_code=290,
            text=text,
            auth_code="",
            avs_code="",
            cvv_code="",
            trans_id="0",
            **common,
        )
        return ValidationResult(False, text, response)
    outcome = authorize(payment, amount, bill_to, card_code)
    response = direct_response(
        response_code=outcome.response_code,
        reason_code=outcome.reason_code,
        text=outcome.reason_text,
        auth_code=outcome.auth_code,
        avs_code=outcome.avs_code,
        cvv_code=outcome.cvv_code,
        trans_id=state.new_id("transaction"),
        **common,
    )
    return ValidationResult(outcome.approved, outcome.reason_text, response)

"""Gateway errors in the service layer's words: every kind, and the real adapter's errors
translated on their way out of a use case."""

from __future__ import annotations

from decimal import Decimal

import pytest
from gateway_support import gateway_for

from w365desk import gateway
from w365desk.clock import FrozenClock
from w365desk.gateway import (
    BillingAddress,
    CardInput,
    ChargeRequest,
    CustomerProfileInput,
)
from w365desk.sandbox.authorizenet import Fault, SandboxServer
from w365desk.services import errors
from w365desk.services.gateway_errors import gateway_errors, translate_gateway_error

_DECLINED = gateway.Declined(
    "declined", response_code="2", reason_code="2", transaction_id="60", message="Declined: no."
)


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (_DECLINED, errors.PaymentDeclined),
        (
            gateway.TransactionRejected(
                "r", response_code="3", reason_code="54", transaction_id=None, message="No."
            ),
            errors.PaymentDeclined,
        ),
        (
            gateway.InvalidField("cvv", "The security code is not valid."),
            errors.PaymentMethodRefused,
        ),
        (gateway.ValidationFailed("The card could not be verified."), errors.PaymentMethodRefused),
        (gateway.NonceExpired("The card token expired."), errors.PaymentMethodRefused),
        (gateway.NonceInvalid("The card token is not valid."), errors.PaymentMethodRefused),
        (gateway.DuplicateProfile("17", "payment", "Already held."), errors.DuplicatePaymentRecord),
        (gateway.LimitReached("Ten already."), errors.GatewayLimitReached),
        (gateway.NotFound("No such profile."), errors.GatewayRecordMissing),
        (gateway.AuthenticationFailed("Wrong keys."), errors.GatewayNotSetUp),
        (gateway.AccountInactive("Inactive."), errors.GatewayNotSetUp),
        (gateway.FeatureNotEnabled("No CIM."), errors.GatewayNotSetUp),
        (gateway.RequestRejected("Unreadable request."), errors.GatewayNotSetUp),
        (gateway.GatewayUnavailable("Busy."), errors.GatewayUnavailable),
        (gateway.GatewayError("Something new.", code="E00999"), errors.PaymentGatewayError),
    ],
    ids=lambda value: type(value).__name__,
)
def test_every_gateway_error_has_its_service_kind_and_keeps_its_message(
    error: gateway.GatewayError, kind: type[errors.ServiceError]
) -> None:
    translated = translate_gateway_error(error)
    assert type(translated) is kind
    assert isinstance(translated, errors.ServiceError)  # what every front door handles
    assert translated.message == str(error)
    assert not isinstance(translated, errors.OutcomeUnknown)


def test_field_and_record_details_survive() -> None:
    refused = translate_gateway_error(gateway.InvalidField("cvv", "Bad code.", code="E00013"))
    assert isinstance(refused, errors.PaymentMethodRefused)
    assert (refused.field, refused.code) == ("cvv", "E00013")
    duplicate = translate_gateway_error(gateway.DuplicateProfile("17", "payment", "Held."))
    assert isinstance(duplicate, errors.DuplicatePaymentRecord)
    assert (duplicate.kind, duplicate.existing_id) == ("payment", "17")
    declined = translate_gateway_error(_DECLINED)
    assert isinstance(declined, errors.PaymentDeclined)
    assert (declined.transaction_id, declined.duplicate) == ("60", False)
    unavailable = translate_gateway_error(gateway.GatewayUnavailable("Busy."))
    assert unavailable.retryable  # type: ignore[attr-defined]
    assert not declined.retryable


def test_an_unknown_outcome_stays_its_own_kind_with_what_reconciliation_needs() -> None:
    unknown = gateway.OutcomeUnknown(
        "charge",
        "The gateway did not confirm whether the charge went through.",
        ref_id="ref-1",
        invoice_number="INV-1",
        transaction_id="61",
        customer_profile_id="500",
        payment_profile_id="600",
        code="E00001",
    )
    translated = translate_gateway_error(unknown)
    assert isinstance(translated, errors.OutcomeUnknown)
    assert not isinstance(translated, errors.PaymentDeclined)
    assert (translated.operation, translated.ref_id, translated.invoice_number) == (
        "charge",
        "ref-1",
        "INV-1",
    )
    assert (
        translated.transaction_id,
        translated.customer_profile_id,
        translated.payment_profile_id,
    ) == ("61", "500", "600")
    assert not translated.retryable


def _charge(customer: str, payment: str, invoice: str) -> ChargeRequest:
    return ChargeRequest(customer, payment, Decimal("12.34"), invoice_number=invoice)


def test_real_adapter_errors_leave_a_use_case_as_service_errors(
    sandbox: SandboxServer, clock: FrozenClock
) -> None:
    adapter = gateway_for(sandbox, timeout_s=0.5, clock=clock)
    try:
        customer = adapter.create_customer_profile(CustomerProfileInput(merchant_customer_id="S-1"))
        declining = BillingAddress(first_name="Ada", last_name="Lovelace", zip="46282")
        card = adapter.add_card(customer, CardInput("4111111111111111", 12, 2030), declining)

        with pytest.raises(errors.PaymentDeclined) as declined, gateway_errors():
            adapter.charge_profile(_charge(customer, card.payment_profile_id, "INV-D"))
        assert isinstance(declined.value.__cause__, gateway.Declined)

        with pytest.raises(errors.DuplicatePaymentRecord) as duplicate, gateway_errors():
            adapter.add_card(customer, CardInput("4111111111111111", 12, 2030), declining)
        assert duplicate.value.existing_id == card.payment_profile_id

        sandbox.set_fault("createTransactionRequest", Fault("hang"))
        with pytest.raises(errors.OutcomeUnknown) as unknown, gateway_errors():
            adapter.charge_profile(_charge(customer, card.payment_profile_id, "INV-H"))
        assert unknown.value.invoice_number == "INV-H"
    finally:
        adapter.close()

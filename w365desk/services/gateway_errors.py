"""Gateway errors in the service layer's words: one translation, used by every use case.

A use case that calls the gateway does it inside ``with gateway_errors():``, so what
reaches a front door is always a ``ServiceError``; ``OutcomeUnknown`` stays its own
kind, because money in doubt must never be shown (or retried) as a plain failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from w365desk import gateway
from w365desk.services import errors

_NOT_SET_UP = (
    gateway.AuthenticationFailed,
    gateway.AccountInactive,
    gateway.FeatureNotEnabled,
    gateway.RequestRejected,
)


def translate_gateway_error(error: gateway.GatewayError) -> errors.ServiceError:
    """The service error for ``error``; the message is the gateway port's, already fit
    to show (specific, and never holding card data)."""
    message = str(error)
    code = error.code
    if isinstance(error, gateway.OutcomeUnknown):
        return errors.OutcomeUnknown(
            message,
            operation=error.operation,
            code=code,
            ref_id=error.ref_id,
            invoice_number=error.invoice_number,
            transaction_id=error.transaction_id,
            reference_transaction_id=error.reference_transaction_id,
            customer_profile_id=error.customer_profile_id,
            payment_profile_id=error.payment_profile_id,
        )
    if isinstance(error, gateway.TransactionFailed):
        return errors.PaymentDeclined(
            message,
            code=code,
            transaction_id=error.transaction_id,
            duplicate=isinstance(error, gateway.DuplicateTransaction),
        )
    if isinstance(error, gateway.InvalidField):
        return errors.PaymentMethodRefused(message, field=error.field, code=code)
    if isinstance(error, gateway.ValidationFailed):
        return errors.PaymentMethodRefused(message, field="payment_method", code=code)
    if isinstance(error, gateway.NonceInvalid | gateway.NonceExpired):
        return errors.PaymentMethodRefused(message, field="card_token", code=code)
    if isinstance(error, gateway.DuplicateProfile):
        return errors.DuplicatePaymentRecord(
            message, kind=error.kind, existing_id=error.existing_id, code=code
        )
    if isinstance(error, gateway.LimitReached):
        return errors.GatewayLimitReached(message, code=code)
    if isinstance(error, gateway.NotFound):
        return errors.GatewayRecordMissing(message, code=code)
    if isinstance(error, _NOT_SET_UP):
        return errors.GatewayNotSetUp(message, code=code)
    if isinstance(error, gateway.GatewayUnavailable):
        return errors.GatewayUnavailable(message, code=code)
    return errors.PaymentGatewayError(message, code=code)


@contextmanager
def gateway_errors() -> Iterator[None]:
    """Run a gateway call; any ``GatewayError`` leaves as its service-layer kind."""
    try:
        yield
    except gateway.GatewayError as error:
        raise translate_gateway_error(error) from error

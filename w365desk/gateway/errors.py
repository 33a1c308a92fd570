"""Error kinds a gateway can raise.

Every error carries a message fit to show a back-office user (``str(error)``) and
structured fields for the code that handles it. Nothing here ever holds a card
number, a security code or a full bank account number: messages are built from
gateway codes, ids and the gateway's own (redacted) text only.

The split that matters most for money:

* ``TransactionFailed`` and its subclasses: the gateway answered, and no money moved.
* ``OutcomeUnknown``: a charge, refund or void may or may not have happened.
  Never treat it as failed; look the transaction up (reconciliation) before retrying.
  On a money operation every gateway error that does not provably mean "not
  processed" is reported this way (see ``messages.NOT_PROCESSED_CODES``).
* ``GatewayUnavailable``: the request provably was not processed; safe to retry later.
"""

from __future__ import annotations

from typing import Any, Literal

ProfileKind = Literal["customer", "payment"]


def _restore(kind: type[GatewayError], state: dict[str, Any]) -> GatewayError:
    error = kind.__new__(kind)
    Exception.__init__(error, state.get("message", ""))
    error.__dict__.update(state)
    return error


class GatewayError(Exception):
    """Base of every gateway error. ``str(error)`` is the user-facing message."""

    retryable: bool = False

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses take their fields as arguments; rebuild from state instead.
        return (_restore, (type(self), dict(self.__dict__)))


class InvalidField(GatewayError):
    """A value was rejected, by our own checks or by the gateway (E00013/E00014/E00015)."""

    def __init__(self, field: str, message: str, *, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.field = field


class RequestRejected(GatewayError):
    """The gateway could not read the request (E00003 and friends): a program fault."""


class DuplicateProfile(GatewayError):
    """The gateway already holds this customer profile or payment profile (E00039)."""

    def __init__(
        self, existing_id: str | None, kind: ProfileKind, message: str, *, code: str = "E00039"
    ) -> None:
        super().__init__(message, code=code)
        self.existing_id = existing_id
        self.kind = kind


class NotFound(GatewayError):
    """The profile, payment profile or transaction does not exist at the gateway (E00040)."""


class LimitReached(GatewayError):
    """The customer already has the most payment profiles the gateway allows (E00042)."""


class AuthenticationFailed(GatewayError):
    """Wrong API login id / transaction key, or keys of the other environment (E00007)."""


class AccountInactive(GatewayError):
    """The merchant's gateway account is inactive (E00008)."""


class FeatureNotEnabled(GatewayError):
    """The merchant account lacks a feature this call needs, e.g. CIM (E00044)."""


class ValidationFailed(GatewayError):
    """A validation authorization of a payment method failed (E00027 on profile calls)."""


class NonceInvalid(GatewayError):
    """The Accept.js payment nonce is not valid (E00114)."""


class NonceExpired(GatewayError):
    """The Accept.js payment nonce has expired or was already used (E00115)."""


class GatewayUnavailable(GatewayError):
    """The gateway could not be reached or was busy; the request was not processed.

    Retrying later is safe: for charges this error is only raised when the request
    provably never reached the gateway (or it answered "busy, not processed").
    """

    retryable = True

    def __init__(self, message: str, *, code: str | None = None, detail: str = "") -> None:
        super().__init__(message, code=code)
        self.detail = detail


class OutcomeUnknown(GatewayError):
    """A charge, refund or void may have happened, and the gateway did not say whether.

    Either its answer never arrived intact, or it answered with an error that does not
    rule out that money moved (an unexpected system error, or one of the reason codes
    where the gateway's own clean-up void failed). Carries the references reconciliation
    searches by (``transactions_for_customer`` / ``unsettled_transactions`` /
    ``transaction_details``) before anyone decides to try again:

    * ``invoice_number`` — sent with every charge and refund and kept by the gateway;
    * ``transaction_id`` — this transaction's own id, when the gateway gave one;
    * ``reference_transaction_id`` — the transaction a refund or void refers to;
    * ``customer_profile_id`` / ``payment_profile_id`` — the stored method charged.

    ``ref_id`` is kept for the program's own records only: the gateway does not store
    it, so it finds nothing there.
    """

    def __init__(
        self,
        operation: str,
        message: str,
        *,
        ref_id: str | None = None,
        invoice_number: str | None = None,
        transaction_id: str | None = None,
        reference_transaction_id: str | None = None,
        customer_profile_id: str | None = None,
        payment_profile_id: str | None = None,
        reason_code: str | None = None,
        code: str | None = None,
        detail: str = "",
    ) -> None:
        super().__init__(message, code=code)
        self.operation = operation
        self.ref_id = ref_id
        self.invoice_number = invoice_number
        self.transaction_id = transaction_id
        self.reference_transaction_id = reference_transaction_id
        self.customer_profile_id = customer_profile_id
        self.payment_profile_id = payment_profile_id
        self.reason_code = reason_code
        self.detail = detail


class TransactionFailed(GatewayError):
    """The gateway answered a charge, refund or void with a refusal: no money moved."""

    def __init__(
        self,
        reason: str,
        *,
        response_code: str,
        reason_code: str | None,
        transaction_id: str | None,
        message: str | None = None,
    ) -> None:
        super().__init__(message or reason, code=reason_code)
        self.reason = reason
        self.response_code = response_code
        self.reason_code = reason_code
        self.transaction_id = transaction_id


class Declined(TransactionFailed):
    """The bank or the gateway's rules declined the transaction (response code 2)."""


class DuplicateTransaction(TransactionFailed):
    """An identical transaction was submitted inside the duplicate window (reason code 11).

    This request was not processed (no second charge, refund or void); the earlier one
    stands. ``transaction_id`` is the earlier transaction's id when the gateway gives it.
    """


class TransactionRejected(TransactionFailed):
    """The gateway refused the transaction as erroneous (response code 3), e.g. a refund of
    an unsettled transaction or a void of a settled one."""

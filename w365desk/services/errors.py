"""Error kinds every service raises, so front doors can show them without guessing.

Messages are written for the person at the desk: specific, and never containing
card data or secrets (they may end up in a dialog, a log or a crash report).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class ServiceError(Exception):
    """Base of every error a service raises on purpose; ``str(error)`` is user-facing."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FieldProblem:
    """One reason one input field was refused."""

    field: str
    message: str


class ValidationError(ServiceError):
    """Input was refused; ``field``/``message`` name the first problem, ``problems`` all."""

    def __init__(self, field: str, message: str, *, problems: Sequence[FieldProblem] = ()) -> None:
        super().__init__(message)
        self.field = field
        self.problems: tuple[FieldProblem, ...] = tuple(problems) or (FieldProblem(field, message),)

    @classmethod
    def from_problems(cls, problems: Sequence[FieldProblem]) -> ValidationError:
        if not problems:
            raise ValueError("a ValidationError needs at least one problem")
        first = problems[0]
        return cls(first.field, first.message, problems=problems)

    def messages(self) -> dict[str, list[str]]:
        """Problems grouped by field, in the order they were found (for form highlighting)."""
        grouped: dict[str, list[str]] = {}
        for problem in self.problems:
            grouped.setdefault(problem.field, []).append(problem.message)
        return grouped


class NotFoundError(ServiceError):
    """The record asked for does not exist (any more)."""

    def __init__(self, entity_type: str, entity_id: object) -> None:
        super().__init__(f"{entity_type.capitalize()} {entity_id} was not found.")
        self.entity_type = entity_type
        self.entity_id = entity_id


class ConflictError(ServiceError):
    """The change clashes with what is already stored (a duplicate, a stale edit, …)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class SimilarAccount:
    """An active account that looks like the one being saved."""

    id: int
    number: str
    name: str
    email: str | None
    reason: str  # "the same name" / "the same email"


class PossibleDuplicates(ConflictError):
    """The account being saved has the name or email of an active account; saving it
    anyway is staff's call (``allow_duplicates=True``)."""

    def __init__(self, matches: Sequence[SimilarAccount]) -> None:
        self.matches = tuple(matches)
        first = self.matches[0]
        more = f" (and {len(self.matches) - 1} more)" if len(self.matches) > 1 else ""
        super().__init__(
            f"Account {first.number} ({first.name}) already has {first.reason}{more}. "
            "Is this the same customer?",
            field="name" if first.reason == "the same name" else "primary_email",
        )


class SensitiveDataError(ServiceError):
    """Something that looks like card data or a secret was about to be stored or logged.

    The message names where it was found, never the value itself.
    """


# --- what the payment gateway said, in the service layer's words --------------------------
# Services translate every gateway error into one of these (see ``gateway_errors.py``),
# so a front door handles one family and shows a specific message for each kind.


class PaymentGatewayError(ServiceError):
    """The gateway refused or could not do what was asked; ``code`` is its own code."""

    retryable: bool = False

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class PaymentDeclined(PaymentGatewayError):
    """The charge, refund or void was refused: no money moved (declined, rejected, or an
    identical one moments ago). ``transaction_id`` is the gateway's, when it gave one."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        transaction_id: str | None = None,
        duplicate: bool = False,
    ) -> None:
        super().__init__(message, code=code)
        self.transaction_id = transaction_id
        self.duplicate = duplicate


class PaymentMethodRefused(PaymentGatewayError):
    """The card, bank account or card token was refused (invalid, failed verification,
    expired token). ``field`` names the input to correct ("card_number", "cvv", …)."""

    def __init__(self, message: str, *, field: str, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.field = field


class DuplicatePaymentRecord(PaymentGatewayError):
    """The gateway already holds this customer or payment profile; ``existing_id`` is its id."""

    def __init__(
        self, message: str, *, kind: str, existing_id: str | None, code: str | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.kind = kind
        self.existing_id = existing_id


class GatewayLimitReached(PaymentGatewayError):
    """The customer already has as many stored payment methods as the gateway allows."""


class GatewayRecordMissing(PaymentGatewayError):
    """The gateway has no such profile or transaction (it may have been deleted there)."""


class GatewayNotSetUp(PaymentGatewayError):
    """Wrong keys, an inactive merchant account, a feature not enabled, or a request the
    gateway could not read: staff (or the program's maintainers) must fix something first."""


class GatewayUnavailable(PaymentGatewayError):
    """The gateway could not be reached or was busy, and provably processed nothing:
    trying again later is safe."""

    retryable = True


class OutcomeUnknown(PaymentGatewayError):
    """Money may or may not have moved: never treat this as a failure and never retry it
    before the transaction has been looked up at the gateway (reconciliation).

    Carries what the gateway can be searched by; ``ref_id`` is our own reference.
    """

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        code: str | None = None,
        ref_id: str | None = None,
        invoice_number: str | None = None,
        transaction_id: str | None = None,
        reference_transaction_id: str | None = None,
        customer_profile_id: str | None = None,
        payment_profile_id: str | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.operation = operation
        self.ref_id = ref_id
        self.invoice_number = invoice_number
        self.transaction_id = transaction_id
        self.reference_transaction_id = reference_transaction_id
        self.customer_profile_id = customer_profile_id
        self.payment_profile_id = payment_profile_id

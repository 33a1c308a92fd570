"""What an unanswered, unreadable or refused call means: the adapter's error policy.

The rule for money: on a charge, refund or void only an answer that proves nothing
happened becomes a ``TransactionFailed`` or a request-level error; everything else
(a lost or unreadable answer, an HTTP error page, an unknown code, a reason code where
the gateway's own clean-up void failed) is ``OutcomeUnknown``, carrying what
reconciliation looks the transaction up by. Calls that move no money report the same
failures as ``GatewayUnavailable``, which is safe to retry.
"""

from __future__ import annotations

from dataclasses import dataclass

from w365desk.gateway.authorizenet import answers
from w365desk.gateway.authorizenet.answers import Element
from w365desk.gateway.authorizenet.codes import (
    MONEY_MAY_HAVE_MOVED,
    NOT_PROCESSED_CODES,
    api_error,
    redact,
    transaction_error,
)
from w365desk.gateway.authorizenet.transport import MaybeSent, NotSent
from w365desk.gateway.errors import (
    GatewayError,
    GatewayUnavailable,
    OutcomeUnknown,
    ProfileKind,
)


@dataclass(frozen=True)
class MoneyCall:
    """A charge, refund or void in flight: what an ambiguous outcome must carry."""

    operation: str
    ref_id: str | None = None
    invoice_number: str | None = None
    reference_transaction_id: str | None = None
    customer_profile_id: str | None = None
    payment_profile_id: str | None = None

    def unknown(
        self,
        why: str,
        detail: str,
        *,
        transaction_id: str | None = None,
        reason_code: str | None = None,
        code: str | None = None,
    ) -> OutcomeUnknown:
        # Only what the gateway can be searched by: it keeps no refId.
        profile = (
            f"customer profile {self.customer_profile_id} / payment profile "
            f"{self.payment_profile_id}"
            if self.customer_profile_id and self.payment_profile_id
            else None
        )
        references = ", ".join(
            f"{label} {value}" if label else value
            for label, value in (
                ("invoice", self.invoice_number),
                ("transaction", transaction_id),
                ("original transaction", self.reference_transaction_id),
                ("", profile),
            )
            if value
        )
        return OutcomeUnknown(
            self.operation,
            f"The gateway did not confirm whether the {self.operation} went through ({why}). "
            f"It may have been processed: do not repeat it until it has been looked up"
            f"{' by ' + references if references else ''}.",
            ref_id=self.ref_id,
            invoice_number=self.invoice_number,
            transaction_id=transaction_id,
            reference_transaction_id=self.reference_transaction_id,
            customer_profile_id=self.customer_profile_id,
            payment_profile_id=self.payment_profile_id,
            reason_code=reason_code,
            code=code,
            detail=detail,
        )


def not_sent(error: NotSent) -> GatewayError:
    return GatewayUnavailable(
        "The gateway could not be reached; nothing was sent. Check the network "
        "connection and try again.",
        detail=error.detail,
    )


def maybe_sent(error: MaybeSent, money: MoneyCall | None) -> GatewayError:
    why = "no answer in time" if error.timed_out else "the connection broke"
    if money is not None:
        return money.unknown(why, error.detail)
    return GatewayUnavailable(
        f"The gateway did not answer ({why}). Please try again.", detail=error.detail
    )


def error_page(status: int, money: MoneyCall | None) -> GatewayError:
    detail = f"HTTP {status}"
    if money is not None:
        return money.unknown(f"the gateway answered HTTP {status}", detail)
    return GatewayUnavailable(
        f"The gateway answered with an error page (HTTP {status}). Please try again later.",
        detail=detail,
    )


def unreadable(error: answers.UnreadableResponse, money: MoneyCall | None = None) -> GatewayError:
    if money is not None:
        return money.unknown("its answer could not be read", str(error))
    return GatewayUnavailable(
        "The gateway's answer could not be read. Please try again.", detail=str(error)
    )


def refused(root: Element, *, duplicate_kind: ProfileKind = "customer") -> GatewayError:
    """The error for an answer whose result code is Error (calls that move no money)."""
    code, text = answers.first_message(root)
    existing = answers.text(root, "customerPaymentProfileId")
    return api_error(code, text, duplicate_kind=duplicate_kind, existing_id=existing)


def transaction_verdict(root: Element, money: MoneyCall) -> Element:
    """The ``transactionResponse`` of a charge, refund or void that went through
    (response code 1, or 4 = held for review); otherwise the error it proves, or
    ``OutcomeUnknown`` when it proves nothing."""
    element = root.find("transactionResponse")
    response_code = answers.text(element, "responseCode")
    if response_code is None:
        if answers.is_ok(root):
            # "Ok" with no verdict: whatever happened is not stated.
            raise money.unknown("its answer had no transaction result", "no responseCode")
        code, text = answers.first_message(root)
        if code in NOT_PROCESSED_CODES:
            raise api_error(code, text)
        raise money.unknown(
            f"the gateway reported error {code}: {redact(text) or 'no details given'}",
            f"request-level {code}",
            code=code,
        )
    assert element is not None  # a responseCode was read from it
    transaction_id = answers.live_transaction_id(answers.text(element, "transId"))
    if response_code in ("1", "4"):
        if transaction_id is None:
            raise money.unknown("its answer had no transaction id", "no transId")
        return element
    if response_code in ("2", "3"):
        reason_code, reason = answers.refusal(element, root)
        if reason_code in MONEY_MAY_HAVE_MOVED:
            raise money.unknown(
                f"{MONEY_MAY_HAVE_MOVED[reason_code]}, reason code {reason_code}",
                f"response code {response_code}, reason code {reason_code}",
                transaction_id=transaction_id,
                reason_code=reason_code,
            )
        raise transaction_error(
            response_code, reason_code, reason, transaction_id, operation=money.operation
        )
    raise money.unknown(f"unexpected response code {response_code}", "responseCode")

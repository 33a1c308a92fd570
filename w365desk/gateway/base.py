"""The ``Gateway`` protocol: everything the rest of the program may ask of a payment gateway.

Services depend on this, never on the Authorize.Net adapter. Every operation raises
only ``GatewayError`` subclasses (see ``errors.py``); money-moving operations raise
``OutcomeUnknown`` whenever the request may have been processed and the answer does not
prove otherwise (lost or unreadable, or an error that does not rule out that money
moved), carrying the invoice number and transaction ids to look it up by.
Implementations must be safe to call from several threads at once.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from w365desk.gateway.types import (
    AcceptNonce,
    BankAccountInput,
    BillingAddress,
    CardInput,
    ChargeRequest,
    ChargeResult,
    CustomerProfile,
    CustomerProfileInput,
    MaskedPaymentProfile,
    RefundRequest,
    TransactionDetails,
    TransactionResult,
    TransactionSummary,
    ValidationMode,
)


@runtime_checkable
class Gateway(Protocol):
    def test_credentials(self) -> None:
        """Raise ``AuthenticationFailed`` (or another error) unless the keys work."""
        ...

    # customer profiles
    def create_customer_profile(self, profile: CustomerProfileInput) -> str:
        """The new customer profile id; ``DuplicateProfile`` carries the existing one."""
        ...

    def get_customer_profile(self, customer_profile_id: str) -> CustomerProfile: ...

    def update_customer_profile(
        self, customer_profile_id: str, profile: CustomerProfileInput
    ) -> None:
        """Replace the customer id, description and email (``DuplicateProfile`` when another
        profile already has exactly these)."""
        ...

    def delete_customer_profile(self, customer_profile_id: str) -> None: ...

    # payment profiles
    def add_card(
        self,
        customer_profile_id: str,
        card: CardInput,
        billing: BillingAddress | None,
        *,
        validation_mode: ValidationMode = "testMode",
        make_default: bool = False,
    ) -> MaskedPaymentProfile:
        """Store a card. The brand returned is the gateway's (None if it could not be
        read back); the card number never leaves this call."""
        ...

    def add_bank_account(
        self,
        customer_profile_id: str,
        account: BankAccountInput,
        billing: BillingAddress | None,
        *,
        validation_mode: ValidationMode = "testMode",
        make_default: bool = False,
    ) -> MaskedPaymentProfile: ...

    def add_from_nonce(
        self,
        customer_profile_id: str,
        nonce: AcceptNonce,
        billing: BillingAddress | None,
        *,
        validation_mode: ValidationMode = "testMode",
        make_default: bool = False,
    ) -> MaskedPaymentProfile: ...

    def get_payment_profile(
        self, customer_profile_id: str, payment_profile_id: str
    ) -> MaskedPaymentProfile:
        """The stored method with its real (unmasked) expiry month and year."""
        ...

    def cards_expiring_in(self, month: str) -> list[MaskedPaymentProfile]:
        """Stored cards expiring in ``month`` given as ``YYYY-MM``."""
        ...

    def update_payment_profile(
        self,
        customer_profile_id: str,
        payment_profile_id: str,
        *,
        billing: BillingAddress | None = None,
        exp_month: int | None = None,
        exp_year: int | None = None,
        card: CardInput | None = None,
        make_default: bool = False,
        validation_mode: ValidationMode = "none",
    ) -> MaskedPaymentProfile: ...

    def delete_payment_profile(self, customer_profile_id: str, payment_profile_id: str) -> None: ...

    def validate_payment_profile(
        self,
        customer_profile_id: str,
        payment_profile_id: str,
        *,
        cvv: str | None = None,
        validation_mode: ValidationMode = "liveMode",
    ) -> None:
        """Raise ``ValidationFailed`` when the stored method fails a validation check."""
        ...

    # transactions
    def charge_profile(self, request: ChargeRequest) -> ChargeResult:
        """``Declined``/``TransactionRejected``/``DuplicateTransaction``: nothing charged.
        ``GatewayUnavailable`` (or another request-level kind): provably not processed.
        ``OutcomeUnknown``: look it up before charging again."""
        ...

    def refund(self, request: RefundRequest) -> TransactionResult:
        """Errors as for ``charge_profile``."""
        ...

    def void(self, transaction_id: str, *, ref_id: str | None = None) -> TransactionResult:
        """Errors as for ``charge_profile``; a settled transaction cannot be voided
        (reason code 16): refund it instead."""
        ...

    # reporting (what reconciliation asks after an unknown outcome)
    def transaction_details(self, transaction_id: str) -> TransactionDetails: ...

    def transactions_for_customer(
        self, customer_profile_id: str, payment_profile_id: str | None = None
    ) -> list[TransactionSummary]: ...

    def unsettled_transactions(self) -> list[TransactionSummary]: ...

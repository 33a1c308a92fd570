"""``AuthorizeNetGateway``: the ``Gateway`` port over Authorize.Net's XML API.

Each operation builds its request with the SDK's contract classes (``building``), posts
it through a ``Transport`` with a hard deadline (``transport``), reads the answer
(``answers``) and turns every failure into the error its outcome proves (``outcomes``,
``codes``). Why not the SDK's own ``controller.execute()``: it reads the endpoint from
class-level state that every controller constructor resets to the sandbox URL (a race
the moment two threads call at once), posts without any timeout (a hung gateway hangs
the caller forever), swallows network errors (no way to tell "never sent" from "sent,
answer lost") and on failure logs the whole request, card number included. The
class-level environment is never read here, so no lock is needed and calls run truly
in parallel.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from w365desk.clock import Clock, SystemClock
from w365desk.gateway.authorizenet import answers, building, outcomes
from w365desk.gateway.authorizenet.answers import Element
from w365desk.gateway.authorizenet.building import PAGE_SIZE, SdkCall
from w365desk.gateway.authorizenet.endpoints import DEFAULT_TIMEOUT_S, SANDBOX_URL, SDK_HEADERS
from w365desk.gateway.authorizenet.outcomes import MoneyCall
from w365desk.gateway.authorizenet.transport import DeadlineTransport, MaybeSent, NotSent, Transport
from w365desk.gateway.errors import (
    GatewayError,
    GatewayUnavailable,
    InvalidField,
    ProfileKind,
)
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
    check_expiry,
    check_year_month,
)

T = TypeVar("T")


class AuthorizeNetGateway:
    """``Gateway`` over Authorize.Net's XML API. Safe to share between threads.

    ``transport`` replaces the HTTP transport to ``endpoint_url`` (tests hand in canned
    answers); by default a ``DeadlineTransport`` ends every call within ``timeout_s``.
    """

    def __init__(
        self,
        api_login_id: str,
        transaction_key: str,
        endpoint_url: str = SANDBOX_URL,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        clock: Clock | None = None,
        transport: Transport | None = None,
    ) -> None:
        if not (api_login_id or "").strip() or not (transaction_key or "").strip():
            raise InvalidField(
                "api_login_id",
                "Enter the API login id and transaction key in Settings before using the gateway.",
            )
        self._login_id = api_login_id.strip()
        self._transaction_key = transaction_key.strip()
        self.endpoint_url = endpoint_url
        self.timeout_s = timeout_s
        self._clock = clock or SystemClock()
        self._transport: Transport = transport or DeadlineTransport(
            endpoint_url, timeout_s, SDK_HEADERS
        )

    def __repr__(self) -> str:
        return f"AuthorizeNetGateway({self._login_id!r}, {self.endpoint_url!r})"

    def close(self) -> None:
        self._transport.close()

    # -- plumbing --------------------------------------------------------------------

    def _call(self, call: SdkCall, money: MoneyCall | None = None) -> Element:
        """Send ``call``; its answer's root, or the error the failure proves."""
        body = building.serialise(call, self._login_id, self._transaction_key)
        try:
            reply = self._transport.post(body)
        except NotSent as error:
            raise outcomes.not_sent(error) from None
        except MaybeSent as error:
            raise outcomes.maybe_sent(error, money) from None
        if reply.status != 200:
            raise outcomes.error_page(reply.status, money)
        try:
            return answers.parse(reply.body, call.answer_root)
        except answers.UnreadableResponse as error:
            raise outcomes.unreadable(error, money) from None

    def _ok(self, call: SdkCall, *, duplicate_kind: ProfileKind = "customer") -> Element:
        root = self._call(call)
        if not answers.is_ok(root):
            raise outcomes.refused(root, duplicate_kind=duplicate_kind)
        return root

    def _read(self, action: Callable[[], T]) -> T:
        try:
            return action()
        except answers.UnreadableResponse as error:
            raise outcomes.unreadable(error) from None

    def _pages(
        self,
        make_call: Callable[[int], SdkCall],
        items_path: str,
        read_item: Callable[[Element], T],
    ) -> list[T]:
        """Every item of a paged list (pages are numbered from 1)."""
        found: list[T] = []
        offset = 1
        while True:
            root = self._ok(make_call(offset))
            items = root.findall(items_path)
            found.extend(self._read(functools.partial(list, map(read_item, items))))
            total = self._read(functools.partial(answers.result_count, root, len(found)))
            if len(items) < PAGE_SIZE or len(found) >= total:
                return found
            offset += 1

    # -- account -----------------------------------------------------------------------

    def test_credentials(self) -> None:
        self._ok(building.authenticate_test())

    # -- customer profiles -------------------------------------------------------------

    def create_customer_profile(self, profile: CustomerProfileInput) -> str:
        root = self._ok(building.create_customer_profile(profile))
        profile_id = answers.text(root, "customerProfileId")
        if not profile_id:
            raise GatewayUnavailable("The gateway's answer had no customer profile id.")
        return profile_id

    def get_customer_profile(self, customer_profile_id: str) -> CustomerProfile:
        root = self._ok(building.get_customer_profile(customer_profile_id))
        element = root.find("profile")
        if element is None:
            raise GatewayUnavailable("The gateway's answer had no customer profile.")
        return self._read(lambda: answers.customer_profile(element))

    def update_customer_profile(
        self, customer_profile_id: str, profile: CustomerProfileInput
    ) -> None:
        self._ok(building.update_customer_profile(customer_profile_id, profile))

    def delete_customer_profile(self, customer_profile_id: str) -> None:
        self._ok(building.delete_customer_profile(customer_profile_id))

    # -- payment profiles --------------------------------------------------------------

    def _create_payment_profile(
        self,
        customer_profile_id: str,
        make_payment: Callable[[], object],
        billing: BillingAddress | None,
        validation_mode: ValidationMode,
        make_default: bool,
    ) -> str:
        building.check_validation_mode(validation_mode)
        call = building.create_payment_profile(
            customer_profile_id, make_payment, billing, validation_mode, make_default
        )
        root = self._ok(call, duplicate_kind="payment")
        payment_profile_id = answers.text(root, "customerPaymentProfileId")
        if not payment_profile_id:
            raise GatewayUnavailable("The gateway's answer had no payment profile id.")
        return payment_profile_id

    def add_card(
        self,
        customer_profile_id: str,
        card: CardInput,
        billing: BillingAddress | None,
        *,
        validation_mode: ValidationMode = "testMode",
        make_default: bool = False,
    ) -> MaskedPaymentProfile:
        """Store a card; the brand, expiry and default flag returned are the gateway's.

        The stored profile is read back because only the gateway's verdict on the brand
        counts (our prefix table is a hint for typing). Should that read fail, the card
        is stored all the same, so the new id is still returned, with the brand unknown
        (None) until the profile is next read.
        """
        card.check_not_expired(self._clock.now().date())
        payment_profile_id = self._create_payment_profile(
            customer_profile_id,
            lambda: building.card_payment(card.number, card.expiration_date, card.cvv),
            billing,
            validation_mode,
            make_default,
        )
        try:
            return self.get_payment_profile(customer_profile_id, payment_profile_id)
        except GatewayError:
            return MaskedPaymentProfile(
                customer_profile_id=customer_profile_id,
                payment_profile_id=payment_profile_id,
                kind="card",
                brand=None,
                last4=card.last4,
                exp_month=card.exp_month,
                exp_year=card.exp_year,
                billing_address=billing,
                is_default=make_default,
            )

    def add_bank_account(
        self,
        customer_profile_id: str,
        account: BankAccountInput,
        billing: BillingAddress | None,
        *,
        validation_mode: ValidationMode = "testMode",
        make_default: bool = False,
    ) -> MaskedPaymentProfile:
        payment_profile_id = self._create_payment_profile(
            customer_profile_id,
            lambda: building.bank_payment(account),
            billing,
            validation_mode,
            make_default,
        )
        return MaskedPaymentProfile(
            customer_profile_id=customer_profile_id,
            payment_profile_id=payment_profile_id,
            kind="bank",
            brand=None,
            last4=account.last4,
            exp_month=None,
            exp_year=None,
            billing_address=billing,
            is_default=make_default,
            account_type=account.account_type,
            name_on_account=account.name_on_account,
            routing_last4=account.routing_number[-4:],
        )

    def add_from_nonce(
        self,
        customer_profile_id: str,
        nonce: AcceptNonce,
        billing: BillingAddress | None,
        *,
        validation_mode: ValidationMode = "testMode",
        make_default: bool = False,
    ) -> MaskedPaymentProfile:
        payment_profile_id = self._create_payment_profile(
            customer_profile_id,
            lambda: building.nonce_payment(nonce),
            billing,
            validation_mode,
            make_default,
        )
        # Only the gateway knows what card the nonce stood for.
        return self.get_payment_profile(customer_profile_id, payment_profile_id)

    def get_payment_profile(
        self, customer_profile_id: str, payment_profile_id: str
    ) -> MaskedPaymentProfile:
        root = self._ok(building.get_payment_profile(customer_profile_id, payment_profile_id))
        element = root.find("paymentProfile")
        if element is None:
            raise GatewayUnavailable("The gateway's answer had no payment profile.")
        return self._read(lambda: answers.payment_profile(element, customer_profile_id))

    def cards_expiring_in(self, month: str) -> list[MaskedPaymentProfile]:
        """Every stored card whose expiry is ``month`` (``YYYY-MM``)."""
        year, month_number = check_year_month(month)
        return self._pages(
            functools.partial(building.cards_expiring_in, f"{year:04d}-{month_number:02d}"),
            "paymentProfiles/paymentProfile",
            # The list masks expiry dates; the month searched for is their expiry.
            lambda item: answers.payment_profile(item, None, (year, month_number)),
        )

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
    ) -> MaskedPaymentProfile:
        """Change a stored payment method; what is not given stays as it is.

        The gateway replaces a payment profile wholesale, so the current one is read
        first and resent with the changes (the card number as the masked ``XXXX1234``,
        which the gateway takes to mean "keep the stored number").
        """
        building.check_validation_mode(validation_mode)
        if (exp_month is None) != (exp_year is None):
            raise InvalidField("expiration", "Give both the expiry month and the expiry year.")
        if card is not None:
            card.check_not_expired(self._clock.now().date())
        current = self.get_payment_profile(customer_profile_id, payment_profile_id)
        expiration = ""  # the masked card's expiry, when the card itself is kept
        if card is None and current.kind == "bank" and exp_month is not None:
            raise InvalidField("expiration", "A bank account has no expiry date.")
        if card is None and current.kind == "card":
            month = exp_month if exp_month is not None else current.exp_month
            year = exp_year if exp_year is not None else current.exp_year
            if month is None or year is None:
                raise InvalidField("expiration", "Give the card's expiry month and year.")
            if exp_month is not None and exp_year is not None:
                check_expiry(exp_month, exp_year, self._clock.now().date())
            expiration = f"{year:04d}-{month:02d}"

        def make_payment() -> object:
            if card is not None:
                return building.card_payment(card.number, card.expiration_date, card.cvv)
            if current.kind == "card":
                return building.card_payment(f"XXXX{current.last4}", expiration)
            return building.masked_bank_payment(current)

        call = building.update_payment_profile(
            customer_profile_id,
            payment_profile_id,
            make_payment,
            billing or current.billing_address,
            make_default,
            validation_mode,
        )
        self._ok(call, duplicate_kind="payment")
        return self.get_payment_profile(customer_profile_id, payment_profile_id)

    def delete_payment_profile(self, customer_profile_id: str, payment_profile_id: str) -> None:
        self._ok(building.delete_payment_profile(customer_profile_id, payment_profile_id))

    def validate_payment_profile(
        self,
        customer_profile_id: str,
        payment_profile_id: str,
        *,
        cvv: str | None = None,
        validation_mode: ValidationMode = "liveMode",
    ) -> None:
        building.check_validation_mode(validation_mode)
        self._ok(
            building.validate_payment_profile(
                customer_profile_id, payment_profile_id, cvv, validation_mode
            )
        )

    # -- transactions ------------------------------------------------------------------

    def _transact(self, call: SdkCall, money: MoneyCall) -> Element:
        return outcomes.transaction_verdict(self._call(call, money), money)

    def charge_profile(self, request: ChargeRequest) -> ChargeResult:
        money = MoneyCall(
            "charge",
            ref_id=request.ref_id,
            invoice_number=request.invoice_number,
            customer_profile_id=request.customer_profile_id,
            payment_profile_id=request.payment_profile_id,
        )
        element = self._transact(building.charge(request), money)
        return answers.charge_result(element, request)

    def refund(self, request: RefundRequest) -> TransactionResult:
        if request.kind != "card" and not (
            request.customer_profile_id and request.payment_profile_id
        ):
            raise InvalidField(
                "payment_profile_id",
                "Refunding an eCheck needs the payment profile it was charged to.",
            )
        money = MoneyCall(
            "refund",
            ref_id=request.ref_id,
            invoice_number=request.invoice_number,
            reference_transaction_id=request.transaction_id,
            customer_profile_id=request.customer_profile_id,
            payment_profile_id=request.payment_profile_id,
        )
        element = self._transact(building.refund(request), money)
        return answers.transaction_result(
            element,
            request.transaction_id,
            requested_amount=request.amount,
            ref_id=request.ref_id,
        )

    def void(self, transaction_id: str, *, ref_id: str | None = None) -> TransactionResult:
        if not transaction_id:
            raise InvalidField("transaction_id", "Choose the transaction to void.")
        money = MoneyCall("void", ref_id=ref_id, reference_transaction_id=transaction_id)
        element = self._transact(building.void(transaction_id, ref_id), money)
        return answers.transaction_result(element, transaction_id, ref_id=ref_id)

    # -- reporting ---------------------------------------------------------------------

    def transaction_details(self, transaction_id: str) -> TransactionDetails:
        root = self._ok(building.transaction_details(transaction_id))
        element = root.find("transaction")
        if element is None:
            raise GatewayUnavailable("The gateway's answer had no transaction.")
        return self._read(lambda: answers.transaction_details(element))

    def transactions_for_customer(
        self, customer_profile_id: str, payment_profile_id: str | None = None
    ) -> list[TransactionSummary]:
        return self._pages(
            functools.partial(
                building.transactions_for_customer, customer_profile_id, payment_profile_id
            ),
            "transactions/transaction",
            answers.transaction_summary,
        )

    def unsettled_transactions(self) -> list[TransactionSummary]:
        return self._pages(
            building.unsettled_transactions,
            "transactions/transaction",
            answers.transaction_summary,
        )

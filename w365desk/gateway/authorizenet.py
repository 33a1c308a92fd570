"""The Authorize.Net adapter: the one module of the program that imports the official SDK.

How the SDK is used, and why not ``controller.execute()``:

* Requests are built with the SDK's contract classes (``apicontractsv1``) and
  serialised by the matching controller (``controller.setClientId()`` then
  ``controller.buildrequest()``, exactly what ``execute()`` does before posting), so
  the request XML — element order, schema facets, clientId — is the SDK's own.
* The POST itself is ours (``transport.DeadlineTransport``). ``execute()`` reads the
  endpoint from class-level state that every controller constructor resets to the
  sandbox URL (a race the moment two threads call at once), posts without any timeout
  (a hung gateway hangs the caller forever), swallows network errors (no way to tell
  "never sent" from "sent, answer lost") and on failure logs the whole request, card
  number included. Our transport has a per-thread ``requests.Session``, a hard total
  deadline and tells "provably not sent" from "may have been processed". The class-level
  environment is never read, so no lock is needed and calls run truly in parallel.
* Answers are read with lxml (``responses.py``) rather than the SDK's
  ``CreateFromDocument`` + objectify round trip: that round trip costs ~9 ms of
  GIL-holding CPU per answer (it would cap parallel throughput) and rejects answers
  carrying elements newer than the SDK's bundled schema.

The SDK's loggers (``authorizenet.*``) and PyXB's (``pyxb.*``) are silenced at import:
no propagation, a NullHandler, a level above CRITICAL and a filter that drops every
record, so nothing they might say (the SDK prints whole requests) can reach a handler
whatever level the app configures.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import pyxb
from authorizenet import apicontractsv1 as contracts
from authorizenet import apicontrollers as controllers
from authorizenet.constants import constants as sdk_constants

from w365desk.clock import Clock, SystemClock
from w365desk.gateway import responses
from w365desk.gateway.errors import (
    GatewayError,
    GatewayUnavailable,
    InvalidField,
    OutcomeUnknown,
    ProfileKind,
)
from w365desk.gateway.messages import (
    MONEY_MAY_HAVE_MOVED,
    NOT_PROCESSED_CODES,
    api_error,
    redact,
    transaction_error,
)
from w365desk.gateway.transport import DeadlineTransport, MaybeSent, NotSent
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

SANDBOX_URL = "https://apitest.authorize.net/xml/v1/request.api"
PRODUCTION_URL = "https://api.authorize.net/xml/v1/request.api"
DEFAULT_TIMEOUT_S = 30.0
_PAGE_SIZE = 1000
_VALIDATION_MODES = ("none", "testMode", "liveMode")

T = TypeVar("T")


class _DropEverything(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return False


_DROP_EVERYTHING = _DropEverything()


def silence_sdk_logging() -> None:
    """Make the SDK's and PyXB's loggers unable to emit anything. Safe to call again."""
    names = {"authorizenet", sdk_constants.defaultLoggerName, "pyxb"}
    names.update(
        name
        for name in list(logging.root.manager.loggerDict)
        if name.startswith(("authorizenet.", "pyxb."))
    )
    for name in names:
        logger = logging.getLogger(name)
        if _DROP_EVERYTHING not in logger.filters:
            logger.addFilter(_DROP_EVERYTHING)
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())
        logger.propagate = False
        logger.setLevel(logging.CRITICAL + 1)


silence_sdk_logging()


@dataclass(frozen=True)
class _Money:
    """What an unanswered or ambiguous charge, refund or void must carry for reconciliation."""

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


def _built(build: Callable[[], T]) -> T:
    """Run a request-building step, turning PyXB's complaints into ``InvalidField``.

    PyXB checks values as they are assigned and its messages quote the value, which
    may be a card number; so does its traceback. Only the kind of problem is kept,
    and the error is raised *after* the except block, so the PyXB exception is
    neither the new error's ``__cause__`` nor its ``__context__`` and is freed.
    """
    failure: str | None = None
    try:
        return build()
    except pyxb.PyXBException as error:
        failure = type(error).__name__
    raise InvalidField("request", f"A value does not fit the gateway's format ({failure}).")


def _live_id(value: str | None) -> str | None:
    """A transaction id, or None for the gateway's "no transaction" id 0."""
    return value if value not in (None, "", "0") else None


def _bill_to(address: BillingAddress | None) -> Any:
    if address is None:
        return None
    bill_to = contracts.customerAddressType()
    for attribute, value in (
        ("firstName", address.first_name),
        ("lastName", address.last_name),
        ("company", address.company),
        ("address", address.address),
        ("city", address.city),
        ("state", address.state),
        ("zip", address.zip),
        ("country", address.country),
        ("phoneNumber", address.phone),
    ):
        if value:
            setattr(bill_to, attribute, value)
    return bill_to


def _card_payment(number: str, expiration: str, cvv: str | None = None) -> Any:
    card = contracts.creditCardType()
    card.cardNumber = number
    card.expirationDate = expiration
    if cvv:
        card.cardCode = cvv
    payment = contracts.paymentType()
    payment.creditCard = card
    return payment


def _bank_payment(account: BankAccountInput) -> Any:
    bank = contracts.bankAccountType()
    bank.accountType = account.account_type
    bank.routingNumber = account.routing_number
    bank.accountNumber = account.account_number
    bank.nameOnAccount = account.name_on_account
    bank.echeckType = account.echeck_type
    if account.bank_name:
        bank.bankName = account.bank_name
    payment = contracts.paymentType()
    payment.bankAccount = bank
    return payment


def _masked_bank_payment(current: MaskedPaymentProfile) -> Any:
    # Masked numbers tell the gateway to keep the stored routing and account numbers.
    bank = contracts.bankAccountType()
    if current.account_type:
        bank.accountType = current.account_type
    bank.routingNumber = f"XXXX{current.routing_last4 or ''}"
    bank.accountNumber = f"XXXX{current.last4}"
    bank.nameOnAccount = current.name_on_account or ""
    payment = contracts.paymentType()
    payment.bankAccount = bank
    return payment


def _nonce_payment(nonce: AcceptNonce) -> Any:
    opaque = contracts.opaqueDataType()
    opaque.dataDescriptor = nonce.descriptor
    opaque.dataValue = nonce.value
    payment = contracts.paymentType()
    payment.opaqueData = opaque
    return payment


def _paging(offset: int) -> Any:
    paging = contracts.Paging()
    paging.limit = _PAGE_SIZE
    paging.offset = offset
    return paging


def _check_mode(mode: str) -> None:
    if mode not in _VALIDATION_MODES:
        raise InvalidField(
            "validation_mode", "The validation mode must be none, testMode or liveMode."
        )


def _payment_profile_element(
    billing: BillingAddress | None, payment: Any, make_default: bool, profile_type: Any
) -> Any:
    profile = profile_type()
    bill_to = _bill_to(billing)
    if bill_to is not None:
        profile.billTo = bill_to
    profile.payment = payment
    if make_default:
        profile.defaultPaymentProfile = True
    return profile


def _profile_payment(customer_profile_id: str, payment_profile_id: str, cvv: str | None) -> Any:
    profile = contracts.customerProfilePaymentType()
    profile.customerProfileId = customer_profile_id
    payment_profile = contracts.paymentProfile()
    payment_profile.paymentProfileId = payment_profile_id
    if cvv:
        payment_profile.cardCode = cvv
    profile.paymentProfile = payment_profile
    return profile


def _order(invoice_number: str, description: str | None = None) -> Any:
    order = contracts.orderType()
    order.invoiceNumber = invoice_number
    if description:
        order.description = description
    return order


def _charge_transaction(request: ChargeRequest) -> Any:
    transaction = contracts.transactionRequestType()
    transaction.transactionType = "authCaptureTransaction"
    transaction.amount = request.amount
    transaction.profile = _profile_payment(
        request.customer_profile_id, request.payment_profile_id, request.cvv
    )
    transaction.order = _order(request.invoice_number, request.description)
    setting = contracts.settingType()
    setting.settingName = "duplicateWindow"
    setting.settingValue = str(request.duplicate_window_s)
    settings = contracts.ArrayOfSetting()
    settings.setting.append(setting)
    transaction.transactionSettings = settings
    return transaction


def _refund_transaction(request: RefundRequest) -> Any:
    transaction = contracts.transactionRequestType()
    transaction.transactionType = "refundTransaction"
    transaction.amount = request.amount
    if request.customer_profile_id and request.payment_profile_id:
        transaction.profile = _profile_payment(
            request.customer_profile_id, request.payment_profile_id, None
        )
    else:
        transaction.payment = _card_payment(request.last4, "XXXX")
    transaction.refTransId = request.transaction_id
    transaction.order = _order(request.invoice_number)
    return transaction


def _void_transaction(transaction_id: str) -> Any:
    transaction = contracts.transactionRequestType()
    transaction.transactionType = "voidTransaction"
    transaction.refTransId = transaction_id
    return transaction


def _transaction_list_request(make_request: Callable[[], Any], offset: int) -> Any:
    request = make_request()
    sorting = contracts.TransactionListSorting()
    sorting.orderBy = "submitTimeUTC"
    sorting.orderDescending = False
    request.sorting = sorting
    request.paging = _paging(offset)
    return request


def _expiring_cards_request(month: str, offset: int) -> Any:
    request = contracts.getCustomerPaymentProfileListRequest()
    request.searchType = "cardsExpiringInMonth"
    request.month = month
    sorting = contracts.CustomerPaymentProfileSorting()
    sorting.orderBy = "id"
    sorting.orderDescending = False
    request.sorting = sorting
    request.paging = _paging(offset)
    return request


def _result_count(root: responses.Element, fallback: int) -> int:
    text = responses.text(root, "totalNumInResultSet")
    if text is None:
        return fallback
    if not text.isascii() or not text.isdigit():
        raise responses.UnreadableResponse("totalNumInResultSet is not a number")
    return int(text)


def _refusal(element: responses.Element, root: responses.Element) -> tuple[str | None, str | None]:
    """A refused transaction's reason code and text: ``errors`` first, then ``messages``."""
    error = element.find("errors/error")
    if error is not None:
        return responses.text(error, "errorCode"), responses.text(error, "errorText")
    reason = responses.text(element, "messages/message/description")
    if reason is not None:
        return responses.text(element, "messages/message/code"), reason
    return responses.first_message(root)


class _SandboxLike(Protocol):
    """What ``sandbox_gateway`` needs of a ``SandboxServer``."""

    @property
    def api_url(self) -> str: ...

    @property
    def api_login_id(self) -> str: ...

    @property
    def transaction_key(self) -> str: ...


class AuthorizeNetGateway:
    """``Gateway`` over Authorize.Net's XML API. Safe to share between threads."""

    def __init__(
        self,
        api_login_id: str,
        transaction_key: str,
        endpoint_url: str = SANDBOX_URL,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        clock: Clock | None = None,
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
        self._transport = DeadlineTransport(endpoint_url, timeout_s, sdk_constants.headers)

    def __repr__(self) -> str:
        return f"AuthorizeNetGateway({self._login_id!r}, {self.endpoint_url!r})"

    def close(self) -> None:
        self._transport.close()

    # -- plumbing --------------------------------------------------------------------

    def _serialise(self, controller_class: Callable[[Any], Any], request: Any) -> bytes:
        authentication = contracts.merchantAuthenticationType()
        authentication.name = self._login_id
        authentication.transactionKey = self._transaction_key
        request.merchantAuthentication = authentication
        controller = controller_class(request)
        controller.setClientId()
        body: bytes = controller.buildrequest()
        return body

    def _call(
        self,
        controller_class: Callable[[Any], Any],
        request: Any,
        expected_root: str,
        money: _Money | None = None,
    ) -> responses.Element:
        body = _built(lambda: self._serialise(controller_class, request))
        try:
            reply = self._transport.post(body)
        except NotSent as error:
            raise GatewayUnavailable(
                "The gateway could not be reached; nothing was sent. Check the network "
                "connection and try again.",
                detail=error.detail,
            ) from None
        except MaybeSent as error:
            why = "no answer in time" if error.timed_out else "the connection broke"
            if money is not None:
                raise money.unknown(why, error.detail) from None
            raise GatewayUnavailable(
                f"The gateway did not answer ({why}). Please try again.", detail=error.detail
            ) from None
        if reply.status != 200:
            detail = f"HTTP {reply.status}"
            if money is not None:
                raise money.unknown(f"the gateway answered HTTP {reply.status}", detail)
            raise GatewayUnavailable(
                f"The gateway answered with an error page (HTTP {reply.status}). "
                "Please try again later.",
                detail=detail,
            )
        try:
            return responses.parse(reply.body, expected_root)
        except responses.UnreadableResponse as error:
            if money is not None:
                raise money.unknown("its answer could not be read", str(error)) from None
            raise GatewayUnavailable(
                "The gateway's answer could not be read. Please try again.", detail=str(error)
            ) from None

    def _ok(
        self,
        controller_class: Callable[[Any], Any],
        request: Any,
        expected_root: str,
        *,
        duplicate_kind: ProfileKind = "customer",
    ) -> responses.Element:
        root = self._call(controller_class, request, expected_root)
        if not responses.is_ok(root):
            code, text = responses.first_message(root)
            existing = responses.text(root, "customerPaymentProfileId")
            raise api_error(
                code,
                text,
                duplicate_kind=duplicate_kind,
                existing_id=existing,
            )
        return root

    def _read(self, action: Callable[[], T]) -> T:
        try:
            return action()
        except responses.UnreadableResponse as error:
            raise GatewayUnavailable(
                "The gateway's answer could not be read. Please try again.", detail=str(error)
            ) from None

    def _pages(
        self,
        make_request: Callable[[int], Any],
        controller_class: Callable[[Any], Any],
        expected_root: str,
        items_path: str,
        read_item: Callable[[responses.Element], T],
    ) -> list[T]:
        """Every item of a paged list (pages are numbered from 1)."""
        found: list[T] = []
        offset = 1
        while True:
            request = _built(functools.partial(make_request, offset))
            root = self._ok(controller_class, request, expected_root)
            items = root.findall(items_path)
            found.extend(self._read(functools.partial(list, map(read_item, items))))
            total = self._read(functools.partial(_result_count, root, len(found)))
            if len(items) < _PAGE_SIZE or len(found) >= total:
                return found
            offset += 1

    # -- account -----------------------------------------------------------------------

    def test_credentials(self) -> None:
        request = contracts.authenticateTestRequest()
        self._ok(controllers.authenticateTestController, request, "authenticateTestResponse")

    # -- customer profiles -------------------------------------------------------------

    def create_customer_profile(self, profile: CustomerProfileInput) -> str:
        def build() -> Any:
            body = contracts.customerProfileType()
            if profile.merchant_customer_id:
                body.merchantCustomerId = profile.merchant_customer_id
            if profile.description:
                body.description = profile.description
            if profile.email:
                body.email = profile.email
            request = contracts.createCustomerProfileRequest()
            request.profile = body
            return request

        root = self._ok(
            controllers.createCustomerProfileController,
            _built(build),
            "createCustomerProfileResponse",
        )
        profile_id = responses.text(root, "customerProfileId")
        if not profile_id:
            raise GatewayUnavailable("The gateway's answer had no customer profile id.")
        return profile_id

    def get_customer_profile(self, customer_profile_id: str) -> CustomerProfile:
        def build() -> Any:
            request = contracts.getCustomerProfileRequest()
            request.customerProfileId = customer_profile_id
            request.unmaskExpirationDate = True
            return request

        root = self._ok(
            controllers.getCustomerProfileController, _built(build), "getCustomerProfileResponse"
        )
        element = root.find("profile")
        if element is None:
            raise GatewayUnavailable("The gateway's answer had no customer profile.")
        return self._read(lambda: responses.customer_profile(element))

    def delete_customer_profile(self, customer_profile_id: str) -> None:
        def build() -> Any:
            request = contracts.deleteCustomerProfileRequest()
            request.customerProfileId = customer_profile_id
            return request

        self._ok(
            controllers.deleteCustomerProfileController,
            _built(build),
            "deleteCustomerProfileResponse",
        )

    # -- payment profiles --------------------------------------------------------------

    def _create_payment_profile(
        self,
        customer_profile_id: str,
        make_payment: Callable[[], Any],
        billing: BillingAddress | None,
        validation_mode: ValidationMode,
        make_default: bool,
    ) -> str:
        _check_mode(validation_mode)

        def build() -> Any:
            request = contracts.createCustomerPaymentProfileRequest()
            request.customerProfileId = customer_profile_id
            request.paymentProfile = _payment_profile_element(
                billing, make_payment(), make_default, contracts.customerPaymentProfileType
            )
            request.validationMode = validation_mode
            return request

        root = self._ok(
            controllers.createCustomerPaymentProfileController,
            _built(build),
            "createCustomerPaymentProfileResponse",
            duplicate_kind="payment",
        )
        payment_profile_id = responses.text(root, "customerPaymentProfileId")
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
            lambda: _card_payment(card.number, card.expiration_date, card.cvv),
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
            lambda: _bank_payment(account),
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
            lambda: _nonce_payment(nonce),
            billing,
            validation_mode,
            make_default,
        )
        # Only the gateway knows what card the nonce stood for.
        return self.get_payment_profile(customer_profile_id, payment_profile_id)

    def get_payment_profile(
        self, customer_profile_id: str, payment_profile_id: str
    ) -> MaskedPaymentProfile:
        def build() -> Any:
            request = contracts.getCustomerPaymentProfileRequest()
            request.customerProfileId = customer_profile_id
            request.customerPaymentProfileId = payment_profile_id
            request.unmaskExpirationDate = True
            return request

        root = self._ok(
            controllers.getCustomerPaymentProfileController,
            _built(build),
            "getCustomerPaymentProfileResponse",
        )
        element = root.find("paymentProfile")
        if element is None:
            raise GatewayUnavailable("The gateway's answer had no payment profile.")
        return self._read(lambda: responses.payment_profile(element, customer_profile_id))

    def cards_expiring_in(self, month: str) -> list[MaskedPaymentProfile]:
        """Every stored card whose expiry is ``month`` (``YYYY-MM``)."""
        year, month_number = check_year_month(month)
        return self._pages(
            functools.partial(_expiring_cards_request, f"{year:04d}-{month_number:02d}"),
            controllers.getCustomerPaymentProfileListController,
            "getCustomerPaymentProfileListResponse",
            "paymentProfiles/paymentProfile",
            # The list masks expiry dates; the month searched for is their expiry.
            lambda item: responses.payment_profile(item, None, (year, month_number)),
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
        _check_mode(validation_mode)
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

        def make_payment() -> Any:
            if card is not None:
                return _card_payment(card.number, card.expiration_date, card.cvv)
            if current.kind == "card":
                return _card_payment(f"XXXX{current.last4}", expiration)
            return _masked_bank_payment(current)

        def build() -> Any:
            profile = _payment_profile_element(
                billing or current.billing_address,
                make_payment(),
                make_default,
                contracts.customerPaymentProfileExType,
            )
            profile.customerPaymentProfileId = payment_profile_id
            request = contracts.updateCustomerPaymentProfileRequest()
            request.customerProfileId = customer_profile_id
            request.paymentProfile = profile
            request.validationMode = validation_mode
            return request

        self._ok(
            controllers.updateCustomerPaymentProfileController,
            _built(build),
            "updateCustomerPaymentProfileResponse",
            duplicate_kind="payment",
        )
        return self.get_payment_profile(customer_profile_id, payment_profile_id)

    def delete_payment_profile(self, customer_profile_id: str, payment_profile_id: str) -> None:
        def build() -> Any:
            request = contracts.deleteCustomerPaymentProfileRequest()
            request.customerProfileId = customer_profile_id
            request.customerPaymentProfileId = payment_profile_id
            return request

        self._ok(
            controllers.deleteCustomerPaymentProfileController,
            _built(build),
            "deleteCustomerPaymentProfileResponse",
        )

    def validate_payment_profile(
        self,
        customer_profile_id: str,
        payment_profile_id: str,
        *,
        cvv: str | None = None,
        validation_mode: ValidationMode = "liveMode",
    ) -> None:
        _check_mode(validation_mode)

        def build() -> Any:
            request = contracts.validateCustomerPaymentProfileRequest()
            request.customerProfileId = customer_profile_id
            request.customerPaymentProfileId = payment_profile_id
            if cvv:
                request.cardCode = cvv
            request.validationMode = validation_mode
            return request

        self._ok(
            controllers.validateCustomerPaymentProfileController,
            _built(build),
            "validateCustomerPaymentProfileResponse",
        )

    # -- transactions ------------------------------------------------------------------

    def _transact(
        self, make_transaction: Callable[[], Any], ref_id: str | None, money: _Money
    ) -> responses.Element:
        """Send a createTransactionRequest; return its ``transactionResponse`` if it went
        through (response code 1 or 4), raise the matching error otherwise.

        The rule for money: only an answer that proves nothing happened becomes a
        ``TransactionFailed`` or a request-level error; anything else is ``OutcomeUnknown``.
        """

        def build() -> Any:
            request = contracts.createTransactionRequest()
            if ref_id:
                request.refId = ref_id
            request.transactionRequest = make_transaction()
            return request

        root = self._call(
            controllers.createTransactionController,
            _built(build),
            "createTransactionResponse",
            money,
        )
        element = root.find("transactionResponse")
        response_code = responses.text(element, "responseCode")
        if response_code is None:
            if responses.is_ok(root):
                # "Ok" with no verdict: whatever happened is not stated.
                raise money.unknown("its answer had no transaction result", "no responseCode")
            code, text = responses.first_message(root)
            if code in NOT_PROCESSED_CODES:
                raise api_error(code, text)
            raise money.unknown(
                f"the gateway reported error {code}: {redact(text) or 'no details given'}",
                f"request-level {code}",
                code=code,
            )
        transaction_id = _live_id(responses.text(element, "transId"))
        if response_code in ("1", "4"):
            if transaction_id is None:
                raise money.unknown("its answer had no transaction id", "no transId")
            return element
        if response_code in ("2", "3"):
            reason_code, reason = _refusal(element, root)
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

    @staticmethod
    def _verdict_text(element: responses.Element) -> str:
        return (
            responses.text(element, "messages/message/description")
            or ("Held for review." if responses.text(element, "responseCode") == "4" else "")
            or "Approved."
        )

    def charge_profile(self, request: ChargeRequest) -> ChargeResult:
        money = _Money(
            "charge",
            ref_id=request.ref_id,
            invoice_number=request.invoice_number,
            customer_profile_id=request.customer_profile_id,
            payment_profile_id=request.payment_profile_id,
        )
        element = self._transact(lambda: _charge_transaction(request), request.ref_id, money)
        return ChargeResult(
            transaction_id=responses.text(element, "transId") or "",
            response_code=responses.text(element, "responseCode") or "",
            auth_code=responses.text(element, "authCode"),
            avs_result_code=responses.text(element, "avsResultCode"),
            cvv_result_code=responses.text(element, "cvvResultCode"),
            account_number_masked=responses.text(element, "accountNumber"),
            account_type=responses.text(element, "accountType"),
            message=self._verdict_text(element),
            requested_amount=request.amount,
            ref_id=request.ref_id,
            invoice_number=request.invoice_number,
        )

    def refund(self, request: RefundRequest) -> TransactionResult:
        if request.kind != "card" and not (
            request.customer_profile_id and request.payment_profile_id
        ):
            raise InvalidField(
                "payment_profile_id",
                "Refunding an eCheck needs the payment profile it was charged to.",
            )
        money = _Money(
            "refund",
            ref_id=request.ref_id,
            invoice_number=request.invoice_number,
            reference_transaction_id=request.transaction_id,
            customer_profile_id=request.customer_profile_id,
            payment_profile_id=request.payment_profile_id,
        )
        element = self._transact(lambda: _refund_transaction(request), request.ref_id, money)
        return TransactionResult(
            transaction_id=responses.text(element, "transId") or "",
            response_code=responses.text(element, "responseCode") or "",
            reference_transaction_id=request.transaction_id,
            auth_code=responses.text(element, "authCode"),
            message=self._verdict_text(element),
            requested_amount=request.amount,
            ref_id=request.ref_id,
        )

    def void(self, transaction_id: str, *, ref_id: str | None = None) -> TransactionResult:
        if not transaction_id:
            raise InvalidField("transaction_id", "Choose the transaction to void.")
        money = _Money("void", ref_id=ref_id, reference_transaction_id=transaction_id)
        element = self._transact(lambda: _void_transaction(transaction_id), ref_id, money)
        return TransactionResult(
            transaction_id=responses.text(element, "transId") or "",
            response_code=responses.text(element, "responseCode") or "",
            reference_transaction_id=transaction_id,
            auth_code=responses.text(element, "authCode"),
            message=self._verdict_text(element),
            ref_id=ref_id,
        )

    # -- reporting ---------------------------------------------------------------------

    def transaction_details(self, transaction_id: str) -> TransactionDetails:
        def build() -> Any:
            request = contracts.getTransactionDetailsRequest()
            request.transId = transaction_id
            return request

        root = self._ok(
            controllers.getTransactionDetailsController,
            _built(build),
            "getTransactionDetailsResponse",
        )
        element = root.find("transaction")
        if element is None:
            raise GatewayUnavailable("The gateway's answer had no transaction.")
        return self._read(lambda: responses.transaction_details(element))

    def transactions_for_customer(
        self, customer_profile_id: str, payment_profile_id: str | None = None
    ) -> list[TransactionSummary]:
        def make_request() -> Any:
            request = contracts.getTransactionListForCustomerRequest()
            request.customerProfileId = customer_profile_id
            if payment_profile_id:
                request.customerPaymentProfileId = payment_profile_id
            return request

        return self._pages(
            functools.partial(_transaction_list_request, make_request),
            controllers.getTransactionListForCustomerController,
            # Not a typo: the gateway answers this request with getTransactionListResponse.
            "getTransactionListResponse",
            "transactions/transaction",
            responses.transaction_summary,
        )

    def unsettled_transactions(self) -> list[TransactionSummary]:
        return self._pages(
            functools.partial(
                _transaction_list_request, contracts.getUnsettledTransactionListRequest
            ),
            controllers.getUnsettledTransactionListController,
            "getUnsettledTransactionListResponse",
            "transactions/transaction",
            responses.transaction_summary,
        )


def sandbox_gateway(
    server: _SandboxLike,
    *,
    api_login_id: str | None = None,
    transaction_key: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    clock: Clock | None = None,
) -> AuthorizeNetGateway:
    """The adapter pointed at a running offline ``SandboxServer``, with the credentials
    it was started with unless others are given (e.g. to test a wrong key)."""
    return AuthorizeNetGateway(
        api_login_id or server.api_login_id,
        transaction_key or server.transaction_key,
        server.api_url,
        timeout_s=timeout_s,
        clock=clock,
    )

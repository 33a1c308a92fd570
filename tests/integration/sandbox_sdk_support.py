"""Shared helpers for the sandbox tests: drive the unchanged official SDK against a sandbox
and parse every answer strictly, exactly as the SDK does (ISO-8859-1, first three
characters dropped, ``apicontractsv1.CreateFromDocument``).

The other ``test_sandbox_*`` files import these helpers; the few tests here check the
helpers themselves.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import pytest
import pyxb.binding.content
import requests
from authorizenet import apicontractsv1 as contracts
from authorizenet import apicontrollers as controllers
from lxml import objectify

BOM = b"\xef\xbb\xbf"
FAR_EXPIRY = "2030-12"
VISA = "4111111111111111"


@contextlib.contextmanager
def wide_wildcards() -> Iterator[None]:
    """Lift PyXB's guard of 20 pending parse paths for one parse.

    The XSD ends customerAddressType (and the payment profile type around it) with
    ``xs:any`` wildcards, so each child element can match its own declaration or a
    wildcard; a billing address of five or more fields opens more than 20 paths and the
    SDK's strict parse gives up (then falls back to lxml objectify). Real Authorize.Net
    answers do the same. Raising the guard still proves element order and required
    elements against the unchanged bindings.
    """
    config = pyxb.binding.content.AutomatonConfiguration
    previous = config.PermittedNondeterminism
    config.PermittedNondeterminism = 100_000
    try:
        yield
    finally:
        config.PermittedNondeterminism = previous


def strict_parse(raw: bytes, *, wide: bool = False) -> Any:
    """Parse an answer the way the SDK does, raising if the bindings reject it."""
    assert raw.startswith(BOM), "every answer must start with the UTF-8 byte-order mark"
    text = raw.decode("iso-8859-1")[3:]
    logging.getLogger("pyxb").setLevel(logging.ERROR)  # "multiple accepting paths" chatter
    if wide:
        with wide_wildcards():
            return contracts.CreateFromDocument(text)
    return contracts.CreateFromDocument(text)


class Wire:
    """Records the raw bytes of every answer the SDK receives (the real call goes through)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.answers: list[requests.Response] = []
        real_post = requests.post

        def recording_post(*args: Any, **kwargs: Any) -> requests.Response:
            kwargs.setdefault("timeout", 30)  # a stuck test fails instead of hanging
            response = real_post(*args, **kwargs)
            self.answers.append(response)
            return response

        monkeypatch.setattr(requests, "post", recording_post)

    @property
    def last(self) -> requests.Response:
        return self.answers[-1]


NAMESPACE = "AnetApi/xml/v1/schema/AnetApiSchema.xsd"


def _qualified(path: str) -> str:
    return "/".join(f"{{{NAMESPACE}}}{step}" for step in path.split("/"))


@dataclass
class Answer:
    """One answer, three ways.

    ``response`` is what the SDK hands the app; ``strict`` proves the PyXB bindings
    accept the bytes (do not read fields from it: the base response type ends with an
    ``xs:any`` wildcard and PyXB may file a child such as ``customerProfileId`` under it);
    ``xml`` is lxml objectify of the raw bytes, which the tests read.
    """

    response: Any
    strict: Any
    xml: Any
    raw: bytes

    @property
    def result_code(self) -> str:
        return self.value("messages/resultCode")

    @property
    def code(self) -> str:
        return self.value("messages/message/code")

    @property
    def text(self) -> str:
        # Read by path: objectify's ``.text`` is the element's own text, not the child.
        return self.value("messages/message/text")

    def has(self, path: str) -> bool:
        return self.xml.find(_qualified(path)) is not None

    def values(self, path: str) -> list[str]:
        return [element.text or "" for element in self.xml.findall(_qualified(path))]

    def value(self, path: str) -> str:
        element = self.xml.find(_qualified(path))
        assert element is not None, f"{path} is missing"
        return element.text or ""


def objectify_answer(raw: bytes) -> Any:
    return objectify.fromstring(raw[3:])


class SandboxAddress(Protocol):
    """Where a sandbox answers and which keys open it (a SandboxServer, or one run by the CLI)."""

    @property
    def api_url(self) -> str: ...

    @property
    def api_login_id(self) -> str: ...

    @property
    def transaction_key(self) -> str: ...


@dataclass(frozen=True)
class RemoteSandbox:
    api_url: str
    api_login_id: str
    transaction_key: str


class Sdk:
    """Calls the sandbox through the SDK's own controllers, then checks the bytes strictly."""

    def __init__(
        self,
        server: SandboxAddress,
        wire: Wire,
        *,
        login: str | None = None,
        key: str | None = None,
    ) -> None:
        self.server = server
        self.wire = wire
        self.login = login or server.api_login_id
        self.key = key or server.transaction_key

    def auth(self) -> Any:
        merchant = contracts.merchantAuthenticationType()
        merchant.name = self.login
        merchant.transactionKey = self.key
        return merchant

    def body(self, controller_class: Any, request: Any) -> bytes:
        """The exact bytes the SDK would post for ``request`` (for raw HTTP tests)."""
        request.merchantAuthentication = self.auth()
        controller = controller_class(request)
        controller.setClientId()
        return controller.buildrequest()

    def call(self, controller_class: Any, request: Any, *, wide: bool = False) -> Answer:
        request.merchantAuthentication = self.auth()
        controller = controller_class(request)
        controller.setenvironment(self.server.api_url)
        controller.execute()
        raw = self.wire.last.content
        assert self.wire.last.headers["Content-Type"] == "application/xml; charset=utf-8"
        strict = strict_parse(raw, wide=wide)
        return Answer(controller.getresponse(), strict, objectify_answer(raw), raw)

    # --- request builders ----------------------------------------------------------------------

    @staticmethod
    def card(number: str = VISA, expiry: str = FAR_EXPIRY, code: str | None = None) -> Any:
        card = contracts.creditCardType()
        card.cardNumber = number
        card.expirationDate = expiry
        if code is not None:
            card.cardCode = code
        payment = contracts.paymentType()
        payment.creditCard = card
        return payment

    @staticmethod
    def bank(account: str = "123456789", routing: str = "121042882", name: str = "Jane Doe") -> Any:
        bank = contracts.bankAccountType()
        bank.accountType = "checking"
        bank.routingNumber = routing
        bank.accountNumber = account
        bank.nameOnAccount = name
        bank.echeckType = "WEB"
        payment = contracts.paymentType()
        payment.bankAccount = bank
        return payment

    @staticmethod
    def opaque(nonce: str) -> Any:
        data = contracts.opaqueDataType()
        data.dataDescriptor = "COMMON.ACCEPT.INAPP.PAYMENT"
        data.dataValue = nonce
        payment = contracts.paymentType()
        payment.opaqueData = data
        return payment

    @staticmethod
    def bill_to(
        first: str = "Jane", last: str = "Doe", address: str = "1 Main St", zip_code: str = "98004"
    ) -> Any:
        bill_to = contracts.customerAddressType()
        bill_to.firstName = first
        bill_to.lastName = last
        bill_to.address = address
        bill_to.zip = zip_code
        return bill_to

    @staticmethod
    def payment_profile(payment: Any, bill_to: Any = None, default: bool | None = None) -> Any:
        profile = contracts.customerPaymentProfileType()
        profile.customerType = "individual"
        if bill_to is not None:
            profile.billTo = bill_to
        profile.payment = payment
        if default is not None:
            profile.defaultPaymentProfile = default
        return profile

    def create_customer(
        self,
        merchant_customer_id: str = "ACME-1",
        email: str | None = "billing@acme.test",
        payment_profiles: list[Any] | None = None,
        validation_mode: str | None = None,
    ) -> Answer:
        profile = contracts.customerProfileType()
        profile.merchantCustomerId = merchant_customer_id
        if email is not None:
            profile.email = email
        if payment_profiles:
            profile.paymentProfiles = payment_profiles
        request = contracts.createCustomerProfileRequest()
        request.profile = profile
        if validation_mode is not None:
            request.validationMode = validation_mode
        return self.call(controllers.createCustomerProfileController, request)

    def add_payment_profile(
        self, customer_id: str, profile: Any, validation_mode: str | None = None
    ) -> Answer:
        request = contracts.createCustomerPaymentProfileRequest()
        request.customerProfileId = customer_id
        request.paymentProfile = profile
        if validation_mode is not None:
            request.validationMode = validation_mode
        return self.call(controllers.createCustomerPaymentProfileController, request)

    def update_payment_profile(
        self, customer_id: str, profile_id: str, payment: Any, bill_to: Any = None
    ) -> Answer:
        profile = contracts.customerPaymentProfileExType()
        if bill_to is not None:
            profile.billTo = bill_to
        profile.payment = payment
        profile.customerPaymentProfileId = profile_id
        request = contracts.updateCustomerPaymentProfileRequest()
        request.customerProfileId = customer_id
        request.paymentProfile = profile
        return self.call(controllers.updateCustomerPaymentProfileController, request)

    def customer_with_card(
        self, number: str = VISA, zip_code: str = "98004", merchant_customer_id: str = "ACME-1"
    ) -> tuple[str, str]:
        answer = self.create_customer(
            merchant_customer_id=merchant_customer_id,
            payment_profiles=[
                self.payment_profile(self.card(number), self.bill_to(zip_code=zip_code))
            ],
        )
        assert answer.result_code == "Ok", answer.text
        return answer.value("customerProfileId"), answer.values(
            "customerPaymentProfileIdList/numericString"
        )[0]

    @staticmethod
    def profile_charge_request(
        customer_id: str, payment_profile_id: str, amount: str = "25.00", invoice: str = "INV-1"
    ) -> Any:
        transaction = contracts.transactionRequestType()
        transaction.transactionType = "authCaptureTransaction"
        transaction.amount = amount
        profile = contracts.customerProfilePaymentType()
        profile.customerProfileId = customer_id
        chosen = contracts.paymentProfile()
        chosen.paymentProfileId = payment_profile_id
        profile.paymentProfile = chosen
        transaction.profile = profile
        order = contracts.orderType()
        order.invoiceNumber = invoice
        transaction.order = order
        request = contracts.createTransactionRequest()
        request.transactionRequest = transaction
        return request

    def charge_profile(
        self,
        customer_id: str,
        payment_profile_id: str,
        amount: str = "25.00",
        invoice: str | None = "INV-1",
        *,
        ref_id: str | None = None,
        duplicate_window: int | None = None,
        card_code: str | None = None,
    ) -> Answer:
        transaction = contracts.transactionRequestType()
        transaction.transactionType = "authCaptureTransaction"
        transaction.amount = amount
        profile = contracts.customerProfilePaymentType()
        profile.customerProfileId = customer_id
        chosen = contracts.paymentProfile()
        chosen.paymentProfileId = payment_profile_id
        if card_code is not None:
            chosen.cardCode = card_code
        profile.paymentProfile = chosen
        transaction.profile = profile
        return self._transaction(transaction, invoice, ref_id, duplicate_window)

    def charge_payment(
        self,
        payment: Any,
        amount: str = "10.00",
        invoice: str | None = "INV-1",
        *,
        bill_to: Any = None,
        duplicate_window: int | None = None,
    ) -> Answer:
        transaction = contracts.transactionRequestType()
        transaction.transactionType = "authCaptureTransaction"
        transaction.amount = amount
        transaction.payment = payment
        if bill_to is not None:
            transaction.billTo = bill_to
        return self._transaction(transaction, invoice, None, duplicate_window)

    def refund(
        self,
        trans_id: str,
        amount: str,
        last4: str = "1111",
        *,
        ref_id: str | None = None,
    ) -> Answer:
        transaction = contracts.transactionRequestType()
        transaction.transactionType = "refundTransaction"
        transaction.amount = amount
        transaction.refTransId = trans_id
        card = contracts.creditCardType()
        card.cardNumber = f"XXXX{last4}"
        card.expirationDate = "XXXX"
        payment = contracts.paymentType()
        payment.creditCard = card
        transaction.payment = payment
        return self._transaction(transaction, None, ref_id, None)

    def void(self, trans_id: str) -> Answer:
        transaction = contracts.transactionRequestType()
        transaction.transactionType = "voidTransaction"
        transaction.refTransId = trans_id
        return self._transaction(transaction, None, None, None)

    def _transaction(
        self, transaction: Any, invoice: str | None, ref_id: str | None, window: int | None
    ) -> Answer:
        if invoice is not None:
            order = contracts.orderType()
            order.invoiceNumber = invoice
            transaction.order = order
        if window is not None:
            setting = contracts.settingType()
            setting.settingName = "duplicateWindow"
            setting.settingValue = str(window)
            settings = contracts.ArrayOfSetting()
            settings.setting = [setting]
            transaction.transactionSettings = settings
        request = contracts.createTransactionRequest()
        request.transactionRequest = transaction
        if ref_id is not None:
            request.refId = ref_id
        return self.call(controllers.createTransactionController, request)

    def details(self, trans_id: str, *, wide: bool = False) -> Answer:
        request = contracts.getTransactionDetailsRequest()
        request.transId = trans_id
        return self.call(controllers.getTransactionDetailsController, request, wide=wide)


# --- checks of the helpers themselves ------------------------------------------------------------


def test_strict_parse_refuses_an_answer_without_byte_order_mark() -> None:
    with pytest.raises(AssertionError, match="byte-order mark"):
        strict_parse(b"<authenticateTestResponse/>")


def test_strict_parse_refuses_elements_out_of_schema_order() -> None:
    namespace = "AnetApi/xml/v1/schema/AnetApiSchema.xsd"
    out_of_order = (
        f'<authenticateTestResponse xmlns="{namespace}"><messages><message><code>I00001</code>'
        "<text>Successful.</text></message><resultCode>Ok</resultCode></messages>"
        "</authenticateTestResponse>"
    )
    with pytest.raises(pyxb.PyXBException):
        strict_parse(BOM + out_of_order.encode())


def test_wide_wildcards_restores_the_guard() -> None:
    config = pyxb.binding.content.AutomatonConfiguration
    before = config.PermittedNondeterminism
    with wide_wildcards():
        assert config.PermittedNondeterminism > before
    assert config.PermittedNondeterminism == before

"""The adapter against a scripted loopback gateway: answers the sandbox never gives.

A small real HTTP server on 127.0.0.1 replies with canned Authorize.Net documents and
keeps every request it received, so these tests can check both what the adapter sends
(refId, invoice number, duplicate window, masked update values) and how it reads rare
answers (held for review, errors only in ``messages``, elements newer than the SDK).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from lxml import etree

from w365desk.gateway import (
    BillingAddress,
    ChargeRequest,
    Declined,
    GatewayUnavailable,
    NotFound,
    OutcomeUnknown,
    RequestRejected,
    TransactionRejected,
)
from w365desk.gateway.authorizenet import AuthorizeNetGateway

NS = 'xmlns="AnetApi/xml/v1/schema/AnetApiSchema.xsd"'
BOM = b"\xef\xbb\xbf"


def _document(root: str, inner: str, result: str = "Ok", code: str = "I00001") -> bytes:
    text = "Successful." if result == "Ok" else "Scripted error."
    xml = (
        f'<?xml version="1.0" encoding="utf-8"?><{root} {NS}><messages><resultCode>{result}'
        f"</resultCode><message><code>{code}</code><text>{text}</text></message></messages>"
        f"{inner}</{root}>"
    )
    return BOM + xml.encode()


class _ScriptedGateway:
    def __init__(self) -> None:
        self.replies: list[tuple[int, bytes]] = []
        self.requests: list[etree._Element] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                root = etree.fromstring(body)
                for element in root.iter():
                    element.tag = etree.QName(element).localname
                outer.requests.append(root)
                status, reply = outer.replies.pop(0)
                self.send_response(status)
                self.send_header("Content-Type", "application/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *_: object) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}/xml/v1/request.api"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    def __enter__(self) -> _ScriptedGateway:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._http.shutdown()
        self._http.server_close()

    def answer(self, body: bytes, status: int = 200) -> None:
        self.replies.append((status, body))


@pytest.fixture
def scripted() -> Iterator[_ScriptedGateway]:
    with _ScriptedGateway() as server:
        yield server


@pytest.fixture
def gateway(scripted: _ScriptedGateway) -> AuthorizeNetGateway:
    return AuthorizeNetGateway("login-id", "trans-key", scripted.url, timeout_s=5.0)


def _transaction(inner: str, result: str = "Ok", code: str = "I00001") -> bytes:
    return _document(
        "createTransactionResponse",
        f"<transactionResponse>{inner}</transactionResponse>",
        result,
        code,
    )


REQUEST = ChargeRequest(
    "100", "200", Decimal("42.50"), invoice_number="INV-9", ref_id="ref-9", duplicate_window_s=600
)


def test_charge_request_carries_references_and_duplicate_window(
    scripted: _ScriptedGateway, gateway: AuthorizeNetGateway
) -> None:
    scripted.answer(
        _transaction(
            "<responseCode>1</responseCode><authCode>A1B2C3</authCode><avsResultCode>Y"
            "</avsResultCode><cvvResultCode>M</cvvResultCode><transId>777</transId>"
            "<accountNumber>XXXX0015</accountNumber><accountType>MasterCard</accountType>"
            "<messages><message><code>1</code><description>This transaction has been approved."
            "</description></message></messages>"
        )
    )
    result = gateway.charge_profile(REQUEST)
    sent = scripted.requests[0]
    assert sent.tag == "createTransactionRequest"
    assert sent.findtext("merchantAuthentication/name") == "login-id"
    assert sent.findtext("clientId", "").startswith("sdk-python-")
    assert sent.findtext("refId") == "ref-9"
    transaction = sent.find("transactionRequest")
    assert transaction is not None
    assert transaction.findtext("transactionType") == "authCaptureTransaction"
    assert Decimal(transaction.findtext("amount", "")) == Decimal("42.50")
    assert transaction.findtext("profile/customerProfileId") == "100"
    assert transaction.findtext("profile/paymentProfile/paymentProfileId") == "200"
    assert transaction.findtext("order/invoiceNumber") == "INV-9"
    assert transaction.findtext("transactionSettings/setting/settingName") == "duplicateWindow"
    assert transaction.findtext("transactionSettings/setting/settingValue") == "600"
    assert (result.transaction_id, result.auth_code) == ("777", "A1B2C3")
    assert (result.avs_result_code, result.cvv_result_code) == ("Y", "M")
    assert result.message == "This transaction has been approved."


def test_held_for_review_is_a_result_not_an_error(
    scripted: _ScriptedGateway, gateway: AuthorizeNetGateway
) -> None:
    scripted.answer(
        _transaction(
            "<responseCode>4</responseCode><transId>778</transId><messages><message><code>252"
            "</code><description>Your order has been received. Thank you for your business!"
            "</description></message></messages>"
        )
    )
    result = gateway.charge_profile(REQUEST)
    assert result.held_for_review and not result.approved
    assert result.transaction_id == "778"


def test_answers_with_elements_newer_than_the_sdk_are_still_read(
    scripted: _ScriptedGateway, gateway: AuthorizeNetGateway
) -> None:
    scripted.answer(
        _transaction(
            "<responseCode>1</responseCode><transId>779</transId>"
            "<networkTransId>ABC</networkTransId><someFutureElement>x</someFutureElement>"
        )
    )
    assert gateway.charge_profile(REQUEST).transaction_id == "779"


def test_transaction_errors_are_read_from_errors_first_then_messages(
    scripted: _ScriptedGateway, gateway: AuthorizeNetGateway
) -> None:
    scripted.answer(
        _transaction(
            "<responseCode>2</responseCode><transId>780</transId><errors><error><errorCode>27"
            "</errorCode><errorText>The transaction has been declined because of an AVS "
            "mismatch.</errorText></error></errors>",
            "Error",
            "E00027",
        )
    )
    with pytest.raises(Declined) as declined:
        gateway.charge_profile(REQUEST)
    assert (declined.value.reason_code, declined.value.transaction_id) == ("27", "780")
    assert "AVS" in str(declined.value)
    scripted.answer(
        _transaction(
            "<responseCode>3</responseCode><transId>0</transId><messages><message><code>8"
            "</code><description>The credit card has expired.</description></message>"
            "</messages>",
            "Error",
            "E00027",
        )
    )
    with pytest.raises(TransactionRejected) as rejected:
        gateway.charge_profile(REQUEST)
    assert rejected.value.reason_code == "8"
    assert rejected.value.transaction_id is None
    assert "expired" in str(rejected.value)


def test_request_level_errors_on_a_charge_mean_not_processed(
    scripted: _ScriptedGateway, gateway: AuthorizeNetGateway
) -> None:
    scripted.answer(_document("ErrorResponse", "", "Error", "E00001"))
    with pytest.raises(GatewayUnavailable) as unavailable:
        gateway.charge_profile(REQUEST)
    assert unavailable.value.code == "E00001"
    scripted.answer(_document("createTransactionResponse", "", "Error", "E00003"))
    with pytest.raises(RequestRejected):
        gateway.charge_profile(REQUEST)


@pytest.mark.parametrize(
    "body",
    [
        _document("createTransactionResponse", ""),  # "Ok" but no verdict
        _transaction("<responseCode>1</responseCode>"),  # approved without a transaction id
        _transaction("<responseCode>9</responseCode><transId>1</transId>"),  # unheard-of code
        _document("getCustomerProfileResponse", ""),  # an answer to some other question
    ],
)
def test_charge_answers_that_do_not_say_what_happened_are_unknown(
    scripted: _ScriptedGateway, gateway: AuthorizeNetGateway, body: bytes
) -> None:
    scripted.answer(body)
    with pytest.raises(OutcomeUnknown) as caught:
        gateway.charge_profile(REQUEST)
    assert (caught.value.ref_id, caught.value.invoice_number) == ("ref-9", "INV-9")


def test_error_page_on_a_read_is_unavailable(
    scripted: _ScriptedGateway, gateway: AuthorizeNetGateway
) -> None:
    scripted.answer(b"<html>Not here</html>", status=404)
    with pytest.raises(GatewayUnavailable) as caught:
        gateway.test_credentials()
    assert "HTTP 404" in str(caught.value)


def test_update_sends_the_masked_number_and_keeps_the_billing_address(
    scripted: _ScriptedGateway, gateway: AuthorizeNetGateway
) -> None:
    profile = (
        "<paymentProfile><billTo><firstName>Ada</firstName><zip>46201</zip></billTo>"
        "<customerProfileId>100</customerProfileId><customerPaymentProfileId>200"
        "</customerPaymentProfileId><payment><creditCard><cardNumber>XXXX1111</cardNumber>"
        "<expirationDate>2030-12</expirationDate><cardType>Visa</cardType></creditCard>"
        "</payment></paymentProfile>"
    )
    scripted.answer(_document("getCustomerPaymentProfileResponse", profile))
    scripted.answer(_document("updateCustomerPaymentProfileResponse", ""))
    scripted.answer(_document("getCustomerPaymentProfileResponse", profile))
    gateway.update_payment_profile("100", "200", exp_month=1, exp_year=2031)
    get, update, _ = scripted.requests
    assert get.findtext("unmaskExpirationDate") == "true"
    card = update.find("paymentProfile/payment/creditCard")
    assert card is not None
    assert card.findtext("cardNumber") == "XXXX1111"
    assert card.findtext("expirationDate") == "2031-01"
    assert update.findtext("paymentProfile/billTo/firstName") == "Ada"
    assert update.findtext("paymentProfile/billTo/zip") == "46201"
    assert update.findtext("paymentProfile/customerPaymentProfileId") == "200"
    assert update.findtext("validationMode") == "none"


def test_add_card_sends_validation_mode_default_flag_and_address(
    scripted: _ScriptedGateway, gateway: AuthorizeNetGateway
) -> None:
    from w365desk.gateway import CardInput

    scripted.answer(
        _document(
            "createCustomerPaymentProfileResponse",
            "<customerProfileId>100</customerProfileId>"
            "<customerPaymentProfileId>201</customerPaymentProfileId>",
        )
    )
    added = gateway.add_card(
        "100",
        CardInput("4111111111111111", 12, 2030, "123"),
        BillingAddress(first_name="Ada", last_name="Lovelace", zip="46201", phone="555-0100"),
        validation_mode="liveMode",
        make_default=True,
    )
    sent = scripted.requests[0]
    assert sent.findtext("validationMode") == "liveMode"
    assert sent.findtext("paymentProfile/defaultPaymentProfile") == "true"
    assert sent.findtext("paymentProfile/billTo/phoneNumber") == "555-0100"
    assert sent.findtext("paymentProfile/payment/creditCard/expirationDate") == "2030-12"
    assert (added.payment_profile_id, added.last4, added.is_default) == ("201", "1111", True)


def test_not_found_on_a_read(scripted: _ScriptedGateway, gateway: AuthorizeNetGateway) -> None:
    scripted.answer(_document("getTransactionDetailsResponse", "", "Error", "E00040"))
    with pytest.raises(NotFound):
        gateway.transaction_details("1")

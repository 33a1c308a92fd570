"""The adapter against scripted answers: answers the sandbox never gives.

The adapter's transport (its injectable seam) is replaced by one that replies with
canned Authorize.Net documents and keeps every request it was given, so these tests can
check both what the adapter sends (refId, invoice number, duplicate window, masked
update values) and how it reads rare answers (held for review, errors only in
``messages``, elements newer than the SDK). The real transport is tested against real
sockets in ``tests/reliability/test_gateway_faults.py``.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from lxml import etree

from w365desk.gateway import (
    AuthenticationFailed,
    BillingAddress,
    CardInput,
    ChargeRequest,
    Declined,
    DuplicateTransaction,
    GatewayUnavailable,
    InvalidField,
    NotFound,
    OutcomeUnknown,
    RefundRequest,
    RequestRejected,
    TransactionRejected,
)
from w365desk.gateway.authorizenet import AuthorizeNetGateway, HttpReply

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


class _CannedTransport:
    """The adapter's transport, handing back scripted answers and keeping every request."""

    def __init__(self) -> None:
        self.replies: list[HttpReply] = []
        self.requests: list[etree._Element] = []
        self.closed = False

    def post(self, body: bytes) -> HttpReply:
        root = etree.fromstring(body)
        for element in root.iter():
            element.tag = etree.QName(element).localname
        self.requests.append(root)
        return self.replies.pop(0)

    def close(self) -> None:
        self.closed = True

    def answer(self, body: bytes, status: int = 200) -> None:
        self.replies.append(HttpReply(status, body))


@pytest.fixture
def scripted() -> _CannedTransport:
    return _CannedTransport()


@pytest.fixture
def gateway(scripted: _CannedTransport) -> AuthorizeNetGateway:
    return AuthorizeNetGateway(
        "login-id", "trans-key", "https://gateway.test/xml/v1/request.api", transport=scripted
    )


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

_PROFILE = (
    "<paymentProfile><billTo><firstName>Ada</firstName><zip>46201</zip></billTo>"
    "<customerProfileId>100</customerProfileId><customerPaymentProfileId>{id}"
    "</customerPaymentProfileId><defaultPaymentProfile>{default}</defaultPaymentProfile>"
    "<payment><creditCard><cardNumber>XXXX{last4}</cardNumber><expirationDate>{expiry}"
    "</expirationDate><cardType>{brand}</cardType></creditCard></payment></paymentProfile>"
)


def _profile(
    payment_id: str = "200",
    last4: str = "1111",
    expiry: str = "2030-12",
    brand: str = "Visa",
    default: bool = False,
) -> bytes:
    return _document(
        "getCustomerPaymentProfileResponse",
        _PROFILE.format(
            id=payment_id, last4=last4, expiry=expiry, brand=brand, default=str(default).lower()
        ),
    )


def test_charge_request_carries_references_and_duplicate_window(
    scripted: _CannedTransport, gateway: AuthorizeNetGateway
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
    scripted: _CannedTransport, gateway: AuthorizeNetGateway
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
    scripted: _CannedTransport, gateway: AuthorizeNetGateway
) -> None:
    scripted.answer(
        _transaction(
            "<responseCode>1</responseCode><transId>779</transId>"
            "<networkTransId>ABC</networkTransId><someFutureElement>x</someFutureElement>"
        )
    )
    assert gateway.charge_profile(REQUEST).transaction_id == "779"


def test_transaction_errors_are_read_from_errors_first_then_messages(
    scripted: _CannedTransport, gateway: AuthorizeNetGateway
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


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("E00003", RequestRejected),
        ("E00007", AuthenticationFailed),
        ("E00013", InvalidField),
        ("E00040", NotFound),
        ("E00053", GatewayUnavailable),
    ],
)
def test_request_level_errors_that_prove_nothing_happened_keep_their_kind(
    scripted: _CannedTransport,
    gateway: AuthorizeNetGateway,
    code: str,
    kind: type[Exception],
) -> None:
    scripted.answer(_document("createTransactionResponse", "", "Error", code))
    with pytest.raises(kind) as caught:
        gateway.charge_profile(REQUEST)
    assert not isinstance(caught.value, OutcomeUnknown)
    assert caught.value.code == code  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("root", "code"),
    [
        ("ErrorResponse", "E00001"),  # "an unexpected system error occurred while processing"
        ("createTransactionResponse", "E00001"),
        ("createTransactionResponse", "E00027"),  # no transaction response to tell which
        ("createTransactionResponse", "E00049"),  # a database timeout mid-operation
        ("createTransactionResponse", "E00999"),  # a code this program has never heard of
    ],
)
def test_other_request_level_errors_on_money_are_unknown(
    scripted: _CannedTransport, gateway: AuthorizeNetGateway, root: str, code: str
) -> None:
    scripted.answer(_document(root, "", "Error", code))
    with pytest.raises(OutcomeUnknown) as caught:
        gateway.charge_profile(REQUEST)
    unknown = caught.value
    assert unknown.code == code
    assert code in str(unknown)
    assert (unknown.invoice_number, unknown.customer_profile_id) == ("INV-9", "100")
    scripted.answer(_document(root, "", "Error", code))
    with pytest.raises(OutcomeUnknown) as refund_unknown:
        gateway.refund(RefundRequest("555", Decimal("1.00"), "1111", invoice_number="INV-R"))
    assert refund_unknown.value.operation == "refund"
    assert refund_unknown.value.reference_transaction_id == "555"
    scripted.answer(_document(root, "", "Error", code))
    with pytest.raises(OutcomeUnknown):
        gateway.void("556")


def test_the_same_codes_on_a_read_are_simply_unavailable(
    scripted: _CannedTransport, gateway: AuthorizeNetGateway
) -> None:
    scripted.answer(_document("ErrorResponse", "", "Error", "E00001"))
    with pytest.raises(GatewayUnavailable) as caught:
        gateway.transaction_details("1")
    assert caught.value.code == "E00001" and caught.value.retryable


@pytest.mark.parametrize(
    ("response_code", "reason_code"),
    [("3", "120"), ("3", "121"), ("3", "122"), ("2", "127"), ("2", "141"), ("2", "145")],
)
def test_refusals_whose_clean_up_void_failed_are_unknown(
    scripted: _CannedTransport,
    gateway: AuthorizeNetGateway,
    response_code: str,
    reason_code: str,
) -> None:
    scripted.answer(
        _transaction(
            f"<responseCode>{response_code}</responseCode><transId>8801</transId><errors>"
            f"<error><errorCode>{reason_code}</errorCode><errorText>An error occurred during "
            "processing. Please try again.</errorText></error></errors>",
            "Error",
            "E00027",
        )
    )
    with pytest.raises(OutcomeUnknown) as caught:
        gateway.charge_profile(REQUEST)
    unknown = caught.value
    assert (unknown.transaction_id, unknown.reason_code) == ("8801", reason_code)
    assert unknown.invoice_number == "INV-9"
    assert "transaction 8801" in str(unknown)
    assert f"reason code {reason_code}" in str(unknown)


def test_unknown_lists_only_what_the_gateway_can_be_searched_by(
    scripted: _CannedTransport, gateway: AuthorizeNetGateway
) -> None:
    scripted.answer(b"<html>Bad gateway</html>", status=502)
    with pytest.raises(OutcomeUnknown) as caught:
        gateway.charge_profile(REQUEST)
    message = str(caught.value)
    assert "invoice INV-9" in message
    assert "customer profile 100 / payment profile 200" in message
    # The gateway keeps no refId, so naming it would send people on a useless search.
    assert "ref-9" not in message
    assert caught.value.ref_id == "ref-9"  # still on the error for the program's records


def test_duplicate_refund_is_worded_as_a_refund(
    scripted: _CannedTransport, gateway: AuthorizeNetGateway
) -> None:
    scripted.answer(
        _transaction(
            "<responseCode>3</responseCode><transId>4401</transId><errors><error>"
            "<errorCode>11</errorCode><errorText>A duplicate transaction has been submitted."
            "</errorText></error></errors>",
            "Error",
            "E00027",
        )
    )
    with pytest.raises(DuplicateTransaction) as caught:
        gateway.refund(RefundRequest("555", Decimal("1.00"), "1111", invoice_number="INV-R"))
    assert caught.value.transaction_id == "4401"
    assert "not refunded twice" in str(caught.value)
    assert "charged" not in str(caught.value)


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
    scripted: _CannedTransport, gateway: AuthorizeNetGateway, body: bytes
) -> None:
    scripted.answer(body)
    with pytest.raises(OutcomeUnknown) as caught:
        gateway.charge_profile(REQUEST)
    assert (caught.value.ref_id, caught.value.invoice_number) == ("ref-9", "INV-9")


def test_error_page_on_a_read_is_unavailable(
    scripted: _CannedTransport, gateway: AuthorizeNetGateway
) -> None:
    scripted.answer(b"<html>Not here</html>", status=404)
    with pytest.raises(GatewayUnavailable) as caught:
        gateway.test_credentials()
    assert "HTTP 404" in str(caught.value)


def test_update_sends_the_masked_number_and_keeps_the_billing_address(
    scripted: _CannedTransport, gateway: AuthorizeNetGateway
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
    scripted: _CannedTransport, gateway: AuthorizeNetGateway
) -> None:
    scripted.answer(
        _document(
            "createCustomerPaymentProfileResponse",
            "<customerProfileId>100</customerProfileId>"
            "<customerPaymentProfileId>201</customerPaymentProfileId>",
        )
    )
    scripted.answer(_profile("201", default=True))
    added = gateway.add_card(
        "100",
        CardInput("4111111111111111", 12, 2030, "123"),
        BillingAddress(first_name="Ada", last_name="Lovelace", zip="46201", phone="555-0100"),
        validation_mode="liveMode",
        make_default=True,
    )
    sent, read_back = scripted.requests
    assert sent.findtext("validationMode") == "liveMode"
    assert sent.findtext("paymentProfile/defaultPaymentProfile") == "true"
    assert sent.findtext("paymentProfile/billTo/phoneNumber") == "555-0100"
    assert sent.findtext("paymentProfile/payment/creditCard/expirationDate") == "2030-12"
    assert read_back.tag == "getCustomerPaymentProfileRequest"
    assert read_back.findtext("customerPaymentProfileId") == "201"
    assert (added.payment_profile_id, added.last4, added.is_default) == ("201", "1111", True)


def test_add_card_reports_the_brand_the_gateway_stored(
    scripted: _CannedTransport, gateway: AuthorizeNetGateway
) -> None:
    # A number whose prefix this program does not recognise: the gateway knows better.
    number = "1234567812345670"
    card = CardInput(number, 12, 2030)
    assert card.brand == "Unknown"
    scripted.answer(
        _document(
            "createCustomerPaymentProfileResponse",
            "<customerProfileId>100</customerProfileId>"
            "<customerPaymentProfileId>202</customerPaymentProfileId>",
        )
    )
    scripted.answer(_profile("202", last4="5670", brand="Discover"))
    added = gateway.add_card("100", card, None)
    assert (added.brand, added.last4, added.exp_month, added.exp_year) == (
        "Discover",
        "5670",
        12,
        2030,
    )


def test_add_card_keeps_the_new_id_when_the_read_back_fails(
    scripted: _CannedTransport, gateway: AuthorizeNetGateway
) -> None:
    scripted.answer(
        _document(
            "createCustomerPaymentProfileResponse",
            "<customerProfileId>100</customerProfileId>"
            "<customerPaymentProfileId>203</customerPaymentProfileId>",
        )
    )
    scripted.answer(b"<html>busy</html>", status=503)
    added = gateway.add_card("100", CardInput("4111111111111111", 12, 2030), None)
    # Stored all the same: the id is not lost, and no brand is guessed.
    assert (added.payment_profile_id, added.last4, added.brand) == ("203", "1111", None)


def test_not_found_on_a_read(scripted: _CannedTransport, gateway: AuthorizeNetGateway) -> None:
    scripted.answer(_document("getTransactionDetailsResponse", "", "Error", "E00040"))
    with pytest.raises(NotFound):
        gateway.transaction_details("1")

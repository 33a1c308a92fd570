"""Accept: the securePaymentContainerRequest call (JSON and XML), CORS and what web pages may do,
and the Accept.js script.

The script itself is run in Node against the live sandbox (a full browser test lives
with the link-server tests); Node's fetch stands in for the browser's XMLHttpRequest.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from authorizenet import apicontractsv1 as contracts
from authorizenet import apicontrollers as controllers
from sandbox_sdk_support import BOM, Sdk, Wire, strict_parse

from w365desk.clock import FrozenClock
from w365desk.sandbox.authorizenet import Fault, SandboxServer
from w365desk.sandbox.authorizenet.cards import NOT_A_TEST_CARD_TEXT, TEST_CARDS

MASTERCARD = "5424000000000015"
# Well-formed (Luhn, length, brand prefix) but not one of Authorize.Net's test cards.
REAL_LOOKING_CARD = "5105105105105100"
PAGE_ORIGIN = "http://127.0.0.1:9"
ACCEPT_CALL = "sandbox securePaymentContainerRequest"


@pytest.fixture
def sdk(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Sdk:
    return Sdk(sandbox, Wire(monkeypatch))


def container(
    sandbox: SandboxServer,
    token: dict[str, Any] | None = None,
    *,
    bank: dict[str, Any] | None = None,
    client_key: str | None = None,
    login: str | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {"type": "TOKEN", "id": "4a6a3e0e-1c07-4b5c-9f55-6f0b4c1e2d3a"}
    if bank is not None:
        data["bankToken"] = bank
    else:
        data["token"] = token or {
            "cardNumber": MASTERCARD,
            "expirationDate": "122029",
            "cardCode": "123",
        }
    return {
        "securePaymentContainerRequest": {
            "merchantAuthentication": {
                "name": login or sandbox.api_login_id,
                "clientKey": client_key or sandbox.client_key,
            },
            "refId": "acc-1",
            "data": data,
        }
    }


def post_json(
    sandbox: SandboxServer, document: Any, origin: str | None = PAGE_ORIGIN
) -> requests.Response:
    """Post as a page's script does (with ``Origin``), or as a program (``origin=None``)."""
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if origin is not None:
        headers["Origin"] = origin
    return requests.post(
        sandbox.api_url, data=json.dumps(document).encode(), headers=headers, timeout=10
    )


def read_json(answer: requests.Response) -> dict[str, Any]:
    assert answer.content.startswith(BOM), "JSON answers start with a BOM, like the real API"
    return json.loads(answer.content[3:])


# --- the JSON call -------------------------------------------------------------------------------


def test_card_data_becomes_a_one_time_nonce(sandbox: SandboxServer, sdk: Sdk) -> None:
    answer = post_json(sandbox, container(sandbox))
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    document = read_json(answer)
    assert document["messages"] == {
        "resultCode": "Ok",
        "message": [{"code": "I00001", "text": "Successful."}],
    }
    assert document["refId"] == "acc-1"
    opaque = document["opaqueData"]
    assert opaque["dataDescriptor"] == "COMMON.ACCEPT.INAPP.PAYMENT"
    assert len(opaque["dataValue"]) > 100
    assert MASTERCARD.encode() not in answer.content

    charge = sdk.charge_payment(sdk.opaque(opaque["dataValue"]), bill_to=sdk.bill_to())
    assert charge.value("transactionResponse/responseCode") == "1"
    assert charge.value("transactionResponse/accountNumber") == "XXXX0015"
    again = sdk.charge_payment(sdk.opaque(opaque["dataValue"]), "11.00", bill_to=sdk.bill_to())
    assert again.code == "E00114"


def test_bank_data_becomes_a_nonce_for_a_bank_profile(sandbox: SandboxServer, sdk: Sdk) -> None:
    bank = {
        "accountNumber": "9876543210",
        "routingNumber": "121042882",
        "nameOnAccount": "Jane Doe",
        "accountType": "savings",
    }
    nonce = read_json(post_json(sandbox, container(sandbox, bank=bank)))["opaqueData"]["dataValue"]
    customer_id, _ = sdk.customer_with_card()
    added = sdk.add_payment_profile(
        customer_id, sdk.payment_profile(sdk.opaque(nonce), sdk.bill_to())
    )
    assert added.result_code == "Ok", added.text
    request = contracts.getCustomerPaymentProfileRequest()
    request.customerProfileId = customer_id
    request.customerPaymentProfileId = added.value("customerPaymentProfileId")
    shown = sdk.call(controllers.getCustomerPaymentProfileController, request, wide=True)
    assert shown.value("paymentProfile/payment/bankAccount/accountNumber") == "XXXX3210"
    assert shown.value("paymentProfile/payment/bankAccount/accountType") == "savings"


@pytest.mark.parametrize(("login", "client_key"), [(None, "not-the-key"), ("someone", None)])
def test_wrong_client_key_or_login_is_e00007(
    sandbox: SandboxServer, login: str | None, client_key: str | None
) -> None:
    document = read_json(post_json(sandbox, container(sandbox, login=login, client_key=client_key)))
    assert document == {
        "refId": "acc-1",
        "messages": {
            "resultCode": "Error",
            "message": [
                {
                    "code": "E00007",
                    "text": "User authentication failed due to invalid authentication values.",
                }
            ],
        },
    }


def test_the_transaction_key_does_not_open_accept(sandbox: SandboxServer) -> None:
    document = read_json(post_json(sandbox, container(sandbox, client_key=sandbox.transaction_key)))
    assert document["messages"]["message"][0]["code"] == "E00007"


@pytest.mark.parametrize(
    ("token", "text"),
    [
        ({"cardNumber": "5424000000000016", "expirationDate": "122029"}, "Card Number is invalid."),
        ({"cardNumber": REAL_LOOKING_CARD, "expirationDate": "122029"}, NOT_A_TEST_CARD_TEXT),
        ({"cardNumber": MASTERCARD, "expirationDate": "132029"}, "Expiration Date is invalid."),
        ({"cardNumber": MASTERCARD, "expirationDate": "122025"}, "The credit card has expired."),
        (
            {"cardNumber": MASTERCARD, "expirationDate": "1229", "cardCode": "12345"},
            "Card Code is invalid.",
        ),
    ],
)
def test_bad_card_data_is_refused_naming_the_field(
    sandbox: SandboxServer, token: dict[str, Any], text: str
) -> None:
    answer = post_json(sandbox, container(sandbox, token))
    message = read_json(answer)["messages"]["message"][0]
    assert (message["code"], message["text"]) == ("E00013", text)
    assert token["cardNumber"].encode() not in answer.content


def test_a_real_looking_card_is_refused_and_never_tokenized(sandbox: SandboxServer) -> None:
    token = {"cardNumber": REAL_LOOKING_CARD, "expirationDate": "122029", "cardCode": "123"}
    answer = post_json(sandbox, container(sandbox, token))
    message = read_json(answer)["messages"]["message"][0]
    assert message["code"] == "E00013"
    assert "offline sandbox" in message["text"] and "test card" in message["text"]
    assert REAL_LOOKING_CARD.encode() not in answer.content
    assert sandbox.api.nonces.holds_payment_data() == 0
    with pytest.raises(ValueError, match="published test card numbers"):
        sandbox.issue_nonce(REAL_LOOKING_CARD, 12, 2031)


def test_only_the_accept_call_is_spoken_in_json(sandbox: SandboxServer) -> None:
    document = {"authenticateTestRequest": {"merchantAuthentication": {"name": "x"}}}
    message = read_json(post_json(sandbox, document, origin=None))["messages"]["message"][0]
    assert message["code"] == "E00004"


def test_unreadable_json_is_e00003(sandbox: SandboxServer) -> None:
    answer = requests.post(
        sandbox.api_url,
        data=b'{"securePaymentContainerRequest": ',
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert read_json(answer)["messages"]["message"][0]["code"] == "E00003"


def test_busy_fault_answers_in_json_for_a_json_request(sandbox: SandboxServer) -> None:
    sandbox.set_fault("securePaymentContainerRequest", Fault("busy"))
    message = read_json(post_json(sandbox, container(sandbox)))["messages"]["message"][0]
    assert (message["code"], message["text"]) == ("E00053", "Server too busy")


def test_json_nonce_expires_after_fifteen_minutes(
    sandbox: SandboxServer, sdk: Sdk, clock: FrozenClock
) -> None:
    nonce = read_json(post_json(sandbox, container(sandbox)))["opaqueData"]["dataValue"]
    clock.advance(timedelta(minutes=15, seconds=1))
    answer = sdk.charge_payment(sdk.opaque(nonce), bill_to=sdk.bill_to())
    assert (answer.code, answer.text) == ("E00115", "Expired OTS Token.")


# --- the same call in XML, through the SDK -------------------------------------------------------


def xml_container(sdk: Sdk, number: str, expiry: str) -> Any:
    token = contracts.webCheckOutDataTypeToken()
    token.cardNumber = number
    token.expirationDate = expiry
    data = contracts.webCheckOutDataType()
    data.type = "TOKEN"
    data.id = "0f8e2c55-6a0d-4d1c-8c3e-1b2a3c4d5e6f"
    data.token = token
    request = contracts.securePaymentContainerRequest()
    request.data = data
    merchant = contracts.merchantAuthenticationType()
    merchant.name = sdk.server.api_login_id
    merchant.clientKey = sdk.server.client_key
    request.merchantAuthentication = merchant
    controller = controllers.securePaymentContainerController(request)
    controller.setenvironment(sdk.server.api_url)
    controller.execute()
    return controller


def test_xml_secure_payment_container_through_the_sdk(sdk: Sdk, sandbox: SandboxServer) -> None:
    controller = xml_container(sdk, MASTERCARD, "2029-12")
    raw = sdk.wire.last.content
    strict = strict_parse(raw)
    assert strict.messages.resultCode == "Ok"
    assert strict.opaqueData.dataDescriptor == "COMMON.ACCEPT.INAPP.PAYMENT"
    nonce = str(controller.getresponse().opaqueData.dataValue)
    charge = sdk.charge_payment(sdk.opaque(nonce), bill_to=sdk.bill_to())
    assert charge.value("transactionResponse/responseCode") == "1"


def test_xml_secure_payment_container_error_uses_error_response(sdk: Sdk) -> None:
    xml_container(sdk, "5424000000000016", "2029-12")
    raw = sdk.wire.last.content
    strict = strict_parse(raw)
    assert (strict.messages.message[0].code, strict.messages.message[0].text) == (
        "E00013",
        "Card Number is invalid.",
    )
    assert raw[3:].decode().split("<")[2].startswith("ErrorResponse")


# --- CORS and the script -------------------------------------------------------------------------


def test_cors_preflight_on_the_api_path(sandbox: SandboxServer) -> None:
    answer = requests.options(
        sandbox.api_url,
        headers={
            "Origin": "http://127.0.0.1:8765",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=10,
    )
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in answer.headers["Access-Control-Allow-Methods"]
    assert answer.headers["Access-Control-Allow-Headers"].lower() == "content-type"


def test_accept_js_is_served_knowing_the_test_cards(sandbox: SandboxServer) -> None:
    answer = requests.get(sandbox.accept_js_url, timeout=10)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/javascript; charset=utf-8"
    assert "Access-Control-Allow-Origin" not in answer.headers  # a <script> needs none
    assert "dispatchData" in answer.text
    assert "/xml/v1/request.api" in answer.text
    assert f"var TEST_CARDS = {json.dumps(sorted(TEST_CARDS))};" in answer.text


# --- what a web page may do ----------------------------------------------------------------------


def test_only_the_json_accept_call_carries_cors_headers(sandbox: SandboxServer, sdk: Sdk) -> None:
    assert post_json(sandbox, container(sandbox)).headers["Access-Control-Allow-Origin"] == "*"
    sdk.call(controllers.authenticateTestController, contracts.authenticateTestRequest())
    assert "Access-Control-Allow-Origin" not in sdk.wire.last.headers
    for path in ("/sandbox/ledger", "/nothing"):
        answer = requests.get(sandbox.base_url + path, timeout=10)
        assert "Access-Control-Allow-Origin" not in answer.headers


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_a_page_cannot_charge_through_a_simple_cross_origin_post(
    sandbox: SandboxServer, sdk: Sdk, content_type: str
) -> None:
    """A form or no-cors fetch needs no preflight, but carries Origin: nothing is processed."""
    customer_id, profile_id = sdk.customer_with_card()
    request = sdk.profile_charge_request(customer_id, profile_id, "50.00", "INV-PAGE")
    body = sdk.body(controllers.createTransactionController, request)
    answer = requests.post(
        sandbox.api_url,
        data=body,
        headers={"Content-Type": content_type, "Origin": "https://evil.example"},
        timeout=10,
    )
    assert answer.status_code == 403
    assert "Access-Control-Allow-Origin" not in answer.headers
    assert sandbox.ledger() == []
    # The same bytes from a program (no Origin) are the ordinary API.
    assert requests.post(sandbox.api_url, data=body, timeout=10).status_code == 200
    assert [entry.invoice_number for entry in sandbox.ledger()] == ["INV-PAGE"]


def test_a_page_may_send_the_accept_call_only_as_declared_json(sandbox: SandboxServer) -> None:
    answer = requests.post(
        sandbox.api_url,
        data=json.dumps(container(sandbox)).encode(),
        headers={"Content-Type": "text/plain", "Origin": PAGE_ORIGIN},
        timeout=10,
    )
    assert answer.status_code == 403
    assert sandbox.api.nonces.holds_payment_data() == 0
    other = {"authenticateTestRequest": {"merchantAuthentication": {"name": "x"}}}
    assert post_json(sandbox, other).status_code == 403


NODE_HARNESS = r"""
const vm = require("vm");
const [scriptUrl, scenariosJson] = process.argv.slice(2);
globalThis.window = globalThis;
globalThis.document = {
  currentScript: { src: scriptUrl },
  baseURI: scriptUrl,
  getElementsByTagName: () => [],
};
// The browser's XMLHttpRequest, as far as Accept.js uses it, on top of Node's fetch.
globalThis.XMLHttpRequest = class {
  open(method, url) { this.method = method; this.url = url; this.headers = {}; }
  setRequestHeader(name, value) { this.headers[name] = value; }
  send(body) {
    fetch(this.url, { method: this.method, headers: this.headers, body })
      .then(async (r) => { this.status = r.status; this.responseText = await r.text(); })
      .then(() => this.onload(), () => this.onerror());
  }
};
(async () => {
  const source = await (await fetch(scriptUrl)).text();
  vm.runInThisContext(source);
  const results = [];
  for (const secureData of JSON.parse(scenariosJson)) {
    results.push(await new Promise((resolve) => window.Accept.dispatchData(secureData, resolve)));
  }
  console.log(JSON.stringify(results));
})();
"""


def run_accept_js(tmp_path: Path, sandbox: SandboxServer, scenarios: list[Any]) -> list[Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    harness = tmp_path / "harness.js"
    harness.write_text(NODE_HARNESS, encoding="utf-8")
    finished = subprocess.run(
        [node, str(harness), sandbox.accept_js_url, json.dumps(scenarios)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(finished.stdout)


def test_accept_js_dispatch_data_returns_nonces_and_library_errors(
    tmp_path: Path, sandbox: SandboxServer, sdk: Sdk, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="w365desk.sandbox.authorizenet")
    auth = {"apiLoginID": sandbox.api_login_id, "clientKey": sandbox.client_key}
    card = {"cardNumber": "5424 0000 0000 0015", "month": "12", "year": "2039", "cardCode": "123"}
    scenarios = [
        {"authData": auth, "cardData": card},
        {"authData": auth, "cardData": card | {"cardNumber": "5424000000000016"}},
        {"authData": auth, "cardData": card | {"cardNumber": "5105 1051 0510 5100"}},
        {"authData": auth, "cardData": card | {"month": "13"}},
        {"authData": auth, "cardData": card | {"year": "20x9"}},
        {"authData": auth, "cardData": card | {"year": "2020"}},
        {"authData": auth, "cardData": card | {"cardCode": "12"}},
        {"authData": auth | {"clientKey": "wrong"}, "cardData": card},
        {"authData": auth | {"clientKey": ""}, "cardData": card},
        {"authData": auth, "cardData": card, "bankData": {"accountNumber": "1"}},
        {
            "authData": auth,
            "bankData": {
                "accountNumber": "123456789",
                "routingNumber": "121042882",
                "nameOnAccount": "Jane Doe",
                "accountType": "checking",
            },
        },
    ]
    results = run_accept_js(tmp_path, sandbox, scenarios)
    codes = [[m["code"] for m in r["messages"]["message"]] for r in results]
    assert codes == [
        ["I_WC_01"],
        ["E_WC_05"],
        ["E_WC_05"],
        ["E_WC_06"],
        ["E_WC_07"],
        ["E_WC_08"],
        ["E_WC_15"],
        ["E_WC_21"],
        ["E_WC_18"],
        ["E_WC_23"],
        ["I_WC_01"],
    ]
    assert results[0]["messages"]["resultCode"] == "Ok"
    assert (
        results[1]["messages"]["message"][0]["text"] == "Please provide valid credit card number."
    )
    not_a_test_card = results[2]["messages"]["message"][0]["text"]
    assert "offline sandbox" in not_a_test_card and "test card" in not_a_test_card
    assert results[7]["messages"]["resultCode"] == "Error"
    assert results[0]["opaqueData"]["dataDescriptor"] == "COMMON.ACCEPT.INAPP.PAYMENT"
    nonce = results[0]["opaqueData"]["dataValue"]
    charge = sdk.charge_payment(sdk.opaque(nonce), bill_to=sdk.bill_to())
    assert charge.value("transactionResponse/responseCode") == "1"
    assert charge.value("transactionResponse/accountNumber") == "XXXX0015"
    assert "opaqueData" in results[10]
    # Refused in the page: the real-looking number never reached the sandbox. Only the good
    # card, the wrong key and the bank account made a call.
    calls = [r.getMessage() for r in caplog.records if r.getMessage().startswith(ACCEPT_CALL)]
    assert calls == [f"{ACCEPT_CALL} -> {code}" for code in ("I00001", "E00007", "I00001")]

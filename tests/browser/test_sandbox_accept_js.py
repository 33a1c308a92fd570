"""Accept.js from the offline sandbox, in a real browser: the card goes from the page
straight to the sandbox, the page gets a one-time nonce, and the adapter turns that
nonce into a stored payment profile (the app's server never sees the number). A page
can do nothing else with the sandbox: no charges, no control requests, no real cards."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from gateway_support import gateway_for
from http_support import serving

from w365desk.gateway.authorizenet import AuthorizeNetGateway
from w365desk.gateway.errors import NonceExpired, NonceInvalid
from w365desk.gateway.types import AcceptNonce, BillingAddress, CustomerProfileInput
from w365desk.sandbox.authorizenet import DEFAULT_API_LOGIN_ID, DEFAULT_CLIENT_KEY, SandboxServer

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Card</title>
<script src="{script}"></script></head>
<body>
<input id="number"><input id="month"><input id="year"><input id="cvv">
<input id="clientKey" value="{client_key}">
<button id="pay" onclick="pay()">Pay</button>
<pre id="result"></pre>
<script>
function pay() {{
  var secureData = {{
    authData: {{clientKey: document.getElementById("clientKey").value, apiLoginID: "{login}"}},
    cardData: {{
      cardNumber: document.getElementById("number").value,
      month: document.getElementById("month").value,
      year: document.getElementById("year").value,
      cardCode: document.getElementById("cvv").value
    }}
  }};
  Accept.dispatchData(secureData, function (response) {{
    document.getElementById("result").textContent = JSON.stringify(response);
  }});
}}
</script>
</body></html>
"""


@pytest.fixture
def page_url(sandbox: SandboxServer) -> Iterator[str]:
    """A page on another loopback origin, as the link server's customer page will be."""
    body = PAGE.format(
        script=sandbox.accept_js_url, client_key=DEFAULT_CLIENT_KEY, login=DEFAULT_API_LOGIN_ID
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Handler)) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}/pay"


@pytest.fixture
def gateway(sandbox: SandboxServer) -> Iterator[AuthorizeNetGateway]:
    adapter = gateway_for(sandbox, timeout_s=10)
    yield adapter
    adapter.close()


def _tokenize(
    page: Any,
    url: str,
    number: str,
    month: str,
    year: str,
    cvv: str,
    client_key: str | None = None,
) -> dict[str, Any]:
    page.goto(url)
    if client_key is not None:
        page.fill("#clientKey", client_key)
    page.fill("#number", number)
    page.fill("#month", month)
    page.fill("#year", year)
    page.fill("#cvv", cvv)
    page.click("#pay")
    page.wait_for_function("document.getElementById('result').textContent.length > 0")
    return json.loads(page.inner_text("#result"))


def test_card_tokenized_in_browser_becomes_a_payment_profile(
    page: Any, page_url: str, gateway: AuthorizeNetGateway, artifacts_dir: Path
) -> None:
    response = _tokenize(page, page_url, "4111111111111111", "12", "2031", "123")
    page.screenshot(path=str(artifacts_dir / "accept_js_tokenized.png"))
    assert response["messages"]["resultCode"] == "Ok", response
    opaque = response["opaqueData"]
    assert opaque["dataDescriptor"] == "COMMON.ACCEPT.INAPP.PAYMENT"
    assert "4111111111111111" not in opaque["dataValue"]

    customer = gateway.create_customer_profile(
        CustomerProfileInput(merchant_customer_id="ACC-1", email="ap@contoso.example")
    )
    billing = BillingAddress(first_name="Dana", last_name="Ng", address="1 Main St", zip="98052")
    profile = gateway.add_from_nonce(
        customer, AcceptNonce(opaque["dataValue"], opaque["dataDescriptor"]), billing
    )
    assert profile.last4 == "1111"
    assert (profile.exp_month, profile.exp_year) == (12, 2031)

    # A nonce works once.
    with pytest.raises((NonceInvalid, NonceExpired)):
        gateway.add_from_nonce(
            customer,
            AcceptNonce(opaque["dataValue"], opaque["dataDescriptor"]),
            BillingAddress(first_name="Other", last_name="Person", zip="10001"),
        )


def test_invalid_card_is_refused_in_the_browser(page: Any, page_url: str) -> None:
    response = _tokenize(page, page_url, "4111111111111112", "12", "2031", "123")
    assert response["messages"]["resultCode"] == "Error"
    codes = [message["code"] for message in response["messages"]["message"]]
    assert "E_WC_05" in codes
    assert "opaqueData" not in response


def test_wrong_client_key_is_refused(page: Any, page_url: str) -> None:
    response = _tokenize(
        page, page_url, "5424000000000015", "01", "2032", "999", client_key="not-the-key"
    )
    assert response["messages"]["resultCode"] == "Error"
    assert [m["code"] for m in response["messages"]["message"]] == ["E_WC_21"]
    assert "opaqueData" not in response


def test_a_real_looking_card_is_refused_in_the_browser(page: Any, page_url: str) -> None:
    response = _tokenize(page, page_url, "5105105105105100", "12", "2031", "123")
    assert response["messages"]["resultCode"] == "Error"
    (message,) = response["messages"]["message"]
    assert message["code"] == "E_WC_05"
    assert "offline sandbox" in message["text"] and "test card" in message["text"]
    assert "opaqueData" not in response


CHARGE = """<?xml version="1.0" encoding="utf-8"?>
<createTransactionRequest xmlns="AnetApi/xml/v1/schema/AnetApiSchema.xsd">
<merchantAuthentication><name>{login}</name><transactionKey>{key}</transactionKey>
</merchantAuthentication><transactionRequest>
<transactionType>authCaptureTransaction</transactionType><amount>99.00</amount>
<payment><creditCard><cardNumber>4111111111111111</cardNumber>
<expirationDate>2031-12</expirationDate></creditCard></payment>
</transactionRequest></createTransactionRequest>"""

NO_CORS_POST = """async ([url, body]) => {
  await fetch(url, {method: "POST", mode: "no-cors", body: body,
                    headers: {"Content-Type": "text/plain"}});
  return true;
}"""


def test_a_page_cannot_charge_or_control_the_sandbox(
    page: Any, page_url: str, sandbox: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Simple cross-origin posts need no preflight; the browser's Origin header gives them away."""
    caplog.set_level(logging.DEBUG, logger="w365desk.sandbox.authorizenet")
    page.goto(page_url)
    charge = CHARGE.format(login=DEFAULT_API_LOGIN_ID, key=sandbox.transaction_key)
    fault = json.dumps({"requestType": "*", "kind": "http_500"})
    page.evaluate(NO_CORS_POST, [sandbox.api_url, charge])
    page.evaluate(NO_CORS_POST, [sandbox.base_url + "/sandbox/faults", fault])
    page.evaluate(NO_CORS_POST, [sandbox.base_url + "/sandbox/settle", ""])
    refused = [r.getMessage() for r in caplog.records if '" 403 ' in r.getMessage()]
    assert [line.split('"')[1] for line in refused] == [
        "POST /xml/v1/request.api HTTP/1.1",
        "POST /sandbox/faults HTTP/1.1",
        "POST /sandbox/settle HTTP/1.1",
    ]
    assert sandbox.ledger() == []
    assert sandbox.faults.snapshot() == {}

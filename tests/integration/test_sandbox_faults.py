"""Fault injection over real HTTP: each kind does what the contract says, set in code or by JSON."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
import requests
from authorizenet import apicontractsv1 as contracts
from authorizenet import apicontrollers as controllers
from lxml import etree
from sandbox_sdk_support import BOM, Sdk, Wire, strict_parse

from w365desk.sandbox.authorizenet import Fault, SandboxServer
from w365desk.sandbox.authorizenet import api as engine

XML = {"Content-Type": "application/xml"}
CHARGE = "createTransactionRequest"


@pytest.fixture
def sdk(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Sdk:
    return Sdk(sandbox, Wire(monkeypatch))


@pytest.fixture
def charge_body(sdk: Sdk) -> bytes:
    return _charge_body(sdk)


def _charge_body(sdk: Sdk) -> bytes:
    """A charge of a new customer's card on ``sdk``'s sandbox, ready to post."""
    customer_id, profile_id = sdk.customer_with_card()
    request = sdk.profile_charge_request(customer_id, profile_id, "19.99", "INV-F")
    return sdk.body(controllers.createTransactionController, request)


def post(sandbox: SandboxServer, body: bytes, timeout: float = 10) -> requests.Response:
    return requests.post(sandbox.api_url, data=body, headers=XML, timeout=timeout)


def wait_until(condition: Callable[[], bool], what: str, deadline_s: float = 10) -> None:
    """Poll for a state change that must happen soon (a bound, not a measured time)."""
    give_up = time.monotonic() + deadline_s
    while not condition():
        if time.monotonic() > give_up:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.01)


def authenticate_body(sdk: Sdk) -> bytes:
    return sdk.body(controllers.authenticateTestController, contracts.authenticateTestRequest())


# --- faults that let the request through first ---------------------------------------------------


def test_hang_processes_the_charge_and_never_answers(
    sandbox: SandboxServer, charge_body: bytes
) -> None:
    sandbox.set_fault(CHARGE, Fault("hang"))
    with pytest.raises(requests.exceptions.ReadTimeout):
        post(sandbox, charge_body, timeout=1)
    (entry,) = sandbox.ledger()
    assert (entry.kind, entry.response_code, entry.invoice_number) == ("charge", "1", "INV-F")


def test_stop_releases_a_hung_request(
    start_sandbox: Callable[..., SandboxServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = start_sandbox()  # its own: this test stops it
    charge_body = _charge_body(Sdk(sandbox, Wire(monkeypatch)))
    sandbox.set_fault(CHARGE, Fault("hang"))
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending: Future[requests.Response] = pool.submit(post, sandbox, charge_body, 60)
        wait_until(lambda: len(sandbox.ledger()) == 1, "the hung charge to be processed")
        assert not pending.done()
        sandbox.stop()
        # The connection closes without an answer: an error, long before the 60 s timeout.
        with pytest.raises(requests.exceptions.ConnectionError):
            pending.result(timeout=10)


def test_reset_processes_the_charge_then_resets_the_connection(
    sandbox: SandboxServer, charge_body: bytes
) -> None:
    sandbox.set_fault(CHARGE, Fault("reset"))
    with pytest.raises(requests.exceptions.ConnectionError) as raised:
        post(sandbox, charge_body)
    assert "reset" in repr(raised.value).lower()
    assert [entry.kind for entry in sandbox.ledger()] == ["charge"]


def test_latency_fault_delays_only_its_request_type(
    sandbox: SandboxServer, sdk: Sdk, charge_body: bytes
) -> None:
    sandbox.set_fault(CHARGE, Fault("latency", latency_ms=5000))
    with ThreadPoolExecutor(max_workers=1) as pool:
        slow = pool.submit(post, sandbox, charge_body)
        # Processed first, then delayed: the charge is in the ledger while the answer waits.
        wait_until(lambda: len(sandbox.ledger()) == 1, "the delayed charge to be processed")
        quick = sdk.call(
            controllers.getUnsettledTransactionListController,
            contracts.getUnsettledTransactionListRequest(),
        )
        assert quick.values("transactions/transaction/invoiceNumber") == ["INV-F"]
        assert not slow.done()
        answer = slow.result(timeout=15)
    assert answer.status_code == 200
    assert strict_parse(answer.content).transactionResponse.responseCode == "1"


# --- faults that refuse the request --------------------------------------------------------------


def test_reset_before_processing_charges_nothing(
    sandbox: SandboxServer, charge_body: bytes
) -> None:
    sandbox.set_fault(CHARGE, Fault("reset_before"))
    with pytest.raises(requests.exceptions.ConnectionError):
        post(sandbox, charge_body)
    assert sandbox.ledger() == []


@pytest.mark.parametrize(("kind", "status"), [("http_500", 500), ("http_503", 503)])
def test_http_error_status_charges_nothing(
    sandbox: SandboxServer, charge_body: bytes, sdk: Sdk, kind: str, status: int
) -> None:
    sandbox.set_fault(CHARGE, Fault(kind))  # type: ignore[arg-type]
    answer = post(sandbox, charge_body)
    assert answer.status_code == status
    assert sandbox.ledger() == []
    # The SDK turns an HTTP error into "no response at all".
    sandbox.set_fault(CHARGE, Fault(kind))  # type: ignore[arg-type]
    request = sdk.profile_charge_request(*sdk.customer_with_card(merchant_customer_id="B"))
    request.merchantAuthentication = sdk.auth()
    controller = controllers.createTransactionController(request)
    controller.setenvironment(sandbox.api_url)
    controller.execute()
    assert controller.getresponse() is None
    assert sandbox.ledger() == []


def test_malformed_xml_is_a_200_that_cannot_be_parsed(
    sandbox: SandboxServer, charge_body: bytes
) -> None:
    sandbox.set_fault(CHARGE, Fault("malformed_xml"))
    answer = post(sandbox, charge_body)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/xml; charset=utf-8"
    assert answer.content.startswith(BOM + b"<?xml")
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(answer.content[3:])
    assert sandbox.ledger() == []


def test_malformed_xml_makes_the_sdk_raise(sandbox: SandboxServer, sdk: Sdk) -> None:
    customer_id, profile_id = sdk.customer_with_card()
    sandbox.set_fault(CHARGE, Fault("malformed_xml"))
    with pytest.raises(etree.XMLSyntaxError):
        sdk.call(
            controllers.createTransactionController,
            sdk.profile_charge_request(customer_id, profile_id),
        )
    assert sandbox.ledger() == []


def test_busy_is_a_well_formed_e00053(sandbox: SandboxServer, charge_body: bytes) -> None:
    sandbox.set_fault(CHARGE, Fault("busy"))
    answer = post(sandbox, charge_body)
    strict = strict_parse(answer.content)
    assert strict.messages.resultCode == "Error"
    assert (strict.messages.message[0].code, strict.messages.message[0].text) == (
        "E00053",
        "Server too busy",
    )
    assert sandbox.ledger() == []


# --- scope and duration --------------------------------------------------------------------------


def test_times_limits_how_many_requests_a_fault_affects(sandbox: SandboxServer, sdk: Sdk) -> None:
    sandbox.set_fault("authenticateTestRequest", Fault("http_503", times=2))
    body = authenticate_body(sdk)
    assert [post(sandbox, body).status_code for _ in range(3)] == [503, 503, 200]
    assert sandbox.faults.snapshot() == {}


def test_every_type_fault_and_a_specific_one_that_wins(sandbox: SandboxServer, sdk: Sdk) -> None:
    sandbox.set_fault("*", Fault("http_500"))
    sandbox.set_fault("authenticateTestRequest", Fault("busy"))
    assert post(sandbox, authenticate_body(sdk)).content.count(b"E00053") == 1
    unsettled = sdk.body(
        controllers.getUnsettledTransactionListController,
        contracts.getUnsettledTransactionListRequest(),
    )
    assert post(sandbox, unsettled).status_code == 500
    sandbox.set_fault("authenticateTestRequest", None)
    assert post(sandbox, authenticate_body(sdk)).status_code == 500
    sandbox.clear_faults()
    assert post(sandbox, authenticate_body(sdk)).status_code == 200


def test_faults_given_at_start(
    start_sandbox: Callable[..., SandboxServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_sandbox(faults={"authenticateTestRequest": Fault("http_503", times=1)})
    body = authenticate_body(Sdk(server, Wire(monkeypatch)))
    assert [post(server, body).status_code for _ in range(2)] == [503, 200]


@pytest.mark.parametrize("fault", [None, Fault("latency", latency_ms=1)])
def test_each_request_is_parsed_once(
    sandbox: SandboxServer,
    sdk: Sdk,
    charge_body: bytes,
    monkeypatch: pytest.MonkeyPatch,
    fault: Fault | None,
) -> None:
    """Looking up a fault reads what the request names; processing reuses that reading."""
    parsed: list[int] = []
    real_parse = engine.parse_request

    def counting_parse(body: bytes) -> Any:
        parsed.append(len(body))
        return real_parse(body)

    monkeypatch.setattr(engine, "parse_request", counting_parse)
    if fault is not None:
        sandbox.set_fault(CHARGE, fault)
    answer = post(sandbox, charge_body)
    assert b"<responseCode>1</responseCode>" in answer.content
    assert parsed == [len(charge_body)]


def test_an_unreadable_request_meets_the_every_type_fault(sandbox: SandboxServer) -> None:
    sandbox.set_fault("*", Fault("http_503"))
    assert post(sandbox, b"not xml at all").status_code == 503


# --- the JSON control endpoints ------------------------------------------------------------------


def control(sandbox: SandboxServer, method: str, path: str, body: Any = None) -> requests.Response:
    """A control request as a local program sends it: JSON, no Origin."""
    return requests.request(
        method,
        sandbox.base_url + path,
        data=b"" if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )


def test_faults_set_and_cleared_over_json(sandbox: SandboxServer, sdk: Sdk) -> None:
    body = authenticate_body(sdk)
    answer = control(
        sandbox,
        "POST",
        "/sandbox/faults",
        {
            "requestType": "authenticateTestRequest",
            "kind": "http_500",
            "latencyMs": 0,
            "times": None,
        },
    )
    assert (answer.status_code, answer.json()) == (200, {"ok": True})
    listed = control(sandbox, "GET", "/sandbox/faults").json()
    assert listed == {
        "faults": [
            {
                "requestType": "authenticateTestRequest",
                "kind": "http_500",
                "latencyMs": 0,
                "times": None,
            }
        ]
    }
    assert post(sandbox, body).status_code == 500
    assert control(sandbox, "DELETE", "/sandbox/faults").status_code == 200
    assert post(sandbox, body).status_code == 200


def test_a_fault_for_one_type_cleared_with_kind_null(sandbox: SandboxServer, sdk: Sdk) -> None:
    control(sandbox, "POST", "/sandbox/faults", {"requestType": "*", "kind": "busy"})
    control(sandbox, "POST", "/sandbox/faults", {"requestType": "*", "kind": None})
    assert post(sandbox, authenticate_body(sdk)).content.count(b"I00001") == 1


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"requestType": "*", "kind": "explode"}, "kind must be one of"),
        ({"kind": "busy"}, "requestType must name a request type"),
        ({"requestType": "*", "kind": "latency", "latencyMs": -1}, "latency_ms must not be"),
        ({"requestType": "*", "kind": "busy", "times": 0}, "times must be at least 1"),
        ({"requestType": "*", "kind": "busy", "times": "2"}, "times must be a whole number"),
        ([1, 2], "send a JSON object"),
    ],
)
def test_bad_fault_json_is_refused_with_a_reason(
    sandbox: SandboxServer, document: Any, message: str
) -> None:
    answer = control(sandbox, "POST", "/sandbox/faults", document)
    assert answer.status_code == 400
    assert message in answer.json()["error"]
    assert sandbox.faults.snapshot() == {}


def test_settle_and_ledger_over_json(sandbox: SandboxServer, sdk: Sdk) -> None:
    customer_id, profile_id = sdk.customer_with_card()
    charge = sdk.charge_profile(customer_id, profile_id, "7.25", "INV-J", ref_id="r-1")
    charge_id = charge.value("transactionResponse/transId")
    assert control(sandbox, "POST", "/sandbox/settle").json() == {"ok": True}
    assert sdk.details(charge_id, wide=True).value("transaction/transactionStatus") == (
        "settledSuccessfully"
    )
    ledger = control(sandbox, "GET", "/sandbox/ledger").json()["ledger"]
    assert ledger == [
        {
            "kind": "charge",
            "transactionId": charge_id,
            "amount": "7.25",
            "refId": "r-1",
            "invoiceNumber": "INV-J",
            "customerProfileId": customer_id,
            "paymentProfileId": profile_id,
            "responseCode": "1",
            "at": sandbox.ledger()[0].at.isoformat(),
        }
    ]


def test_latency_over_json(sandbox: SandboxServer) -> None:
    assert control(sandbox, "POST", "/sandbox/latency", {"latencyMs": 250}).status_code == 200
    assert sandbox.latency_ms == 250
    refused = control(sandbox, "POST", "/sandbox/latency", {"latencyMs": -3})
    assert refused.status_code == 400
    assert sandbox.latency_ms == 250


def test_unknown_control_path(sandbox: SandboxServer) -> None:
    answer = control(sandbox, "POST", "/sandbox/explode")
    assert answer.status_code == 404
    assert "no POST /sandbox/explode" in answer.json()["error"]


FAULT = {"requestType": "*", "kind": "http_500"}


@pytest.mark.parametrize(
    ("method", "path", "headers", "body"),
    [
        # A page's form post or no-cors fetch: no preflight, but the browser adds Origin.
        ("POST", "/sandbox/faults", {"Content-Type": "text/plain"}, json.dumps(FAULT)),
        ("POST", "/sandbox/settle", {"Content-Type": "application/x-www-form-urlencoded"}, ""),
        # Even declared JSON is refused once it comes from a page.
        ("POST", "/sandbox/faults", {"Content-Type": "application/json"}, json.dumps(FAULT)),
        ("DELETE", "/sandbox/faults", {}, ""),
        ("GET", "/sandbox/ledger", {}, ""),
    ],
)
def test_web_pages_cannot_use_the_control_endpoints(
    sandbox: SandboxServer, sdk: Sdk, method: str, path: str, headers: dict[str, str], body: str
) -> None:
    sandbox.set_fault("getTransactionDetailsRequest", Fault("busy"))
    customer_id, profile_id = sdk.customer_with_card()
    sdk.charge_profile(customer_id, profile_id, "4.00", "INV-C")
    answer = requests.request(
        method,
        sandbox.base_url + path,
        data=body.encode(),
        headers=headers | {"Origin": "https://evil.example"},
        timeout=10,
    )
    assert answer.status_code == 403
    assert "do not answer web pages" in answer.text
    assert "Access-Control-Allow-Origin" not in answer.headers
    assert b"INV-C" not in answer.content
    assert set(sandbox.faults.snapshot()) == {"getTransactionDetailsRequest"}
    assert sdk.details(sandbox.ledger()[0].transaction_id).code == "E00053"  # still set


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_control_writes_must_be_declared_json(
    sandbox: SandboxServer, content_type: str | None
) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    answer = requests.post(
        sandbox.base_url + "/sandbox/faults", data=json.dumps(FAULT), headers=headers, timeout=10
    )
    assert answer.status_code == 415
    assert "application/json" in answer.text
    assert sandbox.faults.snapshot() == {}


def test_a_rebound_host_name_cannot_use_the_control_endpoints(sandbox: SandboxServer) -> None:
    """A page whose own name now points at 127.0.0.1 reads "same-origin" GETs without Origin."""
    answer = requests.get(
        sandbox.base_url + "/sandbox/ledger",
        headers={"Host": f"evil.example:{sandbox.port}"},
        timeout=10,
    )
    assert answer.status_code == 403
    assert "localhost only" in answer.text


def test_hung_requests_do_not_block_other_clients(
    sandbox: SandboxServer, sdk: Sdk, charge_body: bytes
) -> None:
    sandbox.set_fault(CHARGE, Fault("hang", times=1))
    done = threading.Event()

    def hung_call() -> None:
        try:
            post(sandbox, charge_body, timeout=30)
        except requests.exceptions.RequestException:
            pass
        finally:
            done.set()

    threading.Thread(target=hung_call, daemon=True).start()
    wait_until(lambda: len(sandbox.ledger()) == 1, "the hung charge")
    answer = sdk.call(controllers.authenticateTestController, contracts.authenticateTestRequest())
    assert answer.result_code == "Ok"
    assert not done.is_set()

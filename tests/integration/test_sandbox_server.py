"""The sandbox as a server: request-level errors, persistence, no card data at rest, concurrency,
the data-folder lock and the ``w365desk sandbox`` command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from authorizenet import apicontractsv1 as contracts
from authorizenet import apicontrollers as controllers
from sandbox_sdk_support import RemoteSandbox, Sdk, Wire, objectify_answer, strict_parse

from w365desk.clock import FrozenClock
from w365desk.gateway.sandbox import SandboxServer
from w365desk.gateway.sandbox.cards import TEST_CARDS
from w365desk.gateway.sandbox.dirlock import DataDirInUse
from w365desk.gateway.sandbox.state import STATE_FILE_NAME, StateFileError

NAMESPACE = "AnetApi/xml/v1/schema/AnetApiSchema.xsd"
AUTH = (
    "<merchantAuthentication><name>w365sandbox</name>"
    "<transactionKey>w365SandboxKey16</transactionKey></merchantAuthentication>"
)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 1, 15, 12, 0, tzinfo=UTC))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "sandbox"


@pytest.fixture
def sandbox(data_dir: Path, clock: FrozenClock) -> Iterator[SandboxServer]:
    with SandboxServer(data_dir, clock=clock) as server:
        yield server


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> Wire:
    return Wire(monkeypatch)


@pytest.fixture
def sdk(sandbox: SandboxServer, wire: Wire) -> Sdk:
    return Sdk(sandbox, wire)


def raw_post(sandbox: SandboxServer, body: bytes) -> requests.Response:
    return requests.post(
        sandbox.api_url, data=body, headers={"Content-Type": "application/xml"}, timeout=10
    )


def root_name(raw: bytes) -> str:
    return raw[3:].decode().split("<")[2].split(" ")[0].split(">")[0]


# --- request-level errors ------------------------------------------------------------------------


def test_unparsable_xml_is_e00003(sandbox: SandboxServer) -> None:
    answer = raw_post(sandbox, b"<authenticateTestRequest><oops></authenticateTestRequest>")
    strict = strict_parse(answer.content)
    assert strict.messages.message[0].code == "E00003"
    assert str(strict.messages.message[0].text).startswith(
        "An error occurred while parsing the XML request."
    )
    assert root_name(answer.content) == "ErrorResponse"


def test_a_document_type_declaration_is_refused_without_expanding_entities(
    sandbox: SandboxServer,
) -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        f'<authenticateTestRequest xmlns="{NAMESPACE}">{AUTH}<refId>&lol2;</refId>'
        "</authenticateTestRequest>"
    )
    answer = raw_post(sandbox, laughs.encode())
    strict = strict_parse(answer.content)
    assert strict.messages.message[0].code == "E00003"
    assert "lollol" not in answer.text


def test_an_unknown_request_type_is_e00004(sandbox: SandboxServer) -> None:
    body = f'<explodeRequest xmlns="{NAMESPACE}">{AUTH}<refId>r9</refId></explodeRequest>'
    strict = strict_parse(raw_post(sandbox, body.encode()).content)
    assert (strict.messages.message[0].code, strict.messages.message[0].text) == (
        "E00004",
        "The name of the requested API method is invalid.",
    )
    assert strict.refId == "r9"


def test_a_wrong_namespace_is_e00045(sandbox: SandboxServer) -> None:
    body = f'<authenticateTestRequest xmlns="urn:other">{AUTH}</authenticateTestRequest>'
    strict = strict_parse(raw_post(sandbox, body.encode()).content)
    assert strict.messages.message[0].code == "E00045"


def test_a_request_without_credentials_is_e00007(sandbox: SandboxServer) -> None:
    body = f'<authenticateTestRequest xmlns="{NAMESPACE}"/>'
    strict = strict_parse(raw_post(sandbox, body.encode()).content)
    assert strict.messages.message[0].code == "E00007"


def test_a_missing_required_field_is_e00014_naming_it(sandbox: SandboxServer) -> None:
    body = (
        f'<createCustomerPaymentProfileRequest xmlns="{NAMESPACE}">{AUTH}'
        "<paymentProfile><payment><creditCard><expirationDate>2030-12</expirationDate>"
        "</creditCard></payment></paymentProfile></createCustomerPaymentProfileRequest>"
    )
    strict = strict_parse(raw_post(sandbox, body.encode()).content)
    assert (strict.messages.message[0].code, strict.messages.message[0].text) == (
        "E00014",
        "Customer Profile ID is required.",
    )


def test_a_card_without_number_is_e00014(sandbox: SandboxServer, sdk: Sdk) -> None:
    customer_id, _ = sdk.customer_with_card()
    body = (
        f'<createCustomerPaymentProfileRequest xmlns="{NAMESPACE}">{AUTH}'
        f"<customerProfileId>{customer_id}</customerProfileId>"
        "<paymentProfile><payment><creditCard><expirationDate>2030-12</expirationDate>"
        "</creditCard></payment></paymentProfile></createCustomerPaymentProfileRequest>"
    )
    strict = strict_parse(raw_post(sandbox, body.encode()).content)
    assert (strict.messages.message[0].code, strict.messages.message[0].text) == (
        "E00014",
        "Card Number is required.",
    )


def test_a_customer_profile_found_by_merchant_customer_id(sandbox: SandboxServer, sdk: Sdk) -> None:
    customer_id, _ = sdk.customer_with_card(merchant_customer_id="FIND-ME")
    request = contracts.getCustomerProfileRequest()
    request.merchantCustomerId = "FIND-ME"
    found = sdk.call(controllers.getCustomerProfileController, request, wide=True)
    assert found.value("profile/customerProfileId") == customer_id


def test_requests_with_a_bom_are_read(sandbox: SandboxServer) -> None:
    body = f'<authenticateTestRequest xmlns="{NAMESPACE}">{AUTH}</authenticateTestRequest>'
    strict = strict_parse(raw_post(sandbox, b"\xef\xbb\xbf" + body.encode()).content)
    assert strict.messages.resultCode == "Ok"


def test_unknown_paths_are_404(sandbox: SandboxServer) -> None:
    assert requests.get(sandbox.base_url + "/nothing", timeout=10).status_code == 404
    assert requests.post(sandbox.base_url + "/xml/v2/x", timeout=10).status_code == 404


# --- state on disk -------------------------------------------------------------------------------


def build_history(sdk: Sdk, sandbox: SandboxServer) -> dict[str, str]:
    """Profiles, a settled charge with a refund, a voided charge: one of everything."""
    customer_id, visa_id = sdk.customer_with_card()
    amex = sdk.add_payment_profile(
        customer_id,
        sdk.payment_profile(sdk.card("370000000000002", code="1234"), sdk.bill_to("Amy")),
    )
    bank = sdk.add_payment_profile(customer_id, sdk.payment_profile(sdk.bank(), sdk.bill_to("B")))
    for number in TEST_CARDS:
        code = "1234" if number.startswith("37") else "901"
        sdk.charge_payment(sdk.card(number, code=code), invoice=f"P-{number[-4:]}")
    settled = sdk.charge_profile(customer_id, visa_id, "80.00", "INV-H1")
    sandbox.settle_now()
    refund = sdk.refund(settled.value("transactionResponse/transId"), "30.00")
    voided = sdk.charge_profile(customer_id, visa_id, "9.00", "INV-H2")
    sdk.void(voided.value("transactionResponse/transId"))
    return {
        "customer": customer_id,
        "visa": visa_id,
        "amex": amex.value("customerPaymentProfileId"),
        "bank": bank.value("customerPaymentProfileId"),
        "settled": settled.value("transactionResponse/transId"),
        "refund": refund.value("transactionResponse/transId"),
        "voided": voided.value("transactionResponse/transId"),
    }


def test_the_state_file_never_holds_card_numbers_or_codes(
    sdk: Sdk, sandbox: SandboxServer, data_dir: Path
) -> None:
    build_history(sdk, sandbox)
    nonce = sandbox.issue_nonce("6011000000000012", 1, 2031, "9999")
    sdk.charge_payment(sdk.opaque(nonce), invoice="N-1")
    text = (data_dir / STATE_FILE_NAME).read_text(encoding="utf-8")
    for number in [*TEST_CARDS, "123456789"]:  # every card, and the bank account number
        assert number not in text
    for code in ('"1234"', '"901"', '"9999"'):
        assert code not in text
    state = json.loads(text)
    assert len(state["secret"]) == 64
    stored = next(iter(state["payment_profiles"].values()))["payment"]
    assert set(stored) >= {"brand", "last4", "expiry", "fingerprint"}
    assert len(stored["fingerprint"]) == 64


def test_state_survives_a_restart(
    data_dir: Path, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SandboxServer(data_dir, clock=clock) as first:
        sdk = Sdk(first, Wire(monkeypatch))
        ids = build_history(sdk, first)
        ledger = first.ledger()
        pending = sdk.charge_profile(ids["customer"], ids["visa"], "3.00", "INV-H3")
    with SandboxServer(data_dir, clock=clock) as second:
        sdk = Sdk(second, Wire(monkeypatch))
        assert second.ledger() == [*ledger, second.ledger()[-1]]
        request = contracts.getCustomerProfileRequest()
        request.customerProfileId = ids["customer"]
        profile = sdk.call(controllers.getCustomerProfileController, request, wide=True)
        assert profile.values("profile/paymentProfiles/customerPaymentProfileId") == [
            ids["visa"],
            ids["amex"],
            ids["bank"],
        ]

        def status(trans_id: str) -> str:
            return sdk.details(trans_id, wide=True).value("transaction/transactionStatus")

        assert status(ids["settled"]) == "settledSuccessfully"
        assert status(ids["refund"]) == "refundPendingSettlement"
        assert status(ids["voided"]) == "voided"
        assert status(pending.value("transactionResponse/transId")) == ("capturedPendingSettlement")
        # Duplicates still match after the restart (same fingerprint secret) ...
        again = sdk.add_payment_profile(
            ids["customer"], sdk.payment_profile(sdk.card(), sdk.bill_to())
        )
        assert (again.code, again.value("customerPaymentProfileId")) == ("E00039", ids["visa"])
        # ... and new ids continue where the old ones stopped.
        new_charge = sdk.charge_profile(ids["customer"], ids["amex"], "4.00", "INV-H4")
        assert int(new_charge.value("transactionResponse/transId")) > int(ids["voided"])
        # Settlement by the clock picks up where it left off.
        clock.advance(timedelta(seconds=600))
        assert status(ids["refund"]) == "refundSettledSuccessfully"


def test_the_state_file_is_replaced_atomically(
    sdk: Sdk, sandbox: SandboxServer, data_dir: Path
) -> None:
    sdk.customer_with_card()
    assert sorted(path.name for path in data_dir.iterdir()) == [
        "sandbox-state.json",
        "sandbox.lock",
    ]


def test_a_corrupt_state_file_stops_the_start_and_is_left_alone(data_dir: Path) -> None:
    data_dir.mkdir(parents=True)
    state_file = data_dir / STATE_FILE_NAME
    state_file.write_text('{"version": 1, "secret": ', encoding="utf-8")
    server = SandboxServer(data_dir)
    with pytest.raises(StateFileError, match="cannot read the sandbox state file"):
        server.start()
    assert state_file.read_text(encoding="utf-8") == '{"version": 1, "secret": '
    server.stop()  # harmless after a failed start


def test_two_sandboxes_cannot_share_a_data_folder(sandbox: SandboxServer, data_dir: Path) -> None:
    with pytest.raises(DataDirInUse, match="another sandbox is already using"):
        SandboxServer(data_dir).start()


def test_stop_is_idempotent_and_a_stopped_sandbox_can_start_again(data_dir: Path) -> None:
    server = SandboxServer(data_dir)
    server.start()
    port = server.port
    server.stop()
    server.stop()
    server.start()
    try:
        assert server.port == port
        answer = requests.get(server.accept_js_url, timeout=10)
        assert answer.status_code == 200
    finally:
        server.stop()


# --- concurrency ---------------------------------------------------------------------------------


def wait_until(condition: Callable[[], bool], what: str, deadline_s: float = 20) -> None:
    give_up = time.monotonic() + deadline_s
    while not condition():
        if time.monotonic() > give_up:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.01)


def test_latency_is_slept_outside_the_state_lock(sdk: Sdk, sandbox: SandboxServer) -> None:
    """With a long latency, all concurrent charges are processed before any is answered.

    Were the latency slept under the lock, the second charge could only be processed
    after the first one's whole delay, so its ledger entry would come after an answer.
    """
    customer_id, profile_id = sdk.customer_with_card()
    bodies = [
        sdk.body(
            controllers.createTransactionController,
            sdk.profile_charge_request(customer_id, profile_id, f"{n}.00", f"C-{n}"),
        )
        for n in range(1, 9)
    ]
    sandbox.set_latency(4000)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = [pool.submit(raw_post, sandbox, body) for body in bodies]
        wait_until(lambda: len(sandbox.ledger()) == 8, "all eight charges to be processed")
        assert not any(answer.done() for answer in answers)
        results = [answer.result(timeout=30) for answer in answers]
    codes = [str(strict_parse(r.content).transactionResponse.responseCode) for r in results]
    assert codes == ["1"] * 8


def test_concurrent_customers_get_distinct_ids(sandbox: SandboxServer) -> None:
    def create(index: int) -> str:
        body = (
            f'<createCustomerProfileRequest xmlns="{NAMESPACE}">{AUTH}'
            f"<profile><merchantCustomerId>C-{index}</merchantCustomerId></profile>"
            "</createCustomerProfileRequest>"
        )
        raw = raw_post(sandbox, body.encode()).content
        assert strict_parse(raw).messages.resultCode == "Ok"
        return str(objectify_answer(raw).customerProfileId)

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(create, range(40)))
    assert len(set(ids)) == 40


# --- the command ---------------------------------------------------------------------------------


def start_cli(data_dir: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "w365desk",
            "sandbox",
            "--port",
            "0",
            "--data",
            str(data_dir),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def read_banner(process: subprocess.Popen[str]) -> dict[str, str]:
    banner: dict[str, str] = {}
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("Press Ctrl-C"):
            return banner
        name, _, value = line.partition(":")
        banner[name.strip()] = value.strip()
    raise AssertionError(
        f"the sandbox exited early: {process.stderr.read() if process.stderr else ''}"
    )


def test_the_command_serves_until_sigterm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    process = start_cli(tmp_path / "cli", "--fault", "getUnsettledTransactionListRequest=busy")
    try:
        banner = read_banner(process)
        assert banner["API login id"] == "w365sandbox"
        assert banner["Transaction key"] == "w365SandboxKey16"
        assert banner["Public client key"]
        api_url = banner["Sandbox API endpoint"]
        assert api_url.startswith("http://127.0.0.1:") and api_url.endswith("/xml/v1/request.api")
        assert banner["Accept.js script URL"].endswith("/v1/Accept.js")
        assert requests.get(banner["Accept.js script URL"], timeout=10).status_code == 200

        remote = RemoteSandbox(api_url, banner["API login id"], banner["Transaction key"])
        sdk = Sdk(remote, Wire(monkeypatch))
        ok = sdk.call(controllers.authenticateTestController, contracts.authenticateTestRequest())
        assert ok.code == "I00001"
        busy = sdk.call(
            controllers.getUnsettledTransactionListController,
            contracts.getUnsettledTransactionListRequest(),
        )
        assert busy.code == "E00053"
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert "Sandbox stopped." in out
    assert (tmp_path / "cli" / STATE_FILE_NAME).exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--transaction-key", "x" * 17], "the transaction key must be 1 to 16 characters"),
        (["--fault", "createTransactionRequest=explode"], "unknown fault kind 'explode'"),
        (["--fault", "nonsense"], "expected TYPE=KIND"),
        (["--latency-ms", "-4"], "expected a whole number"),
    ],
)
def test_the_command_explains_bad_arguments(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    process = start_cli(tmp_path / "cli", *arguments)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert message in err


def test_the_command_refuses_a_data_folder_in_use(sandbox: SandboxServer, data_dir: Path) -> None:
    process = start_cli(data_dir)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "another sandbox is already using" in err

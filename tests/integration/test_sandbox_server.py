"""The sandbox as a server: request-level errors, persistence, no card data at rest, concurrency,
the data-folder lock and the ``w365desk sandbox`` command."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from authorizenet import apicontractsv1 as contracts
from authorizenet import apicontrollers as controllers
from sandbox_sdk_support import RemoteSandbox, Sdk, Wire, objectify_answer, strict_parse

from w365desk.clock import FrozenClock
from w365desk.sandbox.authorizenet import SandboxServer
from w365desk.sandbox.authorizenet.cards import NOT_A_TEST_CARD_TEXT, TEST_CARDS
from w365desk.sandbox.authorizenet.dirlock import DataDirInUse, DataDirLock
from w365desk.sandbox.authorizenet.journal import JournalWriter
from w365desk.sandbox.authorizenet.server import REQUEST_TIMEOUT_S, _Handler
from w365desk.sandbox.authorizenet.state import (
    JOURNAL_FILE_NAME,
    STATE_FILE_NAME,
    StateFileError,
    StateStore,
    state_to_json,
)

NAMESPACE = "AnetApi/xml/v1/schema/AnetApiSchema.xsd"
# Passes every check a card number can pass (length, Luhn, Mastercard prefix); not a test card.
REAL_CARD = "5105105105105100"
AUTH = (
    "<merchantAuthentication><name>w365sandbox</name>"
    "<transactionKey>w365SandboxKey16</transactionKey></merchantAuthentication>"
)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "sandbox"


@pytest.fixture
def sandbox(
    data_dir: Path, clock: FrozenClock, start_sandbox: Callable[..., SandboxServer]
) -> SandboxServer:
    """A sandbox of this module's own: these tests look into its data folder."""
    return start_sandbox(data_dir, clock=clock.now)


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


def data_folder_bytes(data_dir: Path) -> bytes:
    """Everything the sandbox wrote: the snapshot and the journal (and the empty lock)."""
    return b"".join(path.read_bytes() for path in sorted(data_dir.iterdir()))


def stored_payments(data_dir: Path) -> list[dict[str, Any]]:
    """Every stored payment in the snapshot and in each journal line."""
    documents = [json.loads((data_dir / STATE_FILE_NAME).read_text(encoding="utf-8"))]
    journal = (data_dir / JOURNAL_FILE_NAME).read_text(encoding="utf-8").splitlines()
    documents += [json.loads(line) for line in journal[1:]]
    found: list[dict[str, Any]] = []
    for document in documents:
        for table in ("payment_profiles", "transactions"):
            found += [r["payment"] for r in (document.get(table) or {}).values() if r]
    return found


def test_a_card_that_is_not_a_test_card_is_refused_and_leaves_no_trace(
    sdk: Sdk, sandbox: SandboxServer, data_dir: Path
) -> None:
    """Staff may type a real card into the default (offline) gateway: it must go nowhere."""
    created = sdk.create_customer(
        payment_profiles=[sdk.payment_profile(sdk.card(REAL_CARD, code="123"), sdk.bill_to())]
    )
    assert (created.code, created.text) == ("E00013", NOT_A_TEST_CARD_TEXT)
    customer_id, profile_id = sdk.customer_with_card()
    added = sdk.add_payment_profile(
        customer_id, sdk.payment_profile(sdk.card(REAL_CARD), sdk.bill_to("Other"))
    )
    assert (added.code, added.text) == ("E00013", NOT_A_TEST_CARD_TEXT)
    updated = sdk.update_payment_profile(customer_id, profile_id, sdk.card(REAL_CARD))
    assert (updated.code, updated.text) == ("E00013", NOT_A_TEST_CARD_TEXT)
    charged = sdk.charge_payment(sdk.card(REAL_CARD, code="123"), bill_to=sdk.bill_to())
    assert charged.value("transactionResponse/responseCode") == "3"
    assert charged.value("transactionResponse/errors/error/errorCode") == "6"
    assert "only Authorize.Net's published test card numbers" in charged.value(
        "transactionResponse/errors/error/errorText"
    )
    assert sandbox.ledger() == []
    written = data_folder_bytes(data_dir)
    assert REAL_CARD.encode() not in written
    assert hashlib.sha256(f"card:{REAL_CARD}".encode()).hexdigest().encode() not in written
    assert {payment["last4"] for payment in stored_payments(data_dir)} == {"1111"}


def test_nothing_card_derived_beyond_last4_brand_and_expiry_is_persisted(
    sdk: Sdk, sandbox: SandboxServer, data_dir: Path
) -> None:
    build_history(sdk, sandbox)
    nonce = sandbox.issue_nonce("6011000000000012", 1, 2031, "9999")
    sdk.charge_payment(sdk.opaque(nonce), invoice="N-1")
    written = data_folder_bytes(data_dir)
    for number in [*TEST_CARDS, "123456789"]:  # every card, and the bank account number
        assert number.encode() not in written
    for code in (b'"1234"', b'"901"', b'"9999"'):
        assert code not in written
    assert b"secret" not in written
    payments = stored_payments(data_dir)
    card_fields = {"kind", "fingerprint", "last4", "brand", "expiry"}
    public = {hashlib.sha256(f"card:{n}".encode()).hexdigest() for n in TEST_CARDS}
    for payment in payments:
        held = {name for name, value in payment.items() if value is not None}
        if payment["kind"] == "card":
            assert held == card_fields
            # A card's fingerprint is the public one of a test card: nothing to reverse.
            assert payment["fingerprint"] in public
        else:
            assert held <= card_fields | {
                "bank_account_type",
                "routing_last4",
                "name_on_account",
                "echeck_type",
                "bank_name",
            }
            assert "expiry" not in held
    assert {p["kind"] for p in payments} == {"card", "bank"}


def test_state_survives_a_restart(
    data_dir: Path, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SandboxServer(data_dir, clock=clock.now) as first:
        sdk = Sdk(first, Wire(monkeypatch))
        ids = build_history(sdk, first)
        ledger = first.ledger()
        pending = sdk.charge_profile(ids["customer"], ids["visa"], "3.00", "INV-H3")
    with SandboxServer(data_dir, clock=clock.now) as second:
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
        # Test cards still match as duplicates after the restart (public fingerprints) ...
        again = sdk.add_payment_profile(
            ids["customer"], sdk.payment_profile(sdk.card(), sdk.bill_to())
        )
        assert (again.code, again.value("customerPaymentProfileId")) == ("E00039", ids["visa"])
        # ... bank accounts do not: their key died with the first sandbox (as documented).
        bank_again = sdk.add_payment_profile(
            ids["customer"], sdk.payment_profile(sdk.bank(), sdk.bill_to("B"))
        )
        assert bank_again.result_code == "Ok"
        assert bank_again.value("customerPaymentProfileId") != ids["bank"]
        # ... and new ids continue where the old ones stopped.
        new_charge = sdk.charge_profile(ids["customer"], ids["amex"], "4.00", "INV-H4")
        assert int(new_charge.value("transactionResponse/transId")) > int(ids["voided"])
        # Settlement by the clock picks up where it left off.
        clock.advance(timedelta(seconds=600))
        assert status(ids["refund"]) == "refundSettledSuccessfully"


def test_the_data_folder_holds_the_snapshot_the_journal_and_the_lock(
    sdk: Sdk, sandbox: SandboxServer, data_dir: Path
) -> None:
    sdk.customer_with_card()
    assert sorted(path.name for path in data_dir.iterdir()) == [
        "sandbox-journal.jsonl",
        "sandbox-state.json",
        "sandbox.lock",
    ]


def test_a_crash_image_of_the_folder_holds_every_change(
    sdk: Sdk, sandbox: SandboxServer, data_dir: Path, clock: FrozenClock, tmp_path: Path
) -> None:
    """Copy the folder while the sandbox runs (as a crash would leave it): snapshot plus
    journal must equal what the sandbox itself writes when it stops."""
    ids = build_history(sdk, sandbox)
    amex = sdk.card("370000000000002", "2032-06")
    updated = sdk.update_payment_profile(ids["customer"], ids["amex"], amex, sdk.bill_to("Amy"))
    assert updated.code == "I00001"
    request = contracts.deleteCustomerPaymentProfileRequest()
    request.customerProfileId = ids["customer"]
    request.customerPaymentProfileId = ids["bank"]
    assert sdk.call(controllers.deleteCustomerPaymentProfileController, request).code == "I00001"
    other, _ = sdk.customer_with_card(merchant_customer_id="GONE-1")
    request = contracts.deleteCustomerProfileRequest()
    request.customerProfileId = other
    assert sdk.call(controllers.deleteCustomerProfileController, request).code == "I00001"
    request = contracts.validateCustomerPaymentProfileRequest()
    request.customerProfileId = ids["customer"]
    request.customerPaymentProfileId = ids["visa"]
    request.validationMode = "liveMode"
    sdk.call(controllers.validateCustomerPaymentProfileController, request)
    sdk.charge_profile(ids["customer"], ids["visa"], "5.00", "INV-LATE")
    clock.advance(timedelta(seconds=600))
    # A read that settles what is due: the settlement must be journaled too.
    assert sdk.details(ids["refund"], wide=True).value("transaction/transactionStatus") == (
        "refundSettledSuccessfully"
    )
    crash_image = tmp_path / "crash-image"
    shutil.copytree(data_dir, crash_image)
    sandbox.stop()
    assert state_to_json(StateStore(crash_image).load()) == state_to_json(
        StateStore(data_dir).load()
    )


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


def test_stop_waits_for_a_request_that_is_still_writing(
    sdk: Sdk, sandbox: SandboxServer, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer_id, profile_id = sdk.customer_with_card()
    body = sdk.body(
        controllers.createTransactionController,
        sdk.profile_charge_request(customer_id, profile_id, "42.00", "INV-SLOW"),
    )
    writing, may_finish = threading.Event(), threading.Event()
    events: list[str] = []
    real_append = JournalWriter.append
    real_release = DataDirLock.release

    def slow_append(journal: JournalWriter, entry: dict[str, Any]) -> None:
        writing.set()
        may_finish.wait(30)
        real_append(journal, entry)
        events.append("written")

    def noted_release(lock: DataDirLock) -> None:
        events.append("folder released")
        real_release(lock)

    monkeypatch.setattr(JournalWriter, "append", slow_append)
    monkeypatch.setattr(DataDirLock, "release", noted_release)
    with ThreadPoolExecutor(max_workers=2) as pool:
        charge = pool.submit(raw_post, sandbox, body)
        assert writing.wait(20), "the charge never reached the journal"
        stopping = pool.submit(sandbox.stop)
        with pytest.raises(FutureTimeout):
            stopping.result(timeout=0.5)  # still waiting for the charge being written
        with pytest.raises(DataDirInUse):
            SandboxServer(data_dir).start()  # and still holding the folder
        may_finish.set()
        stopping.result(timeout=30)
        answer = charge.result(timeout=30)
    assert events == ["written", "folder released"]
    assert strict_parse(answer.content).transactionResponse.responseCode == "1"
    assert [e.invoice_number for e in StateStore(data_dir).load().ledger] == ["INV-SLOW"]


def test_a_stopped_engine_refuses_work_and_writes_nothing(
    sdk: Sdk, sandbox: SandboxServer, data_dir: Path
) -> None:
    customer_id, profile_id = sdk.customer_with_card()
    body = sdk.body(
        controllers.createTransactionController,
        sdk.profile_charge_request(customer_id, profile_id, "42.00", "INV-LATE"),
    )
    engine = sandbox.api
    sandbox.stop()
    before = data_folder_bytes(data_dir)
    reply = engine.handle(body, "application/xml")
    assert reply.result_code == "E00001"
    with pytest.raises(RuntimeError, match="stopped"):
        engine.settle_now()
    assert data_folder_bytes(data_dir) == before


def test_stop_releases_a_client_that_connected_and_said_nothing(sandbox: SandboxServer) -> None:
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=10) as silent:
        authenticate = (
            f'<authenticateTestRequest xmlns="{NAMESPACE}">{AUTH}</authenticateTestRequest>'
        )
        assert strict_parse(raw_post(sandbox, authenticate.encode()).content)  # it is serving
        sandbox.stop()
        # The server ends the connection itself: stop() did not leave it to the 30 s timeout.
        assert silent.recv(1) == b""


def test_a_client_that_says_nothing_is_dropped_after_the_request_timeout(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _Handler.timeout == REQUEST_TIMEOUT_S == 30  # the default; shortened for the test
    monkeypatch.setattr(_Handler, "timeout", 0.2)
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=10) as silent:
        assert silent.recv(1) == b""  # closed by the server, long before the 10 s here


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

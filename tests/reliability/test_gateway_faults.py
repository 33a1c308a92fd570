"""Faults between the adapter and the gateway: what was sent, what is known, nothing hangs.

The rule under test: a charge, refund or void whose request may have reached the
gateway is ``OutcomeUnknown`` (never "failed"), and the sandbox ledger shows whether it
really happened; anything provably not processed is ``GatewayUnavailable``. Every call
ends at the adapter's deadline however the server misbehaves (pytest-timeout turns a
hang into a failure).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from gateway_support import gateway_for
from http_support import serving

from w365desk.gateway import (
    BillingAddress,
    CardInput,
    ChargeRequest,
    CustomerProfileInput,
    GatewayUnavailable,
    OutcomeUnknown,
    RefundRequest,
)
from w365desk.gateway.authorizenet import AuthorizeNetGateway
from w365desk.sandbox.authorizenet import Fault, SandboxServer

TIMEOUT_S = 1.0
# How far past the deadline a call may end: thread wake-ups and socket shutdowns on a
# busy two-core machine. Well under the extra TIMEOUT_S a per-attempt deadline would add.
SLACK_S = 0.6
CHARGE = "createTransactionRequest"
GET_PROFILE = "getCustomerPaymentProfileRequest"

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def gateway(sandbox: SandboxServer) -> Iterator[AuthorizeNetGateway]:
    adapter = gateway_for(sandbox, timeout_s=TIMEOUT_S)
    yield adapter
    adapter.close()


@pytest.fixture
def profile(gateway: AuthorizeNetGateway) -> tuple[str, str]:
    customer = gateway.create_customer_profile(CustomerProfileInput(merchant_customer_id="F-1"))
    card = gateway.add_card(
        customer,
        CardInput("4111111111111111", 12, 2030),
        BillingAddress(first_name="Ada", last_name="Lovelace", zip="46201"),
    )
    return customer, card.payment_profile_id


def _charge(profile: tuple[str, str], ref: str, amount: str = "25.00") -> ChargeRequest:
    return ChargeRequest(
        profile[0], profile[1], Decimal(amount), invoice_number=f"INV-{ref}", ref_id=ref
    )


def _charges_with_ref(sandbox: SandboxServer, ref: str) -> list[object]:
    return [e for e in sandbox.ledger() if e.kind == "charge" and e.ref_id == ref]


def _timed(call: Callable[[], Any]) -> tuple[BaseException, float]:
    """The error ``call`` raised and how long it took to raise it."""
    started = time.monotonic()
    try:
        call()
    except Exception as error:
        return error, time.monotonic() - started
    raise AssertionError("the call was expected to fail")


@pytest.mark.parametrize("kind", ["hang", "reset"])
def test_charge_processed_but_unanswered_is_unknown_and_did_happen(
    gateway: AuthorizeNetGateway, sandbox: SandboxServer, profile: tuple[str, str], kind: str
) -> None:
    sandbox.set_fault(CHARGE, Fault(kind))  # type: ignore[arg-type]
    with pytest.raises(OutcomeUnknown) as caught:
        gateway.charge_profile(_charge(profile, f"ref-{kind}"))
    unknown = caught.value
    assert (unknown.operation, unknown.ref_id, unknown.invoice_number) == (
        "charge",
        f"ref-{kind}",
        f"INV-ref-{kind}",
    )
    assert (unknown.customer_profile_id, unknown.payment_profile_id) == profile
    assert "do not repeat" in str(unknown)
    # Named by what the gateway can be searched by: the invoice, not the refId.
    assert f"invoice INV-ref-{kind}" in str(unknown)
    # The ledger proves the charge went through even though the client never heard.
    [entry] = _charges_with_ref(sandbox, f"ref-{kind}")
    assert entry.amount == Decimal("25.00")  # type: ignore[attr-defined]
    assert entry.response_code == "1"  # type: ignore[attr-defined]
    sandbox.clear_faults()
    # Reconciliation can find it by the references the error carries.
    found = gateway.transactions_for_customer(*profile)
    assert [t.invoice_number for t in found] == [f"INV-ref-{kind}"]


def test_hang_ends_at_the_deadline_with_a_timeout_detail(
    gateway: AuthorizeNetGateway, sandbox: SandboxServer, profile: tuple[str, str]
) -> None:
    sandbox.set_fault(CHARGE, Fault("hang"))
    error, elapsed = _timed(lambda: gateway.charge_profile(_charge(profile, "ref-deadline")))
    assert isinstance(error, OutcomeUnknown)
    assert "no answer in time" in str(error)
    assert f"within {TIMEOUT_S:g} s" in error.detail
    assert TIMEOUT_S <= elapsed <= TIMEOUT_S + SLACK_S


@pytest.mark.parametrize(
    "kind", ["hang", "reset", "reset_before", "http_500", "http_503", "malformed_xml"]
)
def test_non_money_calls_are_unavailable_under_every_fault(
    gateway: AuthorizeNetGateway, sandbox: SandboxServer, profile: tuple[str, str], kind: str
) -> None:
    sandbox.set_fault(GET_PROFILE, Fault(kind))  # type: ignore[arg-type]
    with pytest.raises(GatewayUnavailable) as caught:
        gateway.get_payment_profile(*profile)
    assert caught.value.retryable
    sandbox.clear_faults()
    assert gateway.get_payment_profile(*profile).last4 == "1111"


@pytest.mark.parametrize("kind", ["http_500", "http_503", "malformed_xml", "reset_before"])
def test_charge_answer_unusable_is_unknown_even_if_it_was_not_processed(
    gateway: AuthorizeNetGateway, sandbox: SandboxServer, profile: tuple[str, str], kind: str
) -> None:
    # From the client's side none of these proves the charge was not processed (a proxy
    # may fail after forwarding; a reset may follow processing), so all are "unknown";
    # the ledger shows reconciliation will find nothing and the charge may be retried.
    ref = f"r-{kind}"[:16]
    sandbox.set_fault(CHARGE, Fault(kind))  # type: ignore[arg-type]
    with pytest.raises(OutcomeUnknown) as caught:
        gateway.charge_profile(_charge(profile, ref))
    assert caught.value.ref_id == ref
    assert _charges_with_ref(sandbox, ref) == []


def test_busy_charge_is_unavailable_not_unknown(
    gateway: AuthorizeNetGateway, sandbox: SandboxServer, profile: tuple[str, str]
) -> None:
    sandbox.set_fault(CHARGE, Fault("busy", times=1))
    with pytest.raises(GatewayUnavailable) as caught:
        gateway.charge_profile(_charge(profile, "ref-busy"))
    assert caught.value.code == "E00053"
    assert _charges_with_ref(sandbox, "ref-busy") == []
    # The fault was for one request only: the retry goes through, exactly once.
    assert gateway.charge_profile(_charge(profile, "ref-busy")).approved
    assert len(_charges_with_ref(sandbox, "ref-busy")) == 1


def test_fault_times_counts_requests(
    gateway: AuthorizeNetGateway, sandbox: SandboxServer, profile: tuple[str, str]
) -> None:
    sandbox.set_fault(GET_PROFILE, Fault("http_503", times=2))
    for _ in range(2):
        with pytest.raises(GatewayUnavailable):
            gateway.get_payment_profile(*profile)
    assert gateway.get_payment_profile(*profile).last4 == "1111"


def test_refund_and_void_faults_are_unknown_with_their_references(
    gateway: AuthorizeNetGateway, sandbox: SandboxServer, profile: tuple[str, str]
) -> None:
    paid = gateway.charge_profile(_charge(profile, "ref-paid"))
    sandbox.settle_now()  # refundable now
    to_void = gateway.charge_profile(_charge(profile, "ref-void", "26.00"))  # still voidable
    sandbox.set_fault(CHARGE, Fault("reset"))
    with pytest.raises(OutcomeUnknown) as caught:
        gateway.refund(
            RefundRequest(
                paid.transaction_id,
                Decimal("5.00"),
                "1111",
                invoice_number="INV-refund",
                ref_id="ref-refund",
            )
        )
    assert caught.value.operation == "refund"
    assert caught.value.reference_transaction_id == paid.transaction_id
    assert "invoice INV-refund" in str(caught.value)
    [refunded] = [e for e in sandbox.ledger() if e.ref_id == "ref-refund"]
    assert (refunded.kind, refunded.amount, refunded.response_code) == (
        "refund",
        Decimal("5.00"),
        "1",
    )
    with pytest.raises(OutcomeUnknown) as caught:
        gateway.void(to_void.transaction_id, ref_id="ref-void2")
    assert caught.value.operation == "void"
    assert caught.value.reference_transaction_id == to_void.transaction_id
    assert f"original transaction {to_void.transaction_id}" in str(caught.value)
    # The reset came after processing: the ledger shows the void really happened, so
    # reconciliation will find the charge voided rather than retry it.
    [voided] = [e for e in sandbox.ledger() if e.ref_id == "ref-void2"]
    assert (voided.kind, voided.response_code) == ("void", "1")
    sandbox.clear_faults()
    assert gateway.transaction_details(to_void.transaction_id).status == "voided"


def test_latency_within_the_deadline_is_just_slow(
    gateway: AuthorizeNetGateway, sandbox: SandboxServer, profile: tuple[str, str]
) -> None:
    sandbox.set_fault(CHARGE, Fault("latency", latency_ms=300))
    assert gateway.charge_profile(_charge(profile, "ref-slow")).approved
    sandbox.set_latency(200)
    assert gateway.get_payment_profile(*profile).last4 == "1111"


def test_latency_beyond_the_deadline_ends_the_call(
    gateway: AuthorizeNetGateway, sandbox: SandboxServer, profile: tuple[str, str]
) -> None:
    sandbox.set_fault(GET_PROFILE, Fault("latency", latency_ms=5_000, times=1))
    error, elapsed = _timed(lambda: gateway.get_payment_profile(*profile))
    assert isinstance(error, GatewayUnavailable)
    assert f"within {TIMEOUT_S:g} s" in error.detail
    assert elapsed <= TIMEOUT_S + SLACK_S
    sandbox.set_fault(CHARGE, Fault("latency", latency_ms=5_000, times=1))
    with pytest.raises(OutcomeUnknown):
        gateway.charge_profile(_charge(profile, "ref-late"))


def test_connection_refused_is_provably_not_sent(tmp_path: Path) -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    # Nothing listens on that port now.
    gateway = AuthorizeNetGateway(
        "login", "key", f"http://127.0.0.1:{port}/xml/v1/request.api", timeout_s=TIMEOUT_S
    )
    with pytest.raises(GatewayUnavailable) as caught:
        gateway.charge_profile(
            ChargeRequest("1", "2", Decimal("1.00"), invoice_number="INV-N", ref_id="never")
        )
    assert "nothing was sent" in str(caught.value)


class _TricklingServer:
    """Accepts, reads the request, then sends a valid-looking answer one byte at a time
    forever: each byte arrives well inside a socket timeout, the whole never does."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self.requests = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> _TricklingServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._listener.close()
        self._thread.join(timeout=5)

    def _serve(self) -> None:
        try:
            connection, _ = self._listener.accept()
        except OSError:
            return
        with connection:
            connection.recv(65536)
            self.requests += 1
            head = (
                b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\n"
                b"Content-Length: 100000\r\n\r\n"
            )
            try:
                connection.sendall(head)
                while not self._stop.wait(0.05):
                    connection.sendall(b" ")
            except OSError:
                return  # the client hung up: exactly what should happen


@pytest.mark.parametrize("money", [False, True])
def test_a_trickling_server_cannot_stretch_the_deadline(money: bool) -> None:
    with _TricklingServer() as trickler:
        gateway = AuthorizeNetGateway(
            "login",
            "key",
            f"http://127.0.0.1:{trickler.port}/xml/v1/request.api",
            timeout_s=TIMEOUT_S,
        )
        if money:
            error, elapsed = _timed(
                lambda: gateway.charge_profile(
                    ChargeRequest("1", "2", Decimal("1.00"), invoice_number="INV-T", ref_id="trk")
                )
            )
            assert isinstance(error, OutcomeUnknown)
        else:
            error, elapsed = _timed(gateway.test_credentials)
            assert isinstance(error, GatewayUnavailable)
        assert f"within {TIMEOUT_S:g} s" in error.detail  # type: ignore[attr-defined]
        assert TIMEOUT_S <= elapsed <= TIMEOUT_S + SLACK_S
        assert trickler.requests == 1


# -- the deadline covers name resolution and every address tried ----------------------------

_AUTHENTICATED = (
    b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?><authenticateTestResponse '
    b'xmlns="AnetApi/xml/v1/schema/AnetApiSchema.xsd"><messages><resultCode>Ok</resultCode>'
    b"<message><code>I00001</code><text>Successful.</text></message></messages>"
    b"</authenticateTestResponse>"
)


class _SilentListener:
    """A loopback listener whose accept queue is full and never drained.

    With a backlog of 0 the kernel queues one connection; once that slot is taken it
    drops every further SYN, so a connect to this address hangs like one to a host
    that does not answer, without a packet leaving the machine.
    """

    def __init__(self) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(0)
        self.address = self._listener.getsockname()
        self._filler = socket.create_connection(self.address, timeout=5)

    def close(self) -> None:
        self._filler.close()
        self._listener.close()


class _AnsweringServer:
    """A real loopback HTTP server that answers every POST with a successful
    authenticateTestResponse."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(200)
                self.send_header("Content-Type", "application/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(_AUTHENTICATED)))
                self.end_headers()
                self.wfile.write(_AUTHENTICATED)

            def log_message(self, *_: object) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = self._http.server_address
        self._serving = serving(self._http)
        self._serving.__enter__()

    def close(self) -> None:
        self._serving.__exit__(None, None, None)


_real_getaddrinfo = socket.getaddrinfo


def _resolving(monkeypatch: pytest.MonkeyPatch, names: dict[str, Any]) -> None:
    """Make ``names`` resolve as given (a list of loopback addresses, or a callable that
    blocks); every other lookup, and every numeric one, goes to the real resolver."""

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        numeric_only = len(args) >= 4 and args[3] & socket.AI_NUMERICHOST
        if host not in names or numeric_only:
            return _real_getaddrinfo(host, port, *args, **kwargs)
        answer = names[host]
        if callable(answer):
            return answer()
        return [
            (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", address)
            for address in answer
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def silent() -> Iterator[list[_SilentListener]]:
    listeners = [_SilentListener() for _ in range(3)]
    yield listeners
    for listener in listeners:
        listener.close()


def _gateway_at(host: str) -> AuthorizeNetGateway:
    return AuthorizeNetGateway(
        "login", "key", f"http://{host}/xml/v1/request.api", timeout_s=TIMEOUT_S
    )


def test_a_silent_listener_really_does_not_answer(silent: list[_SilentListener]) -> None:
    """Control experiment: without it the tests below could pass for the wrong reason."""
    with pytest.raises(TimeoutError), socket.socket() as probe:
        probe.settimeout(0.3)
        probe.connect(silent[0].address)


@pytest.mark.parametrize("money", [False, True])
def test_several_silent_addresses_share_one_deadline(
    monkeypatch: pytest.MonkeyPatch, silent: list[_SilentListener], money: bool
) -> None:
    # One connect timeout per address would take three deadlines; the call gets one.
    _resolving(monkeypatch, {"silent.gateway.test": [s.address for s in silent]})
    gateway = _gateway_at("silent.gateway.test")

    def charge() -> Any:
        return gateway.charge_profile(
            ChargeRequest("1", "2", Decimal("1.00"), invoice_number="INV-S")
        )

    error, elapsed = _timed(charge if money else gateway.test_credentials)
    # Never connected, so provably never sent: not "unknown", even for a charge.
    assert type(error) is GatewayUnavailable
    assert "nothing was sent" in str(error)
    assert elapsed <= TIMEOUT_S + SLACK_S


def test_a_working_address_behind_silent_ones_is_still_reached(
    monkeypatch: pytest.MonkeyPatch, silent: list[_SilentListener]
) -> None:
    answering = _AnsweringServer()
    try:
        _resolving(
            monkeypatch,
            {"mixed.gateway.test": [silent[0].address, silent[1].address, answering.address]},
        )
        gateway = AuthorizeNetGateway(
            "login", "key", "http://mixed.gateway.test/xml/v1/request.api", timeout_s=3.0
        )
        started = time.monotonic()
        gateway.test_credentials()
        # Each silent address got a share of the budget, not all of it.
        assert time.monotonic() - started <= 3.0
    finally:
        answering.close()


def test_name_resolution_that_hangs_ends_at_the_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release = threading.Event()

    def hang() -> Any:
        release.wait(30)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    _resolving(monkeypatch, {"hung-dns.gateway.test": hang})
    gateway = _gateway_at("hung-dns.gateway.test")
    try:
        error, elapsed = _timed(
            lambda: gateway.charge_profile(
                ChargeRequest("1", "2", Decimal("1.00"), invoice_number="INV-D")
            )
        )
        assert type(error) is GatewayUnavailable
        assert "nothing was sent" in str(error)
        assert "resolving hung-dns.gateway.test" in error.detail  # type: ignore[attr-defined]
        assert elapsed <= TIMEOUT_S + SLACK_S
    finally:
        release.set()


def test_an_unknown_name_is_not_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_such_name() -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    _resolving(monkeypatch, {"nowhere.gateway.test": no_such_name})
    with pytest.raises(GatewayUnavailable) as caught:
        _gateway_at("nowhere.gateway.test").test_credentials()
    assert "nothing was sent" in str(caught.value)

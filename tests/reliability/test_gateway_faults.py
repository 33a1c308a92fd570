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
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from w365desk.gateway import (
    BillingAddress,
    CardInput,
    ChargeRequest,
    CustomerProfileInput,
    GatewayUnavailable,
    OutcomeUnknown,
    RefundRequest,
)
from w365desk.gateway.authorizenet import AuthorizeNetGateway, sandbox_gateway
from w365desk.gateway.sandbox import Fault, SandboxServer

TIMEOUT_S = 1.0
CHARGE = "createTransactionRequest"
GET_PROFILE = "getCustomerPaymentProfileRequest"

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SandboxServer]:
    with SandboxServer(tmp_path / "sandbox") as running:
        yield running


@pytest.fixture
def gateway(server: SandboxServer) -> Iterator[AuthorizeNetGateway]:
    adapter = sandbox_gateway(server, timeout_s=TIMEOUT_S)
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


def _charges_with_ref(server: SandboxServer, ref: str) -> list[object]:
    return [e for e in server.ledger() if e.kind == "charge" and e.ref_id == ref]


@pytest.mark.parametrize("kind", ["hang", "reset"])
def test_charge_processed_but_unanswered_is_unknown_and_did_happen(
    gateway: AuthorizeNetGateway, server: SandboxServer, profile: tuple[str, str], kind: str
) -> None:
    server.set_fault(CHARGE, Fault(kind))  # type: ignore[arg-type]
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
    assert f"ref-{kind}" in str(unknown)
    # The ledger proves the charge went through even though the client never heard.
    [entry] = _charges_with_ref(server, f"ref-{kind}")
    assert entry.amount == Decimal("25.00")  # type: ignore[attr-defined]
    assert entry.response_code == "1"  # type: ignore[attr-defined]
    server.clear_faults()
    # Reconciliation can find it by the references the error carries.
    found = gateway.transactions_for_customer(*profile)
    assert [t.invoice_number for t in found] == [f"INV-ref-{kind}"]


def test_hang_ends_at_the_deadline_with_a_timeout_detail(
    gateway: AuthorizeNetGateway, server: SandboxServer, profile: tuple[str, str]
) -> None:
    server.set_fault(CHARGE, Fault("hang"))
    with pytest.raises(OutcomeUnknown) as caught:
        gateway.charge_profile(_charge(profile, "ref-deadline"))
    assert "no answer in time" in str(caught.value)
    assert f"within {TIMEOUT_S:g} s" in caught.value.detail


@pytest.mark.parametrize(
    "kind", ["hang", "reset", "reset_before", "http_500", "http_503", "malformed_xml"]
)
def test_non_money_calls_are_unavailable_under_every_fault(
    gateway: AuthorizeNetGateway, server: SandboxServer, profile: tuple[str, str], kind: str
) -> None:
    server.set_fault(GET_PROFILE, Fault(kind))  # type: ignore[arg-type]
    with pytest.raises(GatewayUnavailable) as caught:
        gateway.get_payment_profile(*profile)
    assert caught.value.retryable
    server.clear_faults()
    assert gateway.get_payment_profile(*profile).last4 == "1111"


@pytest.mark.parametrize("kind", ["http_500", "http_503", "malformed_xml", "reset_before"])
def test_charge_answer_unusable_is_unknown_even_if_it_was_not_processed(
    gateway: AuthorizeNetGateway, server: SandboxServer, profile: tuple[str, str], kind: str
) -> None:
    # From the client's side none of these proves the charge was not processed (a proxy
    # may fail after forwarding; a reset may follow processing), so all are "unknown";
    # the ledger shows reconciliation will find nothing and the charge may be retried.
    ref = f"r-{kind}"[:16]
    server.set_fault(CHARGE, Fault(kind))  # type: ignore[arg-type]
    with pytest.raises(OutcomeUnknown) as caught:
        gateway.charge_profile(_charge(profile, ref))
    assert caught.value.ref_id == ref
    assert _charges_with_ref(server, ref) == []


def test_busy_charge_is_unavailable_not_unknown(
    gateway: AuthorizeNetGateway, server: SandboxServer, profile: tuple[str, str]
) -> None:
    server.set_fault(CHARGE, Fault("busy", times=1))
    with pytest.raises(GatewayUnavailable) as caught:
        gateway.charge_profile(_charge(profile, "ref-busy"))
    assert caught.value.code == "E00053"
    assert _charges_with_ref(server, "ref-busy") == []
    # The fault was for one request only: the retry goes through, exactly once.
    assert gateway.charge_profile(_charge(profile, "ref-busy")).approved
    assert len(_charges_with_ref(server, "ref-busy")) == 1


def test_fault_times_counts_requests(
    gateway: AuthorizeNetGateway, server: SandboxServer, profile: tuple[str, str]
) -> None:
    server.set_fault(GET_PROFILE, Fault("http_503", times=2))
    for _ in range(2):
        with pytest.raises(GatewayUnavailable):
            gateway.get_payment_profile(*profile)
    assert gateway.get_payment_profile(*profile).last4 == "1111"


def test_refund_and_void_faults_are_unknown_with_their_references(
    gateway: AuthorizeNetGateway, server: SandboxServer, profile: tuple[str, str]
) -> None:
    paid = gateway.charge_profile(_charge(profile, "ref-paid"))
    to_void = gateway.charge_profile(_charge(profile, "ref-void", "26.00"))
    server.settle_now()
    server.set_fault(CHARGE, Fault("reset"))
    with pytest.raises(OutcomeUnknown) as caught:
        gateway.refund(
            RefundRequest(paid.transaction_id, Decimal("5.00"), "1111", ref_id="ref-refund")
        )
    assert caught.value.operation == "refund"
    assert caught.value.reference_transaction_id == paid.transaction_id
    assert [e.kind for e in server.ledger() if e.ref_id == "ref-refund"] == ["refund"]
    with pytest.raises(OutcomeUnknown) as caught:
        gateway.void(to_void.transaction_id, ref_id="ref-void2")
    assert caught.value.operation == "void"
    assert caught.value.reference_transaction_id == to_void.transaction_id


def test_latency_within_the_deadline_is_just_slow(
    gateway: AuthorizeNetGateway, server: SandboxServer, profile: tuple[str, str]
) -> None:
    server.set_fault(CHARGE, Fault("latency", latency_ms=300))
    assert gateway.charge_profile(_charge(profile, "ref-slow")).approved
    server.set_latency(200)
    assert gateway.get_payment_profile(*profile).last4 == "1111"


def test_latency_beyond_the_deadline_ends_the_call(
    gateway: AuthorizeNetGateway, server: SandboxServer, profile: tuple[str, str]
) -> None:
    server.set_fault(GET_PROFILE, Fault("latency", latency_ms=5_000, times=1))
    with pytest.raises(GatewayUnavailable) as caught:
        gateway.get_payment_profile(*profile)
    assert f"within {TIMEOUT_S:g} s" in caught.value.detail
    server.set_fault(CHARGE, Fault("latency", latency_ms=5_000, times=1))
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
        gateway.charge_profile(ChargeRequest("1", "2", Decimal("1.00"), ref_id="never"))
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
            with pytest.raises(OutcomeUnknown) as unknown:
                gateway.charge_profile(ChargeRequest("1", "2", Decimal("1.00"), ref_id="trk"))
            assert f"within {TIMEOUT_S:g} s" in unknown.value.detail
        else:
            with pytest.raises(GatewayUnavailable) as unavailable:
                gateway.test_credentials()
            assert f"within {TIMEOUT_S:g} s" in unavailable.value.detail
        assert trickler.requests == 1

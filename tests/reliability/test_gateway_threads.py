"""One adapter shared by many threads: every answer belongs to its own request.

The SDK keeps the endpoint and credentials in class-level state that every controller
constructor resets; an adapter that relied on it would send some calls to the wrong
place when threads interleave. These tests make the interleaving happen (latency keeps
many requests in flight at once) and check every result against the sandbox ledger.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from gateway_support import gateway_for

from w365desk.gateway import (
    BillingAddress,
    CardInput,
    ChargeRequest,
    ChargeResult,
    CustomerProfileInput,
    MaskedPaymentProfile,
)
from w365desk.gateway.authorizenet import AuthorizeNetGateway
from w365desk.sandbox.authorizenet import SandboxServer

THREADS = 16
CARDS = ["4111111111111111", "5424000000000015", "370000000000002", "6011000000000012"]

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def server(start_sandbox: Callable[..., SandboxServer]) -> SandboxServer:
    """A sandbox that answers after 30 ms, so parallel calls really overlap."""
    return start_sandbox(latency_ms=30)


def _customer_journey(
    gateway: AuthorizeNetGateway, n: int, start: threading.Barrier
) -> tuple[str, MaskedPaymentProfile, ChargeResult, MaskedPaymentProfile]:
    start.wait()
    customer = gateway.create_customer_profile(
        CustomerProfileInput(merchant_customer_id=f"T-{n:03d}", email=f"t{n}@example.com")
    )
    number = CARDS[n % len(CARDS)]
    added = gateway.add_card(
        customer,
        CardInput(number, 1 + n % 12, 2030 + n % 5),
        BillingAddress(first_name=f"Thread{n}", last_name="Tester", zip="46201"),
    )
    result = gateway.charge_profile(
        ChargeRequest(
            customer,
            added.payment_profile_id,
            Decimal(f"{100 + n}.{n:02d}"),
            invoice_number=f"INV-T{n:03d}",
            ref_id=f"ref-t{n:03d}",
        )
    )
    fetched = gateway.get_payment_profile(customer, added.payment_profile_id)
    return customer, added, result, fetched


def test_sixteen_threads_through_one_adapter(server: SandboxServer) -> None:
    gateway = gateway_for(server, timeout_s=30.0)
    start = threading.Barrier(THREADS)
    with ThreadPoolExecutor(THREADS) as pool:
        futures = [pool.submit(_customer_journey, gateway, n, start) for n in range(THREADS)]
        outcomes = [future.result() for future in futures]
    gateway.close()

    ledger = {entry.transaction_id: entry for entry in server.ledger()}
    assert len(ledger) == THREADS
    customers = set()
    for n, (customer, added, result, fetched) in enumerate(outcomes):
        customers.add(customer)
        number = CARDS[n % len(CARDS)]
        assert added.customer_profile_id == customer
        assert (fetched.customer_profile_id, fetched.payment_profile_id) == (
            customer,
            added.payment_profile_id,
        )
        assert fetched.last4 == number[-4:]
        assert (fetched.exp_month, fetched.exp_year) == (1 + n % 12, 2030 + n % 5)
        assert fetched.billing_address is not None
        assert fetched.billing_address.first_name == f"Thread{n}"
        assert result.approved
        assert result.account_number_masked == f"XXXX{number[-4:]}"
        # The amount is checked where the money is: the gateway's own ledger.
        entry = ledger[result.transaction_id]
        assert entry.amount == Decimal(f"{100 + n}.{n:02d}")
        assert (entry.ref_id, entry.invoice_number) == (f"ref-t{n:03d}", f"INV-T{n:03d}")
        assert (entry.customer_profile_id, entry.payment_profile_id) == (
            customer,
            added.payment_profile_id,
        )
    assert len(customers) == THREADS


def test_two_adapters_on_two_gateways_never_cross(
    start_sandbox: Callable[..., SandboxServer],
) -> None:
    """The SDK's class-wide endpoint would send some of A's calls to B; ours cannot."""
    server_a = start_sandbox(latency_ms=20)
    server_b = start_sandbox(latency_ms=20)
    adapters = {
        "a": gateway_for(server_a, timeout_s=30.0),
        "b": gateway_for(server_b, timeout_s=30.0),
    }
    start = threading.Barrier(THREADS)

    def work(n: int) -> tuple[str, ChargeResult]:
        side = "ab"[n % 2]
        return side, _customer_journey(adapters[side], n, start)[2]

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(work, range(THREADS)))
    for adapter in adapters.values():
        adapter.close()
    ledgers = {"a": server_a.ledger(), "b": server_b.ledger()}
    for side, result in results:
        assert result.approved
        assert result.ref_id in {e.ref_id for e in ledgers[side]}
    for offset, side in enumerate("ab"):
        expected = {f"ref-t{n:03d}" for n in range(offset, THREADS, 2)}
        assert {e.ref_id for e in ledgers[side]} == expected

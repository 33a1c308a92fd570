"""Throughput of the Authorize.Net adapter against the offline sandbox.

Prints operations per second through the adapter (``get_payment_profile``, one worker,
no added latency) and how much faster 8 parallel workers are than 1 when every
request takes 100 ms at the gateway: the adapter must not serialise calls. Each figure
is the median of several rounds. Run from the repository root:

    .venv/bin/python bench/gateway.py

Last line: ``RESULT ops_per_s=<n> speedup_8x=<x>``.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

from w365desk.gateway import (
    BillingAddress,
    CardInput,
    ChargeRequest,
    CustomerProfileInput,
)
from w365desk.gateway.authorizenet import AuthorizeNetGateway
from w365desk.sandbox.authorizenet import SandboxServer
from w365desk.sandbox.authorizenet.cards import TEST_CARDS

# The sandbox's first Visa test card: test data lives in one place only.
BENCH_CARD = next(number for number, brand in TEST_CARDS.items() if brand == "Visa")

ROUNDS = 3
FAST_CALLS = 300
SLOW_CALLS_PER_WORKER = 30
LATENCY_MS = 100
WORKERS = 8


def _rate(calls: int, workers: int, operation: Callable[[], object]) -> float:
    """Operations per second for ``calls`` operations spread over ``workers`` threads."""
    per_worker = calls // workers

    def run() -> None:
        for _ in range(per_worker):
            operation()

    started = time.perf_counter()
    if workers == 1:
        run()
    else:
        with ThreadPoolExecutor(workers) as pool:
            for future in [pool.submit(run) for _ in range(workers)]:
                future.result()
    return per_worker * workers / (time.perf_counter() - started)


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        server = SandboxServer(Path(scratch) / "sandbox")
        server.start()
        gateway = AuthorizeNetGateway(
            server.api_login_id, server.transaction_key, server.api_url, timeout_s=30.0
        )
        try:
            customer = gateway.create_customer_profile(
                CustomerProfileInput(merchant_customer_id="BENCH-1")
            )
            card = gateway.add_card(
                customer,
                CardInput(BENCH_CARD, 12, 2030),
                BillingAddress(first_name="Bench", last_name="Mark", zip="46201"),
            )

            def read() -> object:
                return gateway.get_payment_profile(customer, card.payment_profile_id)

            amounts = iter(Decimal(n) / 100 + 1 for n in range(1, 10**6))

            invoices = (f"BENCH-{n}" for n in range(1, 10**6))

            def charge() -> object:
                return gateway.charge_profile(
                    ChargeRequest(
                        customer,
                        card.payment_profile_id,
                        next(amounts),
                        invoice_number=next(invoices),
                        duplicate_window_s=0,
                    )
                )

            for _ in range(20):
                read()

            fast = [_rate(FAST_CALLS, 1, read) for _ in range(ROUNDS)]
            charges = [_rate(FAST_CALLS // 3, 1, charge) for _ in range(ROUNDS)]
            rounds = ", ".join(f"{r:.1f}" for r in fast)
            print(
                "get_payment_profile, 1 worker, 0 ms latency: "
                f"median {statistics.median(fast):.1f} ops/s (rounds: {rounds})"
            )
            print(
                "charge_profile,      1 worker, 0 ms latency: "
                f"median {statistics.median(charges):.1f} ops/s"
            )

            server.set_latency(LATENCY_MS)
            ratios = []
            for _ in range(ROUNDS):
                one = _rate(SLOW_CALLS_PER_WORKER, 1, read)
                many = _rate(SLOW_CALLS_PER_WORKER * WORKERS, WORKERS, read)
                ratios.append(many / one)
                print(
                    f"  {LATENCY_MS} ms latency: 1 worker {one:.2f} ops/s, "
                    f"{WORKERS} workers {many:.2f} ops/s, ratio {many / one:.2f}"
                )
            speedup = statistics.median(ratios)
            print(
                f"{WORKERS} workers vs 1 at {LATENCY_MS} ms latency: "
                f"median speed-up {speedup:.2f}x (target >= 6)"
            )
        finally:
            gateway.close()
            server.stop()
    print(f"RESULT ops_per_s={statistics.median(fast):.1f} speedup_8x={speedup:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

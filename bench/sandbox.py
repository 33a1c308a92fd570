"""Charge throughput of the offline sandbox as its history grows.

The sandbox keeps its state as a snapshot plus an append-only journal, so the cost
of a charge must not grow with the number of charges already made. One client posts
raw ``createTransactionRequest`` XML (card charges with distinct invoice numbers, no
added latency) and the script prints charges per second for each block of charges,
their median, and the last block's rate over the first's (1.00 = no slowdown). Run
from the repository root:

    .venv/bin/python bench/sandbox.py [--blocks N] [--block-size N]

Last line: ``RESULT charges_per_s=<median> last_over_first=<ratio>``.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import tempfile
import time
from pathlib import Path

from w365desk.sandbox.authorizenet import (
    DEFAULT_API_LOGIN_ID,
    DEFAULT_TRANSACTION_KEY,
    SandboxServer,
)
from w365desk.sandbox.authorizenet.cards import TEST_CARDS

CARD = next(number for number, brand in TEST_CARDS.items() if brand == "Visa")
BODY = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<createTransactionRequest xmlns="AnetApi/xml/v1/schema/AnetApiSchema.xsd">'
    f"<merchantAuthentication><name>{DEFAULT_API_LOGIN_ID}</name>"
    f"<transactionKey>{DEFAULT_TRANSACTION_KEY}</transactionKey></merchantAuthentication>"
    "<transactionRequest><transactionType>authCaptureTransaction</transactionType>"
    "<amount>{amount}</amount><payment><creditCard>"
    f"<cardNumber>{CARD}</cardNumber><expirationDate>2031-12</expirationDate>"
    "</creditCard></payment><order><invoiceNumber>B-{n}</invoiceNumber></order>"
    "<billTo><firstName>Bench</firstName><lastName>Mark</lastName><zip>46201</zip></billTo>"
    "</transactionRequest></createTransactionRequest>"
)


def _charge(port: int, n: int) -> None:
    body = BODY.format(amount=f"{1 + n / 100:.2f}", n=n).encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", "/xml/v1/request.api", body, {"Content-Type": "text/xml"})
        answer = connection.getresponse().read()
    finally:
        connection.close()
    if b"<responseCode>1</responseCode>" not in answer:
        raise RuntimeError(f"charge {n} was not approved: {answer[:300]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--blocks", type=int, default=6)
    parser.add_argument("--block-size", type=int, default=250)
    args = parser.parse_args()
    rates: list[float] = []
    with tempfile.TemporaryDirectory() as scratch, SandboxServer(Path(scratch) / "sb") as server:
        made = 0
        for _block in range(args.blocks):
            started = time.perf_counter()
            for _ in range(args.block_size):
                made += 1
                _charge(server.port, made)
            rate = args.block_size / (time.perf_counter() - started)
            rates.append(rate)
            print(f"charges {made - args.block_size + 1:5d}-{made:5d}: {rate:7.1f}/s")
    median = statistics.median(rates)
    ratio = rates[-1] / rates[0]
    print(f"median {median:.1f} charges/s; last block / first block {ratio:.2f}")
    print(f"RESULT charges_per_s={median:.1f} last_over_first={ratio:.2f}")


if __name__ == "__main__":
    main()

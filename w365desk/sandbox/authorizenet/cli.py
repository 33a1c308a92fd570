"""``w365desk sandbox``: run the offline Authorize.Net sandbox alone until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from w365desk.sandbox.authorizenet.credentials import (
    DEFAULT_API_LOGIN_ID,
    DEFAULT_CLIENT_KEY,
    DEFAULT_TRANSACTION_KEY,
    MAX_TRANSACTION_KEY_LENGTH,
)
from w365desk.sandbox.authorizenet.dirlock import DataDirInUse
from w365desk.sandbox.authorizenet.faults import FAULT_KINDS, Fault
from w365desk.sandbox.authorizenet.server import SandboxServer
from w365desk.sandbox.authorizenet.state import StateFileError


def _fault(text: str) -> tuple[str, Fault]:
    """``TYPE=KIND`` or ``TYPE=latency:MS``; TYPE may be "*" for every request type."""
    request_type, separator, kind = text.partition("=")
    if not separator or not request_type or not kind:
        raise argparse.ArgumentTypeError(f"expected TYPE=KIND, got {text!r}")
    latency_ms = 0
    if kind.startswith("latency:"):
        kind, _, milliseconds = kind.partition(":")
        if not milliseconds.isdigit():
            raise argparse.ArgumentTypeError(f"expected latency:MILLISECONDS, got {text!r}")
        latency_ms = int(milliseconds)
    if kind not in FAULT_KINDS:
        raise argparse.ArgumentTypeError(
            f"unknown fault kind {kind!r}; use one of {', '.join(FAULT_KINDS)}"
        )
    return request_type, Fault(kind=kind, latency_ms=latency_ms)  # type: ignore[arg-type]


def _non_negative_int(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number of 0 or more, got {text!r}")
    return int(text)


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("the settlement delay cannot be negative")
    return value


def _port(text: str) -> int:
    value = _non_negative_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError("a port is 0 to 65535")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="w365desk sandbox",
        description="Run the offline Authorize.Net-compatible sandbox on this computer only.",
    )
    parser.add_argument("--port", type=_port, default=0, help="TCP port (default: any free port)")
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="folder for the sandbox state (default: <the app data folder>/sandbox)",
    )
    parser.add_argument(
        "--latency-ms", type=_non_negative_int, default=0, help="delay added to every answer"
    )
    parser.add_argument(
        "--settlement-delay-s",
        type=_non_negative_float,
        default=600.0,
        help="seconds before a transaction settles (default 600)",
    )
    parser.add_argument("--api-login-id", default=DEFAULT_API_LOGIN_ID)
    parser.add_argument(
        "--transaction-key",
        default=DEFAULT_TRANSACTION_KEY,
        help=f"at most {MAX_TRANSACTION_KEY_LENGTH} characters",
    )
    parser.add_argument("--client-key", default=DEFAULT_CLIENT_KEY)
    parser.add_argument(
        "--fault",
        type=_fault,
        action="append",
        default=[],
        metavar="TYPE=KIND",
        help=f"inject a fault (repeatable); KIND is one of {', '.join(FAULT_KINDS)}, "
        "or latency:MS; TYPE is a request type such as createTransactionRequest, or *",
    )
    return parser


def run_sandbox_cli(argv: list[str] | None, default_data_dir: Callable[[], Path]) -> int:
    """Run the sandbox until Ctrl-C or SIGTERM. ``default_data_dir`` is asked only when
    ``--data`` is not given (the host program knows where its data lives)."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    data = args.data if args.data is not None else default_data_dir()
    try:
        server = SandboxServer(
            data,
            port=args.port,
            api_login_id=args.api_login_id,
            transaction_key=args.transaction_key,
            client_key=args.client_key,
            latency_ms=args.latency_ms,
            settlement_delay_s=args.settlement_delay_s,
            faults=dict(args.fault),
        )
        server.start()
    except (ValueError, OSError, StateFileError, DataDirInUse) as error:
        print(f"w365desk sandbox: {error}", file=sys.stderr)
        return 2
    finished = threading.Event()

    def _request_stop(_signum: int, _frame: FrameType | None) -> None:
        finished.set()

    previous = signal.signal(signal.SIGTERM, _request_stop)
    print(f"Sandbox API endpoint:  {server.api_url}")
    print(f"Accept.js script URL:  {server.accept_js_url}")
    print(f"API login id:          {server.credentials.api_login_id}")
    print(f"Transaction key:       {server.credentials.transaction_key}")
    print(f"Public client key:     {server.credentials.client_key}")
    print(f"State folder:          {data}")
    print("Press Ctrl-C to stop.", flush=True)
    try:
        while not finished.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.stop()
    print("Sandbox stopped.")
    return 0

"""The sandbox's HTTP face: the API endpoint, Accept.js, the control endpoints, and faults.

``http.server``'s threaded server is used on purpose: this is a local test double and
it needs raw-socket control to reset connections. Each request runs in its own thread;
processing takes the engine's lock, but latency is slept outside it, so concurrent
clients overlap their waits.

Web pages: the default keys are public, so any page a member of staff opens could
otherwise post to this server. Browsers mark such requests with ``Origin``; the API
answers them only for Accept's JSON tokenizing call (the one a payment page needs,
and the only reply carrying CORS headers), and the control endpoints refuse them
outright and take only ``application/json`` bodies, which no page can send without
a preflight the sandbox never grants.

Stopping waits (boundedly) for requests in flight, and the engine refuses work once
closed, so nothing writes the data folder after its lock is released.
"""

from __future__ import annotations

import contextlib
import json
import logging
import select
import socket
import struct
import threading
from collections.abc import Mapping
from datetime import timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from w365desk.sandbox.authorizenet import control
from w365desk.sandbox.authorizenet.accept import (
    JSON_CONTENT_TYPE,
    SCRIPT_CONTENT_TYPE,
    accept_script,
)
from w365desk.sandbox.authorizenet.api import (
    SECURE_PAYMENT_CONTAINER,
    IncomingRequest,
    Reply,
    RequestInfo,
    SandboxApi,
    error_reply,
    read_request,
    response_name_for,
)
from w365desk.sandbox.authorizenet.clock import Now, utc_now
from w365desk.sandbox.authorizenet.credentials import (
    DEFAULT_API_LOGIN_ID,
    DEFAULT_CLIENT_KEY,
    DEFAULT_TRANSACTION_KEY,
    Credentials,
)
from w365desk.sandbox.authorizenet.dirlock import DataDirLock
from w365desk.sandbox.authorizenet.errors import ApiError
from w365desk.sandbox.authorizenet.faults import Fault, FaultBook
from w365desk.sandbox.authorizenet.records import LedgerEntry
from w365desk.sandbox.authorizenet.state import StateStore
from w365desk.sandbox.authorizenet.xmlio import BOM, MAX_REQUEST_BYTES, NAMESPACE, XML_CONTENT_TYPE

log = logging.getLogger("w365desk.sandbox.authorizenet")

API_PATH = "/xml/v1/request.api"
PLAIN_CONTENT_TYPE = "text/plain; charset=utf-8"
ACCEPT_JS_PATH = "/v1/Accept.js"
HANG_POLL_S = 0.05
# A client that connects and then sends nothing (or stalls mid-request) gives up its
# thread after this long.
REQUEST_TIMEOUT_S = 30.0
# How long stop() waits for requests in flight before closing the engine regardless.
STOP_GRACE_S = 10.0


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # The stdlib default backlog of 5 resets connections when a batch of clients
    # connects at once (16 threads in the reliability tests, parallel batch charges).
    request_queue_size = 128
    sandbox: SandboxServer

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        # Connections whose handler has not finished, so stop() can wait for them.
        self._in_flight = threading.Condition()
        self._connections: set[socket.socket] = set()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._in_flight:
            self._connections.add(request)
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._finished(request)
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._finished(request)

    def _finished(self, request: socket.socket) -> None:
        with self._in_flight:
            self._connections.discard(request)
            self._in_flight.notify_all()

    def end_reading(self) -> None:
        """Requests still being read see the end of their input at once (answers still go out)."""
        with self._in_flight:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by its handler
                connection.shutdown(socket.SHUT_RD)

    def wait_for_requests(self, timeout_s: float) -> bool:
        """True once no request is in flight; False if some still are after ``timeout_s``."""
        with self._in_flight:
            return self._in_flight.wait_for(lambda: not self._connections, timeout_s)

    def service_actions(self) -> None:
        # Runs between polls of the serving loop: expired nonces lose their card data
        # even while nobody calls.
        self.sandbox.api.nonces.purge()


class _Handler(BaseHTTPRequestHandler):
    server: _HttpServer
    protocol_version = "HTTP/1.0"  # one request per connection: nothing idles at shutdown
    server_version = "w365desk-sandbox"
    sys_version = ""
    timeout = REQUEST_TIMEOUT_S

    # --- routing -------------------------------------------------------------------------------

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == API_PATH:
            self._api()
        elif path.startswith("/sandbox/"):
            self._control("POST", path)
        else:
            self._plain(HTTPStatus.NOT_FOUND, "not found")

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == ACCEPT_JS_PATH:
            # A <script> element needs no CORS headers, so none are sent.
            self._send(HTTPStatus.OK, accept_script(), SCRIPT_CONTENT_TYPE)
        elif path.startswith("/sandbox/"):
            self._control("GET", path)
        else:
            self._plain(HTTPStatus.NOT_FOUND, "not found")

    def do_DELETE(self) -> None:
        path = self.path.split("?", 1)[0]
        if path.startswith("/sandbox/"):
            self._control("DELETE", path)
        else:
            self._plain(HTTPStatus.NOT_FOUND, "not found")

    def do_OPTIONS(self) -> None:
        """CORS preflight: the customer's page lives on another origin than the sandbox."""
        if self.path.split("?", 1)[0] != API_PATH:
            self._plain(HTTPStatus.NOT_FOUND, "not found")
            return
        # Granting this lets a page send JSON; only Accept's call is then answered (see _api).
        self.send_response(HTTPStatus.NO_CONTENT)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "Content-Type")
        self.send_header("Access-Control-Max-Age", "600")
        self.send_header("Content-Length", "0")
        self.end_headers()

    # --- the API -------------------------------------------------------------------------------

    def _api(self) -> None:
        body = self._read_body()
        if body is None:
            return
        sandbox = self.server.sandbox
        content_type = self.headers.get("Content-Type", "")
        incoming = read_request(body, content_type)
        accept_call = _is_accept_call(incoming, content_type)
        if "Origin" in self.headers and not accept_call:
            # A web page: it may tokenize a card with Accept, and do nothing else here.
            self._plain(
                HTTPStatus.FORBIDDEN,
                "web pages may call only Accept's JSON securePaymentContainerRequest here",
            )
            return
        info = incoming.info
        fault = sandbox.faults.take(info.name)
        if fault is not None and not fault.processes_request:
            self._strike_before(fault, info, cors=accept_call)
            return
        reply = sandbox.api.answer(incoming)
        log.info("sandbox %s -> %s", reply.request_name or "(unreadable)", reply.result_code)
        if fault is not None and fault.kind == "hang":
            self._hang()
            return
        if fault is not None and fault.kind == "reset":
            self._reset()
            return
        delay_ms = sandbox.latency_ms + (fault.latency_ms if fault is not None else 0)
        if delay_ms > 0 and sandbox.stopping.wait(delay_ms / 1000):
            return
        self._send(HTTPStatus.OK, reply.body, reply.content_type, cors=accept_call)

    def _strike_before(self, fault: Fault, info: RequestInfo, *, cors: bool) -> None:
        log.info("sandbox fault %s on %s", fault.kind, info.name or "(unreadable)")
        if fault.kind == "reset_before":
            self._reset()
        elif fault.kind in ("http_500", "http_503"):
            status = HTTPStatus.INTERNAL_SERVER_ERROR
            if fault.kind == "http_503":
                status = HTTPStatus.SERVICE_UNAVAILABLE
            self._send(status, status.phrase.encode(), PLAIN_CONTENT_TYPE, cors=cors)
        elif fault.kind == "malformed_xml":
            self._send(HTTPStatus.OK, _garbled(info), _content_type(info), cors=cors)
        elif fault.kind == "busy":
            reply: Reply = error_reply(info, ApiError("E00053"))
            self._send(HTTPStatus.OK, reply.body, reply.content_type, cors=cors)

    def _hang(self) -> None:
        """Keep the connection open without answering until stop() or the client leaves."""
        stopping = self.server.sandbox.stopping
        connection = self.connection
        while not stopping.wait(HANG_POLL_S):
            readable, _, _ = select.select([connection], [], [], 0)
            if not readable:
                continue
            try:
                if connection.recv(1, socket.MSG_PEEK) == b"":
                    break  # the client gave up and closed its end
            except OSError:
                break
        self.close_connection = True

    def _reset(self) -> None:
        """Abort the connection with a TCP reset (SO_LINGER 0), sending no answer at all."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        # The descriptor really closes when finish() drops the read/write files, without
        # the orderly shutdown the server would otherwise send first.
        self.connection.close()

    # --- control endpoints ---------------------------------------------------------------------

    def _control(self, method: str, path: str) -> None:
        refusal = control.refusal(
            client_address=self.client_address[0],
            host=self.headers.get("Host"),
            origin=self.headers.get("Origin"),
            method=method,
            path=path,
            content_type=self.headers.get("Content-Type"),
        )
        if refusal is not None:
            status, text = refusal
            self._plain(status, text)
            return
        sandbox = self.server.sandbox
        try:
            if path == control.FAULTS_PATH and method == "POST":
                request_type, fault = control.fault_from_json(self._read_json())
                sandbox.set_fault(request_type, fault)
                self._json({"ok": True})
            elif path == control.FAULTS_PATH and method == "DELETE":
                sandbox.clear_faults()
                self._json({"ok": True})
            elif path == control.FAULTS_PATH and method == "GET":
                self._json({"faults": control.faults_to_json(sandbox.faults.snapshot())})
            elif path == control.SETTLE_PATH and method == "POST":
                sandbox.settle_now()
                self._json({"ok": True})
            elif path == control.LEDGER_PATH and method == "GET":
                self._json({"ledger": control.ledger_to_json(sandbox.ledger())})
            elif path == control.RESET_PATH and method == "POST":
                sandbox.reset()
                self._json({"ok": True})
            elif path == control.LATENCY_PATH and method == "POST":
                sandbox.set_latency(control.latency_from_json(self._read_json()))
                self._json({"ok": True})
            else:
                self._json({"error": f"no {method} {path} here"}, HTTPStatus.NOT_FOUND)
        except control.ControlError as error:
            self._json({"error": str(error)}, HTTPStatus.BAD_REQUEST)

    def _read_json(self) -> Any:
        body = self._read_body()
        if body is None:
            raise control.ControlError("the request body could not be read")
        try:
            return json.loads(body.decode("utf-8-sig") or "null")
        except (UnicodeDecodeError, ValueError):
            raise control.ControlError("the body is not valid JSON") from None

    # --- plumbing ------------------------------------------------------------------------------

    def _read_body(self) -> bytes | None:
        length_header = self.headers.get("Content-Length")
        try:
            length = int(length_header) if length_header is not None else 0
        except ValueError:
            self._plain(HTTPStatus.BAD_REQUEST, "Content-Length is not a number")
            return None
        if length < 0 or length > MAX_REQUEST_BYTES:
            self._plain(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "request too large")
            return None
        return self.rfile.read(length) if length else b""

    def _json(self, document: Mapping[str, Any], status: HTTPStatus = HTTPStatus.OK) -> None:
        self._send(status, json.dumps(document).encode(), JSON_CONTENT_TYPE)

    def _plain(self, status: HTTPStatus, text: str) -> None:
        self._send(status, text.encode(), PLAIN_CONTENT_TYPE)

    def _send(
        self, status: HTTPStatus, body: bytes, content_type: str, *, cors: bool = False
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            if cors:
                self.send_header("Access-Control-Allow-Origin", "*")
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            log.info("sandbox: the client left before the answer was sent")

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("sandbox http: " + format, *args)


def _is_accept_call(incoming: IncomingRequest, content_type: str) -> bool:
    """Accept's tokenizing call as Accept.js sends it: JSON, declared as JSON."""
    declared = content_type.split(";", 1)[0].strip().lower()
    return (
        declared == "application/json"
        and incoming.info.is_json
        and incoming.info.name == SECURE_PAYMENT_CONTAINER
    )


def _content_type(info: RequestInfo) -> str:
    return JSON_CONTENT_TYPE if info.is_json else XML_CONTENT_TYPE


def _garbled(info: RequestInfo) -> bytes:
    """A response cut off mid-element: well begun, never finished."""
    if info.is_json:
        return (BOM + '{"messages":{"resultCode":"Ok","mess').encode()
    name = response_name_for(info.name) if info.name else "ErrorResponse"
    document = (
        f'<?xml version="1.0" encoding="utf-8"?><{name} xmlns="{NAMESPACE}">'
        "<messages><resultCode>Ok</resultCode><message><code>I000"
    )
    return (BOM + document).encode()


class SandboxServer:
    """An Authorize.Net-compatible sandbox on loopback, with its state kept in ``data_dir``."""

    def __init__(
        self,
        data_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_login_id: str = DEFAULT_API_LOGIN_ID,
        transaction_key: str = DEFAULT_TRANSACTION_KEY,
        client_key: str = DEFAULT_CLIENT_KEY,
        latency_ms: int = 0,
        settlement_delay_s: float = 600.0,
        clock: Now | None = None,
        faults: Mapping[str, Fault] | None = None,
    ) -> None:
        if latency_ms < 0:
            raise ValueError("latency_ms must not be negative")
        if settlement_delay_s < 0:
            raise ValueError("settlement_delay_s must not be negative")
        self.data_dir = Path(data_dir)
        self.host = host
        self.credentials = Credentials(api_login_id, transaction_key, client_key)
        self.latency_ms = latency_ms
        self._initial_latency_ms = latency_ms
        self.settlement_delay = timedelta(seconds=settlement_delay_s)
        self.clock: Now = clock or utc_now
        self.faults = FaultBook()
        for request_type, fault in (faults or {}).items():
            self.faults.set(request_type, fault)
        self.stopping = threading.Event()
        self._requested_port = port
        self._lock = DataDirLock(self.data_dir)
        self._api: SandboxApi | None = None
        self._http: _HttpServer | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Load the state and start serving in background threads; returns once listening."""
        if self._http is not None:
            return
        self._lock.acquire()
        try:
            self._api = SandboxApi(
                StateStore(self.data_dir), self.clock, self.credentials, self.settlement_delay
            )
            port = self._port if self._port is not None else self._requested_port
            http = _HttpServer((self.host, port), _Handler)
        except BaseException:
            self._lock.release()
            raise
        http.sandbox = self
        self.stopping.clear()
        self._http = http
        self._port = http.server_address[1]
        self._thread = threading.Thread(
            target=http.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"sandbox-{self._port}",
            daemon=True,
        )
        self._thread.start()
        log.info("sandbox listening on %s", self.base_url)

    def stop(self) -> None:
        """Stop serving, let requests in flight finish, then let go of the data folder.

        Hung and delayed requests are released at once; requests still being read see
        the end of their input. Safe to call more than once.
        """
        http, self._http = self._http, None
        self.stopping.set()
        if http is not None:
            http.shutdown()
            http.end_reading()
            if not http.wait_for_requests(STOP_GRACE_S):
                log.warning("sandbox: requests still running at stop; they will be refused")
            http.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._api is not None:
            # Waits for a request still writing, compacts the journal, refuses the rest.
            self._api.close()
        self._lock.release()

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._http is not None

    # --- addresses -----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the sandbox has not been started")
        return self._port

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def api_url(self) -> str:
        return self.base_url + API_PATH

    @property
    def accept_js_url(self) -> str:
        return self.base_url + ACCEPT_JS_PATH

    @property
    def api_login_id(self) -> str:
        return self.credentials.api_login_id

    @property
    def transaction_key(self) -> str:
        return self.credentials.transaction_key

    @property
    def client_key(self) -> str:
        return self.credentials.client_key

    # --- control -------------------------------------------------------------------------------

    @property
    def api(self) -> SandboxApi:
        if self._api is None:
            raise RuntimeError("the sandbox has not been started")
        return self._api

    def set_fault(self, request_type: str, fault: Fault | None) -> None:
        self.faults.set(request_type, fault)

    def clear_faults(self) -> None:
        self.faults.clear()

    def set_latency(self, ms: int) -> None:
        if ms < 0:
            raise ValueError("latency must not be negative")
        self.latency_ms = ms

    def settle_now(self) -> None:
        self.api.settle_now()

    def reset(self) -> None:
        """Empty the sandbox (no customers, transactions or nonces), clear every fault and
        go back to the latency it was started with; it keeps serving on the same port."""
        self.faults.clear()
        self.latency_ms = self._initial_latency_ms
        self.api.reset()

    def ledger(self) -> list[LedgerEntry]:
        return self.api.ledger()

    def issue_nonce(
        self, card_number: str, exp_month: int, exp_year: int, card_code: str | None = None
    ) -> str:
        return self.api.issue_nonce(card_number, exp_month, exp_year, card_code)

"""HTTP POST with a hard total deadline, safe to use from many threads at once.

``requests`` timeouts bound each socket operation, not the whole exchange: a server
that trickles a byte every few seconds can hold a call open forever, and a name that
resolves to several silent addresses costs one connect timeout per address. Here every
call has one deadline. Name resolution and each connect attempt get only what is left
of it (a blocked ``connect()`` cannot be woken from outside, so it must be given the
right timeout up front); once connected, a watchdog timer shuts the call's socket down
when the deadline passes, which wakes the blocked read at once. A TLS handshake runs
with each socket operation bounded by the budget left when the connection was made.
Each thread gets its own
``requests.Session`` (sessions are not thread-safe), so parallel calls never wait
for each other.

Failures are reported in the only terms that matter for money:

* ``NotSent`` — the connection was never established, so the request cannot have
  reached the server (connection refused, DNS failure, connect timeout).
* ``MaybeSent`` — the connection existed when things went wrong, so the server may
  have received and processed the request (timeout, reset, truncated answer).

Nothing here logs, and no error text includes the request body.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import sys
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.connection import allowed_gai_family
from urllib3.util.retry import Retry


class NotSent(Exception):
    """The request provably never left this machine."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class MaybeSent(Exception):
    """The request may have been received and processed; its answer was lost."""

    def __init__(self, detail: str, *, timed_out: bool) -> None:
        super().__init__(detail)
        self.detail = detail
        self.timed_out = timed_out


@dataclass(frozen=True)
class HttpReply:
    status: int
    body: bytes


class Transport(Protocol):
    """What the adapter needs to reach the gateway: one POST, and letting go at the end.

    ``DeadlineTransport`` is the real one; a test may hand the adapter canned answers.
    ``post`` raises only ``NotSent`` or ``MaybeSent``.
    """

    def post(self, body: bytes) -> HttpReply: ...

    def close(self) -> None: ...


class _CallWatch:
    """One call's deadline: when it passes, the call's socket is shut down.

    ``remaining()`` is the budget left, which name resolution and every connect
    attempt are given, so the deadline is for the whole call, not per address tried.
    """

    def __init__(self, timeout_s: float) -> None:
        self._lock = threading.Lock()
        self._connection: HTTPConnection | None = None
        self._expired = False
        self._finished = False
        self.connected = False
        self._deadline = time.monotonic() + timeout_s
        self._timer = threading.Timer(timeout_s, self._expire)
        self._timer.daemon = True

    def start(self) -> None:
        self._timer.start()

    def remaining(self) -> float:
        return max(0.0, self._deadline - time.monotonic())

    def attach(self, connection: HTTPConnection) -> None:
        with self._lock:
            self._connection = connection
            if self._expired:
                _shut_down(connection)

    def mark_connected(self, connection: HTTPConnection) -> None:
        with self._lock:
            self._connection = connection
            self.connected = True
            if self._expired:
                _shut_down(connection)

    def _expire(self) -> None:
        with self._lock:
            if self._finished:
                return
            self._expired = True
            if self._connection is not None:
                _shut_down(self._connection)

    def finish(self) -> bool:
        """Stop watching; True when the deadline had already passed."""
        self._timer.cancel()
        with self._lock:
            self._finished = True
            return self._expired


def _shut_down(connection: HTTPConnection) -> None:
    sock = getattr(connection, "sock", None)
    if sock is not None:
        # Already closed by the other side: nothing left to wake.
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


_active = threading.local()


def _current_watch() -> _CallWatch | None:
    return getattr(_active, "watch", None)


AddressInfo = tuple[Any, ...]


def resolve_within(host: str, port: int, timeout_s: float) -> list[AddressInfo]:
    """``getaddrinfo`` for a TCP connection, bounded by ``timeout_s``.

    A literal IP address is converted at once. A name goes to the system resolver,
    which takes no timeout and cannot be interrupted, so the lookup runs in a daemon
    helper thread that the caller stops waiting for when the budget is spent; a hung
    lookup then finishes (or not) on its own without holding anyone up, including the
    interpreter's exit. Raises ``TimeoutError`` when the budget runs out and
    ``socket.gaierror`` when the name does not resolve.
    """
    family = allowed_gai_family()
    try:
        return socket.getaddrinfo(host, port, family, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST)
    except socket.gaierror:
        pass  # a name, not an address: ask the resolver below
    found: list[list[AddressInfo]] = []
    failed: list[OSError] = []
    done = threading.Event()

    def look_up() -> None:
        try:
            found.append(socket.getaddrinfo(host, port, family, socket.SOCK_STREAM))
        except OSError as error:
            failed.append(error)
        finally:
            done.set()

    threading.Thread(target=look_up, name="w365desk-resolve", daemon=True).start()
    if not done.wait(timeout_s):
        raise TimeoutError(f"resolving {host} took longer than {timeout_s:.3g} s")
    if failed:
        raise failed[0]
    return found[0]


def connect_within(
    addresses: list[AddressInfo],
    remaining: Callable[[], float],
    socket_options: list[tuple[int, int, int | bytes]] | None = None,
    source_address: tuple[str, int] | None = None,
) -> socket.socket:
    """Connect to the first address that answers, within what is left of the budget
    (``remaining()``), so trying several silent addresses still ends on time.

    Each attempt gets an equal share of what is left among the addresses not yet tried
    (the last gets all of it): one address that drops packets cannot use up the time of
    a working one behind it. Raises ``TimeoutError`` when the budget runs out, otherwise
    the last attempt's error.
    """
    last_error: OSError | None = None
    for index, (family, kind, proto, _, address) in enumerate(addresses):
        left = remaining()
        if left <= 0:
            break
        budget = left / (len(addresses) - index)
        sock = socket.socket(family, kind, proto)
        try:
            for option in socket_options or ():
                sock.setsockopt(*option)
            sock.settimeout(budget)
            if source_address:
                sock.bind(source_address)
            sock.connect(address)
        except OSError as error:
            sock.close()
            last_error = error
            continue
        return sock
    if remaining() <= 0:
        raise TimeoutError("no connection within the deadline")
    if last_error is not None:
        raise last_error
    raise OSError("the name resolved to no address")


class _WatchedHTTPConnection(HTTPConnection):
    """A connection that keeps to the current call's deadline.

    Also the base of the HTTPS variant: there the method order puts HTTPSConnection's
    ``connect`` (TLS) between these overrides and HTTPConnection's, so one body serves
    both schemes.
    """

    def _new_conn(self) -> socket.socket:
        watch = _current_watch()
        if watch is None:
            return super()._new_conn()
        # The same exception kinds urllib3's own _new_conn raises, so requests reports
        # them as usual (ConnectTimeout, ConnectionError).
        try:
            addresses = resolve_within(self._dns_host, self.port, watch.remaining())
            sock = connect_within(
                addresses, watch.remaining, self.socket_options, self.source_address
            )
        except socket.gaierror as error:
            raise NameResolutionError(self.host, self, error) from error
        except TimeoutError as error:
            raise ConnectTimeoutError(
                self, f"Connection to {self.host} timed out ({error})."
            ) from error
        except OSError as error:
            raise NewConnectionError(
                self, f"Failed to establish a new connection: {error}"
            ) from error
        sys.audit("http.client.connect", self, self.host, self.port)
        return sock

    def connect(self) -> None:
        watch = _current_watch()
        if watch is not None:
            watch.attach(self)
        super().connect()
        if watch is not None:
            watch.mark_connected(self)

    def request(self, *args: Any, **kwargs: Any) -> None:
        watch = _current_watch()
        if watch is not None:
            watch.attach(self)
            if self.sock is not None:  # a kept-alive connection: bytes go out right away
                watch.mark_connected(self)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(_WatchedHTTPConnection, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPPool,
            "https": _WatchedHTTPSPool,
        }


def _new_session() -> requests.Session:
    session = requests.Session()
    # Never read proxy settings or .netrc from the environment: the endpoint is explicit,
    # and a proxy would sit outside the watchdog.
    session.trust_env = False
    # Never resend: a resent charge is a second charge.
    adapter = _WatchedAdapter(max_retries=Retry(total=0, redirect=0, raise_on_status=False))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _describe(error: BaseException) -> str:
    # The class name and the library's own message: URLs and socket errors, never bodies.
    return f"{type(error).__name__}: {error}"


class DeadlineTransport:
    """POSTs bytes to one URL; every call ends within ``timeout_s`` seconds."""

    def __init__(self, url: str, timeout_s: float, headers: Mapping[str, str]) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        self.url = url
        self.timeout_s = timeout_s
        self._headers = dict(headers)
        self._local = threading.local()
        # Weak, so the sessions of threads that have ended can be collected.
        self._sessions: weakref.WeakSet[requests.Session] = weakref.WeakSet()
        self._sessions_lock = threading.Lock()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = _new_session()
            self._local.session = session
            with self._sessions_lock:
                self._sessions.add(session)
        return session

    def post(self, body: bytes) -> HttpReply:
        session = self._session()
        watch = _CallWatch(self.timeout_s)
        _active.watch = watch
        watch.start()
        try:
            response = session.post(
                self.url,
                data=body,
                headers=self._headers,
                timeout=(self.timeout_s, self.timeout_s),
                allow_redirects=False,
            )
            reply = HttpReply(response.status_code, response.content)
        except (
            requests.RequestException,
            urllib3.exceptions.HTTPError,
            http.client.HTTPException,
            OSError,
        ) as error:
            expired = watch.finish()
            # A half-used connection must not go back to the pool.
            session.close()
            if expired:
                detail = f"no complete answer within {self.timeout_s:g} s ({_describe(error)})"
            else:
                detail = _describe(error)
            if not watch.connected:
                raise NotSent(detail) from None
            raise MaybeSent(
                detail, timed_out=expired or isinstance(error, requests.Timeout)
            ) from None
        finally:
            watch.finish()
            _active.watch = None
        return reply

    def close(self) -> None:
        with self._sessions_lock:
            sessions = list(self._sessions)
            self._sessions.clear()
        for session in sessions:
            session.close()

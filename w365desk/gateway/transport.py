"""HTTP POST with a hard total deadline, safe to use from many threads at once.

``requests`` timeouts bound each socket operation, not the whole exchange: a server
that trickles a byte every few seconds can hold a call open forever. Here every
call gets a watchdog timer; when the deadline passes it shuts the call's socket
down, which wakes the blocked read at once. Each thread gets its own
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
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
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


class _CallWatch:
    """One call's deadline: when it passes, the call's socket is shut down."""

    def __init__(self, timeout_s: float) -> None:
        self._lock = threading.Lock()
        self._connection: HTTPConnection | None = None
        self._expired = False
        self._finished = False
        self.connected = False
        self._timer = threading.Timer(timeout_s, self._expire)
        self._timer.daemon = True

    def start(self) -> None:
        self._timer.start()

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


class _WatchedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        watch = _current_watch()
        if watch is not None:
            watch.attach(self)
        super().connect()
        if watch is not None:
            watch.mark_connected(self)

    def request(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        watch = _current_watch()
        if watch is not None:
            watch.attach(self)
            if self.sock is not None:  # a kept-alive connection: bytes go out right away
                watch.mark_connected(self)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        watch = _current_watch()
        if watch is not None:
            watch.attach(self)
        super().connect()
        if watch is not None:
            watch.mark_connected(self)

    def request(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        watch = _current_watch()
        if watch is not None:
            watch.attach(self)
            if self.sock is not None:
                watch.mark_connected(self)
        super().request(*args, **kwargs)


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

"""Shared fixtures: one frozen clock, one way to start the offline sandbox, and every
database test on SQLite and, when configured, PostgreSQL."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends.fail import Keyring as NoKeyring
from keyring_double import InMemoryKeyring
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from w365desk.clock import FrozenClock
from w365desk.db.engine import make_engine, make_session_factory
from w365desk.sandbox.authorizenet import SandboxServer
from w365desk.services.actors import Actor
from w365desk.services.bundle import Services

TEST_DATABASE_URL_ENV = "W365DESK_TEST_DATABASE_URL"
ARTIFACTS_DIR = Path(__file__).parent / "artifacts"
# Every frozen clock starts here unless a test says otherwise.
START = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
STAFF = Actor.staff("alice")


@pytest.fixture
def clock() -> FrozenClock:
    """The test's clock: frozen at ``START`` until the test moves it."""
    return FrozenClock(START)


@pytest.fixture
def staff() -> Actor:
    """A member of staff at a desk, as the audit trail will name them."""
    return STAFF


class _FollowedClock:
    """The session sandbox's time: whatever the current test's clock says."""

    def __init__(self) -> None:
        self.follow: Callable[[], datetime] = FrozenClock(START).now

    def __call__(self) -> datetime:
        return self.follow()


@pytest.fixture(scope="session")
def _session_sandbox(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[SandboxServer, _FollowedClock]]:
    time = _FollowedClock()
    server = SandboxServer(tmp_path_factory.mktemp("sandbox"), clock=time)
    server.start()
    yield server, time
    server.stop()


@pytest.fixture
def sandbox(
    _session_sandbox: tuple[SandboxServer, _FollowedClock], clock: FrozenClock
) -> SandboxServer:
    """The offline sandbox with default options, shared by the session and emptied for
    each test (no profiles, transactions, nonces or faults); its time is ``clock``'s."""
    server, time = _session_sandbox
    time.follow = clock.now
    if not server.running:
        # A test that stops the sandbox should start its own (``start_sandbox``).
        raise RuntimeError("the shared sandbox was stopped by an earlier test")
    server.reset()
    return server


@pytest.fixture
def start_sandbox(tmp_path: Path) -> Iterator[Callable[..., SandboxServer]]:
    """Start a sandbox of the test's own (other options, or its own data folder); each
    is stopped when the test ends."""
    started: list[SandboxServer] = []

    def start(data_dir: Path | None = None, **options: Any) -> SandboxServer:
        folder = data_dir or tmp_path / f"sandbox-{len(started)}"
        server = SandboxServer(folder, **options)
        server.start()
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.stop()


@pytest.fixture(autouse=True)
def _isolated_desktop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test may read or write the real user's data, config, keyring or secrets."""
    monkeypatch.setenv("W365DESK_DATA_DIR", str(tmp_path / "data"))
    kept = {"W365DESK_DATA_DIR", TEST_DATABASE_URL_ENV}  # the latter only names the test server
    for name in list(os.environ):
        if name.startswith("W365DESK_") and name not in kept:
            monkeypatch.delenv(name)
    previous = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())  # tests that need a keyring install their own
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring() -> Iterator[InMemoryKeyring]:
    """A working keyring for the test, in memory (no test may touch the real one)."""
    previous = keyring.get_keyring()
    backend = InMemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(scope="session")
def postgres_server_database() -> Iterator[str | None]:
    """A throwaway database for this test session on the server the variable names.

    The database the variable names is only used to create and drop this one, so a
    test run never empties a database somebody else is using, and two runs on one
    server do not meet.
    """
    url = os.environ.get(TEST_DATABASE_URL_ENV)
    if not url:
        yield None
        return
    name = f"w365_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _reset_postgres_schema(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_server_database: str | None
) -> str:
    """An empty database: a fresh SQLite file, or a freshly emptied PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{(tmp_path / 'test.sqlite3').as_posix()}"
    if postgres_server_database is None:
        pytest.skip(f"{TEST_DATABASE_URL_ENV} is not set")
    _reset_postgres_schema(postgres_server_database)
    return postgres_server_database


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a database upgraded to the newest schema."""
    from w365desk.db.migrate import upgrade

    eng = make_engine(database_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def services(session_factory: sessionmaker[Session], clock: FrozenClock) -> Services:
    """Every use case on the test's database and clock, as the composition root builds them."""
    return Services.build(session_factory, clock)


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    return ARTIFACTS_DIR

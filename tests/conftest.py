"""Shared fixtures: every database test runs on SQLite and, when configured, PostgreSQL."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends.fail import Keyring as NoKeyring
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from w365desk.db.engine import make_engine, make_session_factory

TEST_DATABASE_URL_ENV = "W365DESK_TEST_DATABASE_URL"
ARTIFACTS_DIR = Path(__file__).parent / "artifacts"


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
def artifacts_dir() -> Path:
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    return ARTIFACTS_DIR

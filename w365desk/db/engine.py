"""Engine and session set-up for SQLite (embedded default) and PostgreSQL (shared office).

On SQLite every transaction takes the database's one write lock (``BEGIN IMMEDIATE``)
before its first statement, so a read-check-write use case (a stale-edit check, or a row
"locked" with ``with_for_update``, which SQLite ignores) cannot interleave with another
writer; other transactions queue behind it for up to the busy timeout. Left to itself,
Python's sqlite3 driver begins only at the first INSERT/UPDATE, so every read before that
ran outside any transaction. So the driver is told to keep out (``isolation_level =
None``, SQLAlchemy's documented recipe for taking over BEGIN) and BEGIN is sent here.

The BEGIN goes out just before the transaction's first statement other than a PRAGMA,
not when SQLAlchemy begins: connection settings (``PRAGMA synchronous``, ``PRAGMA
foreign_keys``) only take effect outside a transaction, and reading them must not take
the write lock. A statement that is itself a BEGIN, COMMIT or ROLLBACK is left alone.

Work that only reads can use :func:`for_reading`: a deferred ``BEGIN`` that neither takes
nor waits for the write lock (WAL lets it read the last commit while someone writes).
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 10_000

# Execution option read by the SQLite begin hook; set through for_reading().
READ_ONLY_OPTION = "w365desk_read_only"
# Statements sent without opening a transaction first (see the module docstring).
_OUTSIDE_TRANSACTION_PREFIXES = ("PRAGMA", "BEGIN", "COMMIT", "END", "ROLLBACK")

WAL_SWITCH_ATTEMPTS = 50
WAL_SWITCH_PAUSE_S = 0.1


def _ensure_wal(cursor: Any) -> None:
    """Switch the file to WAL once; WAL is persistent, so later connections only look.

    Two connections switching a brand-new file at the same moment can get "database is
    locked" at once (the busy timeout does not cover the journal-mode change), so the
    switch is retried briefly instead of failing the start-up.
    """
    for attempt in range(WAL_SWITCH_ATTEMPTS):
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                return
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == WAL_SWITCH_ATTEMPTS - 1:
                raise
            time.sleep(WAL_SWITCH_PAUSE_S)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # The driver must not begin (or implicitly commit) anything; see the module docstring.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # WAL lets the GUI read while a background worker writes.
        _ensure_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        # A payment is recorded as pending before it is sent to the gateway. In WAL mode
        # NORMAL can lose the last commits on power loss, and a lost pending row is a
        # charge nobody knows about; FULL syncs the WAL at every commit.
        cursor.execute("PRAGMA synchronous=FULL")
    finally:
        cursor.close()


def _begin_before_first_statement(
    connection: Connection,
    cursor: Any,
    statement: str,
    _parameters: Any,
    _context: Any,
    _executemany: bool,
) -> None:
    """Open the database transaction SQLAlchemy believes is open, before its first statement."""
    driver = cursor.connection
    if driver.isolation_level is not None:
        # SQLAlchemy sets "" back after an isolation_level execution option; that would
        # hand BEGIN (and silent COMMITs before DDL) back to the driver.
        driver.isolation_level = None
    if driver.in_transaction or not connection.in_transaction():
        return
    if statement.lstrip()[:8].upper().startswith(_OUTSIDE_TRANSACTION_PREFIXES):
        return
    options = connection.get_execution_options()
    if options.get("isolation_level") == "AUTOCOMMIT":
        return
    # Sent through SQLAlchemy, not the cursor, so it is logged and seen by event listeners
    # like any statement; being a BEGIN, it does not come back here.
    connection.exec_driver_sql("BEGIN" if options.get(READ_ONLY_OPTION) else "BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the settings this program relies on for each backend.

    Bound values never appear in SQLAlchemy's error messages or logs: those messages can
    reach dialogs, log files and crash reports, and values can be personal data.
    """
    kwargs["hide_parameters"] = True
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if "isolation_level" in kwargs:
            raise ValueError(
                "SQLite engines take their transaction mode from make_engine "
                "(BEGIN IMMEDIATE, or for_reading()); isolation_level is not supported"
            )
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            from pathlib import Path

            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        connect_args = kwargs.pop("connect_args", {})
        connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "before_cursor_execute", _begin_before_first_statement)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def for_reading(engine: Engine) -> Engine:
    """The same engine and pool, for transactions that only read.

    On SQLite these begin DEFERRED: they neither take nor wait for the write lock, and
    read a consistent snapshot of the last commit. Do not write through it: a write there
    cannot wait its turn and fails with "database is locked" if another desk has written
    meanwhile. On PostgreSQL reads never wait for row locks, so nothing changes there.
    """
    return engine.execution_options(**{READ_ONLY_OPTION: True})


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # Objects stay readable after commit: front doors show what a use case returned.
    return sessionmaker(engine, expire_on_commit=False)


def reading_session(session_factory: sessionmaker[Session]) -> Session:
    """A session from ``session_factory`` for a use case that only reads.

    On SQLite it neither takes nor waits for the write lock (see ``for_reading``), so a
    search stays instant while a long import or batch charge is writing.
    """
    bind = session_factory.kw["bind"]
    return session_factory(bind=for_reading(bind))

"""Bring a database to the schema this program expects, with Alembic shipped inside the package.

``upgrade(engine)`` runs at every start-up and from ``w365desk db upgrade``. It is cheap on an
up-to-date database, refuses a database changed by a newer w365desk, and serialises desktops
that start at the same moment: a PostgreSQL advisory lock, or ``BEGIN IMMEDIATE`` on SQLite.

Alembic is configured in code (no ``alembic.ini``) so the same path works from a source
checkout, an installed wheel and a PyInstaller bundle that copies ``migrations/`` as data.

To write a new revision against a database at head::

    from alembic import command
    from w365desk.db.migrate import alembic_config
    command.revision(alembic_config(url="sqlite:///scratch.sqlite3"), "what changed",
                     autogenerate=True, rev_id="0002_what_changed")
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import OperationalError

from w365desk.db.engine import for_reading
from w365desk.db.models import Base

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Any fixed 64-bit number; all desktops on one PostgreSQL database must agree on it.
MIGRATION_LOCK_KEY = 0x77333635_64657331  # "w365des1"
DEFAULT_LOCK_TIMEOUT_SECONDS = 120.0

POSTGRES_LOCK_NOT_AVAILABLE = "55P03"

# Alembic keeps the running migration in module globals (alembic.context, alembic.op), so two
# threads of one process must never run commands at the same time, even on different databases.
_ONE_MIGRATION_PER_PROCESS = threading.Lock()


class MigrationError(Exception):
    """The database cannot be brought to the schema this program needs."""


class DatabaseTooNewError(MigrationError):
    """The database was upgraded by a newer w365desk than this one."""

    def __init__(self, revision: str) -> None:
        self.revision = revision
        super().__init__(
            f"The database schema is at revision {revision!r}, which this version of w365desk "
            "does not know: it was most likely upgraded by a newer w365desk on another desktop. "
            "Install the newer w365desk on this desktop before using this database."
        )


class UnversionedDatabaseError(MigrationError):
    """The database holds w365desk tables but no record of which migrations made them."""

    def __init__(self, tables: list[str]) -> None:
        self.tables = tables
        super().__init__(
            "The database already contains w365desk tables "
            f"({', '.join(sorted(tables))}) but no migration history, so it cannot be "
            "upgraded safely. Point w365desk at an empty database, or restore a backup "
            "made by w365desk."
        )


class MigrationLockTimeoutError(MigrationError):
    """Another desktop held the database lock for longer than we were willing to wait."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(
            f"Waited {seconds:g} seconds for another w365desk to finish upgrading or using the "
            "database, without success. Try again in a minute; if it keeps happening, close "
            "w365desk on the other desktops and retry."
        )


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic configuration for the shipped migrations.

    With ``connection`` the migrations run on it, inside whatever transaction it holds;
    with only ``url`` (developer use, e.g. autogenerate) env.py opens its own engine.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if url is not None:
        # ConfigParser interpolation would read "%" in a password as a placeholder.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def _script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def _known_revisions() -> frozenset[str]:
    return frozenset(script.revision for script in _script_directory().walk_revisions())


def head_revision() -> str:
    """The newest revision this program ships."""
    head = _script_directory().get_current_head()
    if head is None:  # only possible if the versions folder was not shipped
        raise MigrationError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def _current_revision(connection: Connection) -> str | None:
    heads = MigrationContext.configure(connection).get_current_heads()
    if len(heads) > 1:
        raise MigrationError(f"the database records several schema revisions: {sorted(heads)}")
    return heads[0] if heads else None


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or ``None`` for a database never migrated."""
    with for_reading(engine).connect() as connection:
        return _current_revision(connection)


def _check_known(revision: str | None) -> None:
    if revision is not None and revision not in _known_revisions():
        raise DatabaseTooNewError(revision)


def needs_upgrade(engine: Engine) -> bool:
    """True when ``upgrade`` would change the database; raises if the database is too new."""
    revision = current_revision(engine)
    _check_known(revision)
    return revision != head_revision()


def _check_not_unversioned(connection: Connection, revision: str | None) -> None:
    if revision is not None:
        return
    existing = set(inspect(connection).get_table_names())
    ours = existing & set(Base.metadata.tables)
    if ours:
        raise UnversionedDatabaseError(sorted(ours))


@contextmanager
def _postgresql_migration_transaction(
    connection: Connection, lock_timeout: float
) -> Iterator[None]:
    """One transaction holding the advisory lock; PostgreSQL DDL commits or rolls back whole."""
    with connection.begin():
        # lock_timeout also bounds waits on tables that other desktops are using.
        connection.execute(text(f"SET LOCAL lock_timeout = {max(1, int(lock_timeout * 1000))}"))
        try:
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
            yield
        except OperationalError as error:
            if getattr(error.orig, "sqlstate", None) == POSTGRES_LOCK_NOT_AVAILABLE:
                raise MigrationLockTimeoutError(lock_timeout) from error
            raise


def _is_sqlite_busy(error: OperationalError) -> bool:
    message = str(error.orig).lower()
    return "database is locked" in message or "database is busy" in message


@contextmanager
def _sqlite_migration_transaction(connection: Connection, lock_timeout: float) -> Iterator[None]:
    """An exclusive write transaction, foreign keys off, as SQLite's ALTER TABLE recipe asks.

    Batch migrations rebuild tables by copy-and-rename; with foreign keys on, dropping the
    old table would cascade or fail. Integrity is checked before commit instead.

    ``PRAGMA foreign_keys`` is ignored inside a transaction, so the pragmas go straight to
    the driver connection, where no SQLAlchemy transaction (and no BEGIN from engine.py)
    can come first.
    """
    driver = connection.connection.driver_connection
    if driver is None or driver.in_transaction:
        raise MigrationError("the migration connection is already inside a transaction")
    busy_timeout_ms = driver.execute("PRAGMA busy_timeout").fetchone()[0]
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        driver.execute(f"PRAGMA busy_timeout={max(1, int(lock_timeout * 1000))}")
        _begin_immediately(connection, lock_timeout)
        driver.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        try:
            yield
            violations = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if violations:
                raise MigrationError(f"migration left broken foreign keys: {violations[:5]}")
        except BaseException:
            connection.rollback()
            raise
        connection.commit()
    finally:
        if connection.in_transaction():
            connection.rollback()
        driver.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        driver.execute("PRAGMA foreign_keys=ON")


def _begin_immediately(connection: Connection, lock_timeout: float) -> None:
    """Take the write lock, waiting up to ``lock_timeout`` for another desktop to finish."""
    deadline = time.monotonic() + lock_timeout
    while True:
        try:
            connection.begin()
            # Sent here rather than left to engine.py, so a busy database is caught here.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        except OperationalError as error:
            if connection.in_transaction():
                connection.rollback()
            if not _is_sqlite_busy(error):
                raise
            # busy_timeout normally covers the wait; this loop covers a shorter one
            # (e.g. a deadlock-avoidance SQLITE_BUSY returned without waiting).
            if time.monotonic() >= deadline:
                raise MigrationLockTimeoutError(lock_timeout) from error
            time.sleep(0.05)


@contextmanager
def _plain_migration_transaction(connection: Connection, _lock_timeout: float) -> Iterator[None]:
    with connection.begin():
        yield


def _migration_transaction(
    connection: Connection, lock_timeout: float
) -> AbstractContextManager[None]:
    dialect = connection.dialect.name
    if dialect == "postgresql":
        return _postgresql_migration_transaction(connection, lock_timeout)
    if dialect == "sqlite":
        return _sqlite_migration_transaction(connection, lock_timeout)
    return _plain_migration_transaction(connection, lock_timeout)


def _run_locked(
    engine: Engine, lock_timeout: float, migrate: Callable[[Config, str | None], None]
) -> None:
    with (
        _ONE_MIGRATION_PER_PROCESS,
        engine.connect() as connection,
        _migration_transaction(connection, lock_timeout),
    ):
        # Read again under the lock: another desktop may have migrated while we waited.
        revision = _current_revision(connection)
        _check_known(revision)
        migrate(alembic_config(connection), revision)


def upgrade(
    engine: Engine,
    revision: str = "head",
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT_SECONDS,
) -> None:
    """Bring the database to ``revision`` (default: the newest). A no-op when it is there.

    Raises ``DatabaseTooNewError`` for a database changed by a newer w365desk,
    ``UnversionedDatabaseError`` for w365desk tables without migration history and
    ``MigrationLockTimeoutError`` when another desktop holds the lock too long.
    """
    target = head_revision() if revision == "head" else revision
    # Reading only: the everyday start-up must not queue behind (or block) a writer.
    with for_reading(engine).connect() as connection:
        current = _current_revision(connection)
        _check_known(current)
    if current == target:
        return  # the everyday start-up: no lock, no writes

    def migrate(config: Config, current: str | None) -> None:
        if current != target:
            _check_not_unversioned(config.attributes["connection"], current)
            command.upgrade(config, revision)

    _run_locked(engine, lock_timeout, migrate)


def downgrade(
    engine: Engine, revision: str, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT_SECONDS
) -> None:
    """Take the schema back to ``revision`` (``"base"`` drops every table). Loses data."""

    def migrate(config: Config, _current: str | None) -> None:
        command.downgrade(config, revision)

    _run_locked(engine, lock_timeout, migrate)

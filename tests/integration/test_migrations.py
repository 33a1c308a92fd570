"""The shipped Alembic migrations, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, event, inspect, text
from sqlalchemy.engine import make_url

from w365desk.db.engine import make_engine
from w365desk.db.migrate import (
    MIGRATION_LOCK_KEY,
    DatabaseTooNewError,
    MigrationLockTimeoutError,
    UnversionedDatabaseError,
    current_revision,
    downgrade,
    head_revision,
    needs_upgrade,
    upgrade,
)
from w365desk.db.models import Base

FUTURE_REVISION = "9999_from_a_newer_w365desk"
WRITING_PREFIXES = ("create", "alter", "drop", "insert", "update", "delete", "begin immediate")


@pytest.fixture
def blank_engine(database_url: str) -> Iterator[Engine]:
    """An engine on an empty database that nobody has migrated yet."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _our_tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) & set(Base.metadata.tables)


def _insert_account(connection: Connection, number: str) -> None:
    connection.execute(
        text(
            "INSERT INTO account (number, name, name_key, currency, status, created_at,"
            " updated_at) VALUES (:number, 'Acme', 'acme', 'USD', 'active',"
            " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        ),
        {"number": number},
    )


def _count_accounts(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM account")).scalar_one()


def test_upgrade_brings_an_empty_database_to_head(blank_engine: Engine) -> None:
    assert current_revision(blank_engine) is None
    assert needs_upgrade(blank_engine)

    upgrade(blank_engine)

    assert current_revision(blank_engine) == head_revision() == "0001_initial"
    assert not needs_upgrade(blank_engine)
    assert _our_tables(blank_engine) == set(Base.metadata.tables)


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "target_metadata": Base.metadata}
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def _schema_snapshot(connection: Connection, schema: str | None = None) -> dict[str, Any]:
    """What the database reports about every model table, in a comparable form.

    Covers what ``compare_metadata`` does not look at: CHECK constraints, the WHERE of
    partial indexes and column collations (part of the reflected type's repr).
    """
    inspector = inspect(connection)
    snapshot: dict[str, Any] = {}
    for table in sorted(Base.metadata.tables):
        snapshot[table] = {
            "columns": [
                (col["name"], repr(col["type"]), col["nullable"])
                for col in inspector.get_columns(table, schema=schema)
            ],
            "primary_key": inspector.get_pk_constraint(table, schema=schema),
            "foreign_keys": sorted(
                (fk["name"], fk["constrained_columns"], fk["referred_table"])
                for fk in inspector.get_foreign_keys(table, schema=schema)
            ),
            "unique": sorted(
                (uq["name"], uq["column_names"])
                for uq in inspector.get_unique_constraints(table, schema=schema)
            ),
            "indexes": sorted(
                (
                    ix["name"],
                    ix["column_names"],
                    bool(ix["unique"]),
                    sorted((k, str(v)) for k, v in ix.get("dialect_options", {}).items()),
                )
                for ix in inspector.get_indexes(table, schema=schema)
            ),
            "checks": sorted(
                (ck["name"], ck["sqltext"])
                for ck in inspector.get_check_constraints(table, schema=schema)
            ),
        }
    return snapshot


def test_migrated_schema_equals_what_the_models_create(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    """The hand-reviewed revision builds exactly what ``create_all`` would, detail for detail."""
    with engine.connect() as connection:
        migrated = _schema_snapshot(connection)

    if engine.dialect.name == "sqlite":
        reference = make_engine(f"sqlite:///{(tmp_path / 'create_all.sqlite3').as_posix()}")
        try:
            Base.metadata.create_all(reference)
            with reference.connect() as connection:
                expected = _schema_snapshot(connection)
        finally:
            reference.dispose()
    else:
        schema = f"reference_{uuid.uuid4().hex[:12]}"
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            with engine.begin() as connection:
                translated = connection.execution_options(schema_translate_map={None: schema})
                Base.metadata.create_all(translated)
            with engine.connect() as connection:
                expected = _schema_snapshot(connection, schema=schema)
        finally:
            with engine.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))

    assert migrated == expected


def test_search_keys_compare_bytewise_on_postgresql(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("collations are a PostgreSQL matter")
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT table_name, column_name, collation_name FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND column_name IN ('name_key',"
                " 'email_key') ORDER BY table_name, column_name"
            )
        ).all()
    assert [tuple(row) for row in rows] == [
        ("account", "email_key", "C"),
        ("account", "name_key", "C"),
        ("contact", "email_key", "C"),
    ]


def test_one_default_index_is_partial(engine: Engine) -> None:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            definition = connection.execute(
                text("SELECT sql FROM sqlite_master WHERE name = 'uq_payment_profile_one_default'")
            ).scalar_one()
            assert definition.endswith("WHERE is_default = 1")
        else:
            definition = connection.execute(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"),
                {"name": "uq_payment_profile_one_default"},
            ).scalar_one()
            assert definition.endswith("WHERE is_default")
    assert "UNIQUE INDEX" in definition


def test_second_upgrade_is_a_no_op_that_takes_no_lock(engine: Engine) -> None:
    with engine.begin() as connection:
        _insert_account(connection, "A-1")
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.strip().lower())

    event.listen(engine, "before_cursor_execute", record)
    try:
        upgrade(engine)
    finally:
        event.remove(engine, "before_cursor_execute", record)

    assert statements, "upgrade must at least read the version table"
    assert [s for s in statements if s.startswith(WRITING_PREFIXES)] == []
    assert not [s for s in statements if "advisory" in s]
    assert current_revision(engine) == head_revision()
    assert _count_accounts(engine) == 1


def test_downgrade_to_base_then_upgrade_again(engine: Engine) -> None:
    with engine.begin() as connection:
        _insert_account(connection, "A-1")

    downgrade(engine, "base")
    assert current_revision(engine) is None
    assert _our_tables(engine) == set()

    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert _our_tables(engine) == set(Base.metadata.tables)
    assert _count_accounts(engine) == 0


def test_sqlite_foreign_keys_are_back_on_after_migrating(tmp_path: Path) -> None:
    """Migrations switch foreign keys off on their connection; the pool must not keep that."""
    engine = make_engine(f"sqlite:///{(tmp_path / 'fk.sqlite3').as_posix()}", pool_size=1)
    try:
        upgrade(engine)
        downgrade(engine, "base")
        upgrade(engine)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == 10_000
    finally:
        engine.dispose()


def _set_version(engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": revision})


def test_database_from_a_newer_program_is_refused(engine: Engine) -> None:
    _set_version(engine, FUTURE_REVISION)

    with pytest.raises(DatabaseTooNewError) as raised:
        upgrade(engine)
    message = str(raised.value)
    assert FUTURE_REVISION in message
    assert "newer w365desk" in message
    assert raised.value.revision == FUTURE_REVISION

    with pytest.raises(DatabaseTooNewError):
        needs_upgrade(engine)
    with pytest.raises(DatabaseTooNewError):
        downgrade(engine, "base")
    # Nothing was touched: the newer program's schema and marker are intact.
    assert current_revision(engine) == FUTURE_REVISION
    assert _our_tables(engine) == set(Base.metadata.tables)


def test_tables_without_migration_history_are_refused(blank_engine: Engine) -> None:
    Base.metadata.create_all(blank_engine)

    with pytest.raises(UnversionedDatabaseError) as raised:
        upgrade(blank_engine)

    assert "no migration history" in str(raised.value)
    assert "account" in raised.value.tables
    assert current_revision(blank_engine) is None


def _fresh_database_urls(database_url: str, tmp_path: Path, count: int) -> Iterator[str]:
    """``count`` empty databases in turn: new SQLite files, or PostgreSQL's schema re-emptied."""
    for round_number in range(count):
        if make_url(database_url).get_backend_name() == "sqlite":
            url = f"sqlite:///{(tmp_path / f'race{round_number}.sqlite3').as_posix()}"
            # The file exists, in WAL mode, before the race: two connections opening a brand
            # new file at once can fail in engine.py's "PRAGMA journal_mode=WAL" (SQLite
            # answers "database is locked" without waiting). That is engine set-up, not
            # migration, and is reported to its owner; this test is about the migration.
            creator = make_engine(url)
            creator.connect().close()
            creator.dispose()
            yield url
            continue
        if round_number:
            reset = make_engine(database_url)
            with reset.begin() as connection:
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
            reset.dispose()
        yield database_url


def _upgrade_at_the_same_moment(engines: list[Engine]) -> list[BaseException]:
    """Run ``upgrade`` on each engine in its own thread, released together by a barrier."""
    start = threading.Barrier(len(engines))
    errors: list[BaseException] = []

    def start_desktop(engine: Engine) -> None:
        try:
            start.wait()
            upgrade(engine)
        except BaseException as error:  # reported by the caller
            errors.append(error)

    threads = [threading.Thread(target=start_desktop, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_concurrent_upgrades_from_two_threads_end_at_head(
    database_url: str, tmp_path: Path
) -> None:
    for url in _fresh_database_urls(database_url, tmp_path, count=3):
        engines = [make_engine(url), make_engine(url)]
        try:
            assert _upgrade_at_the_same_moment(engines) == []
            assert current_revision(engines[0]) == head_revision()
            with engines[0].connect() as connection:
                versions = connection.execute(text("SELECT version_num FROM alembic_version"))
                assert versions.scalars().all() == [head_revision()]
        finally:
            for engine in engines:
                engine.dispose()


DESKTOP_SCRIPT = """
import sys, time
from pathlib import Path
from w365desk.db.engine import make_engine
from w365desk.db.migrate import upgrade

url, ready, go = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
engine = make_engine(url)
with engine.connect():
    pass  # connected and imported: only the upgrade itself is left to race
ready.touch()
while not go.exists():
    time.sleep(0.005)
upgrade(engine)
"""


def test_concurrent_upgrades_from_two_desktop_processes_end_at_head(
    database_url: str, tmp_path: Path
) -> None:
    """Separate processes share no Python lock: only the database lock keeps them apart."""
    for round_number, url in enumerate(_fresh_database_urls(database_url, tmp_path, count=3)):
        go = tmp_path / f"go{round_number}"
        ready = [tmp_path / f"ready{round_number}_{desktop}" for desktop in range(2)]
        desktops = [
            subprocess.Popen(
                [sys.executable, "-c", DESKTOP_SCRIPT, url, str(flag), str(go)],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for flag in ready
        ]
        while not all(flag.exists() for flag in ready):
            if any(desktop.poll() is not None for desktop in desktops):
                break  # a desktop died before the start line; its output is reported below
            time.sleep(0.01)
        go.touch()
        outputs = [desktop.communicate()[0] for desktop in desktops]

        assert [desktop.returncode for desktop in desktops] == [0, 0], outputs
        engine = make_engine(url)
        try:
            assert current_revision(engine) == head_revision()
            assert _our_tables(engine) == set(Base.metadata.tables)
        finally:
            engine.dispose()


@contextmanager
def _migration_lock_held_by_another_desktop(database_url: str) -> Iterator[Engine]:
    """Hold the lock a migrating desktop holds, from a separate engine, until the block ends."""
    other_desktop = make_engine(database_url)
    try:
        with other_desktop.connect() as connection:
            if other_desktop.dialect.name == "postgresql":
                key = {"key": MIGRATION_LOCK_KEY}
                connection.execute(text("SELECT pg_advisory_lock(:key)"), key)
                try:
                    yield other_desktop
                finally:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)
            else:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                try:
                    yield other_desktop
                finally:
                    connection.rollback()
    finally:
        other_desktop.dispose()


def test_upgrade_gives_up_with_a_clear_error_while_another_desktop_migrates(
    blank_engine: Engine, database_url: str
) -> None:
    with _migration_lock_held_by_another_desktop(database_url):
        with pytest.raises(MigrationLockTimeoutError) as raised:
            upgrade(blank_engine, lock_timeout=0.2)
        assert "another w365desk" in str(raised.value)
        assert current_revision(blank_engine) is None

    upgrade(blank_engine)
    assert current_revision(blank_engine) == head_revision()


def test_postgresql_upgrade_waits_for_the_advisory_lock(
    blank_engine: Engine, database_url: str
) -> None:
    if blank_engine.dialect.name != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    errors: list[BaseException] = []

    def start_desktop() -> None:
        try:
            upgrade(blank_engine)
        except BaseException as error:  # reported by the main thread below
            errors.append(error)

    # A bigint advisory key shows in pg_locks as (classid = high half, objid = low half).
    waiting = text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND classid::bigint = :high AND objid::bigint = :low"
    )
    key = {"high": MIGRATION_LOCK_KEY >> 32, "low": MIGRATION_LOCK_KEY & 0xFFFFFFFF}
    waiter = threading.Thread(target=start_desktop)
    with _migration_lock_held_by_another_desktop(database_url) as other_desktop:
        waiter.start()
        observed = threading.Event()
        while waiter.is_alive() and not observed.is_set():
            with other_desktop.connect() as probe:
                if probe.execute(waiting, key).scalar_one():
                    observed.set()
            observed.wait(0.02)
        assert observed.is_set(), f"upgrade did not wait for the lock: {errors}"
        assert current_revision(blank_engine) is None
    waiter.join()

    assert errors == []
    assert current_revision(blank_engine) == head_revision()

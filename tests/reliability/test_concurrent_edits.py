"""Two desks editing one account at the same moment: the later edit sees the earlier one.

The overlap is forced, not hoped for. Desk A reads the account inside its edit and then
waits, its transaction still open, until desk B has reached its own read: B has either
read the row (nothing stopped it) or is about to take the lock that makes it wait for A
(``BEGIN IMMEDIATE`` on SQLite, ``SELECT ... FOR UPDATE`` on PostgreSQL). Only then does A
write and commit. Without real locking both desks read the original row and the later
commit silently overwrites the earlier one, with an audit event whose "from" is false.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, select, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from w365desk.clock import FrozenClock
from w365desk.db.engine import for_reading, make_engine
from w365desk.db.models import Account, AuditEvent, Setting
from w365desk.services.accounts import AccountEditor, AccountQueries
from w365desk.services.accounts.inputs import AccountInput
from w365desk.services.accounts.views import AccountView
from w365desk.services.actors import Actor
from w365desk.services.errors import ConflictError

# Only a guard against a hung test; nothing is asserted about how long anything takes.
HANG_GUARD_SECONDS = 60

ORIGINAL_CITY = "Seattle"


def _is_account_read(statement: str) -> bool:
    lowered = " ".join(statement.lower().split())
    return lowered.startswith("select") and "from account" in lowered


def _takes_a_lock(statement: str) -> bool:
    lowered = statement.strip().lower()
    return lowered.startswith("begin") or "for update" in lowered


@contextmanager
def _listening(engine: Engine, name: str, listener: Callable[..., None]) -> Iterator[None]:
    event.listen(engine, name, listener)
    try:
        yield
    finally:
        event.remove(engine, name, listener)


class _Overlap:
    """Runs desk A's edit so that desk B's edit starts while A's transaction is open."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._a_thread: threading.Thread | None = None
        self._a_has_read = threading.Event()
        self._b_has_reached_its_read = threading.Event()
        self.a_result: list[Any] = []

    def _before(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if threading.current_thread() is self._a_thread:
            return
        if self._a_has_read.is_set() and _takes_a_lock(statement):
            self._b_has_reached_its_read.set()

    def _after(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not _is_account_read(statement):
            return
        if threading.current_thread() is self._a_thread:
            if not self._a_has_read.is_set():
                self._a_has_read.set()
                # A holds its transaction open here, right after its read-and-check.
                if not self._b_has_reached_its_read.wait(HANG_GUARD_SECONDS):
                    raise AssertionError("desk B never reached its read")
        elif self._a_has_read.is_set():
            self._b_has_reached_its_read.set()

    def run(self, edit_a: Callable[[], Any], edit_b: Callable[[], Any]) -> Any:
        """Run both edits overlapped; return B's result (or raise B's error)."""

        def desk_a() -> None:
            try:
                self.a_result.append(edit_a())
            except BaseException as error:  # re-raised in the test thread below
                self.a_result.append(error)

        with (
            _listening(self._engine, "before_cursor_execute", self._before),
            _listening(self._engine, "after_cursor_execute", self._after),
        ):
            self._a_thread = threading.Thread(target=desk_a, name="desk-a")
            self._a_thread.start()
            try:
                if not self._a_has_read.wait(HANG_GUARD_SECONDS):
                    raise AssertionError(f"desk A never read the account: {self.a_result}")
                return edit_b()
            finally:
                self._b_has_reached_its_read.set()  # never leave A waiting on a failure
                self._a_thread.join(HANG_GUARD_SECONDS)
                assert not self._a_thread.is_alive(), "desk A did not finish"
                if self.a_result and isinstance(self.a_result[0], BaseException):
                    raise self.a_result[0]


def _desk(session_factory: sessionmaker[Session], minutes: int) -> AccountEditor:
    # Each desk writes its own distinct updated_at, as two real desks would.
    clock = FrozenClock()
    clock.advance(timedelta(minutes=minutes))
    return AccountEditor(session_factory, clock)


ALICE, BOB = Actor.staff("alice"), Actor.staff("bob")


def _city_updates(session_factory: sessionmaker[Session]) -> list[tuple[str, Any]]:
    with session_factory() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "account.update").order_by(AuditEvent.id)
        ).all()
        return [(e.actor, json.loads(e.details or "{}")["changes"]["city"]) for e in events]


def _stored_city(session_factory: sessionmaker[Session], account_id: int) -> str | None:
    with session_factory() as session:
        return session.scalar(select(Account.city).where(Account.id == account_id))


@pytest.fixture
def opened(session_factory: sessionmaker[Session]) -> AccountView:
    """The account as both desks opened it for editing."""
    creator = _desk(session_factory, minutes=0)
    return creator.create_account(
        AccountInput(name="Northwind", city=ORIGINAL_CITY), actor=Actor.staff("creator")
    )


def test_the_later_of_two_overlapping_edits_gets_a_conflict(
    engine: Engine, session_factory: sessionmaker[Session], opened: AccountView
) -> None:
    alice = _desk(session_factory, minutes=1)
    bob = _desk(session_factory, minutes=2)
    edited = AccountInput.from_view(opened)

    with pytest.raises(ConflictError) as raised:
        _Overlap(engine).run(
            lambda: alice.update_account(
                opened.id,
                replace(edited, city="Portland"),
                actor=ALICE,
                expected_updated_at=opened.updated_at,
            ),
            lambda: bob.update_account(
                opened.id,
                replace(edited, city="Denver"),
                actor=BOB,
                expected_updated_at=opened.updated_at,
            ),
        )

    assert "changed by someone else" in str(raised.value)
    assert _stored_city(session_factory, opened.id) == "Portland"
    assert _city_updates(session_factory) == [
        ("alice", {"from": ORIGINAL_CITY, "to": "Portland"}),
    ]


def test_overlapping_edits_without_a_check_leave_a_true_history(
    engine: Engine, session_factory: sessionmaker[Session], opened: AccountView
) -> None:
    """Last writer wins when nobody asked for a check, but the audit says what it replaced."""
    alice = _desk(session_factory, minutes=1)
    bob = _desk(session_factory, minutes=2)
    edited = AccountInput.from_view(opened)

    bob_view = _Overlap(engine).run(
        lambda: alice.update_account(opened.id, replace(edited, city="Portland"), actor=ALICE),
        lambda: bob.update_account(opened.id, replace(edited, city="Denver"), actor=BOB),
    )

    assert bob_view.city == "Denver"
    assert _stored_city(session_factory, opened.id) == "Denver"
    assert _city_updates(session_factory) == [
        ("alice", {"from": ORIGINAL_CITY, "to": "Portland"}),
        ("bob", {"from": "Portland", "to": "Denver"}),
    ]


# -- The engine settings these guarantees rest on ------------------------------------------


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{(tmp_path / 'locks.sqlite3').as_posix()}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")
        connection.exec_driver_sql("INSERT INTO note (body) VALUES ('committed')")
    yield engine
    engine.dispose()


def _no_waiting(connection: Connection) -> Connection:
    """Make this connection fail at once instead of waiting for a lock, so nothing hangs."""
    connection.connection.driver_connection.execute("PRAGMA busy_timeout=0")
    return connection


@contextmanager
def _write_lock_held(engine: Engine) -> Iterator[None]:
    """Another desk in the middle of a write: an uncommitted change, the write lock held."""
    with engine.connect() as writer:
        writer.execute(text("UPDATE note SET body = 'uncommitted'"))
        try:
            yield
        finally:
            writer.rollback()


def test_every_sqlite_transaction_takes_the_write_lock_before_reading(
    sqlite_engine: Engine,
) -> None:
    with (
        _write_lock_held(sqlite_engine),
        sqlite_engine.connect() as other,
        pytest.raises(OperationalError, match="database is locked") as raised,
    ):
        _no_waiting(other).execute(text("SELECT body FROM note")).all()
    assert "BEGIN IMMEDIATE" in str(raised.value)


def test_reading_transactions_neither_take_nor_wait_for_the_write_lock(
    sqlite_engine: Engine,
) -> None:
    with _write_lock_held(sqlite_engine), for_reading(sqlite_engine).connect() as reader:
        body = _no_waiting(reader).execute(text("SELECT body FROM note")).scalar_one()
        assert body == "committed"  # the last commit, not the other desk's pending change


def test_connection_settings_are_read_and_changed_outside_the_write_lock(
    sqlite_engine: Engine,
) -> None:
    """PRAGMAs only work outside a transaction, so they must not open one (or take the lock)."""
    with sqlite_engine.connect() as first, sqlite_engine.connect() as second:
        for connection in (first, second):
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
            # FULL (2): the last commits survive a power cut; see engine.py.
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar_one() == 2
    with sqlite_engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA synchronous=OFF")  # what bench/ loads do
        connection.exec_driver_sql("INSERT INTO note (body) VALUES ('fast')")
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar_one() == 0


def test_sqlite_engines_refuse_an_isolation_level(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="isolation_level is not supported"):
        make_engine(
            f"sqlite:///{(tmp_path / 'x.sqlite3').as_posix()}", isolation_level="SERIALIZABLE"
        )


def test_a_rolled_back_savepoint_undoes_only_its_own_work(
    session_factory: sessionmaker[Session],
) -> None:
    """SAVEPOINT only nests inside a real transaction, which SQLite now always has."""
    with session_factory.begin() as session:
        session.add(Setting(key="kept", value="1", updated_at=FrozenClock().now()))
        session.flush()
        nested = session.begin_nested()
        session.add(Setting(key="undone", value="2", updated_at=FrozenClock().now()))
        session.flush()
        nested.rollback()
    with session_factory() as session:
        assert session.scalars(select(Setting.key)).all() == ["kept"]


def test_database_errors_never_show_the_values_that_were_sent(engine: Engine) -> None:
    """Error messages reach dialogs and logs; the values bound to a statement must not."""
    secret_looking = "4111 1111 1111 1111"
    with pytest.raises(DBAPIError) as raised, engine.begin() as connection:
        connection.execute(
            text("INSERT INTO no_such_table (value) VALUES (:value)"), {"value": secret_looking}
        )
    assert secret_looking not in str(raised.value)
    assert "parameters hidden" in str(raised.value)


def test_search_is_not_held_up_by_a_long_write(
    session_factory: sessionmaker[Session],
) -> None:
    """Staff can search while another desk's import holds SQLite's write lock."""
    AccountEditor(session_factory, FrozenClock()).create_account(
        AccountInput(name="Contoso Ltd"), actor=ALICE
    )
    queries = AccountQueries(session_factory)
    with session_factory.begin() as writer:  # a writer holding its transaction open
        writer.execute(text("UPDATE account SET phone = '555-0100'"))
        started = threading.Event()
        found: list[str] = []

        def search() -> None:
            started.set()
            found.extend(summary.name for summary in queries.search("cont"))

        reader = threading.Thread(target=search)
        reader.start()
        reader.join(timeout=5)
        assert started.is_set()
        assert not reader.is_alive(), "the search waited for the writer's lock"
    assert found == ["Contoso Ltd"]
    assert queries.count_accounts() == 1

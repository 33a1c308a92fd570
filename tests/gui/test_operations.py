"""Background operations: results come back on the GUI thread, and only a change that
succeeded tells the open views what it touched."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QCoreApplication, QObject, QThread
from pytestqt.qtbot import QtBot

from w365desk.gui.changes import Change, DataChanges, Operations, Topic
from w365desk.gui.workers import BackgroundRunner
from w365desk.services.errors import PaymentDeclined, ValidationError


@pytest.fixture
def operations(qtbot: QtBot) -> Iterator[Operations]:
    owner = QObject()  # what a window is to its runner and notification
    runner = BackgroundRunner(owner)
    yield Operations(runner, DataChanges(owner))
    runner.wait_for_done()


def _announced(operations: Operations) -> list[Change]:
    seen: list[Change] = []
    operations.changes.changed.connect(seen.append)
    return seen


def test_a_change_runs_off_the_gui_thread_and_announces_what_it_touched(
    qtbot: QtBot, operations: Operations
) -> None:
    announced = _announced(operations)
    worked_on: list[threading.Thread] = []
    results: list[int] = []
    origin = object()

    def work() -> int:
        worked_on.append(threading.current_thread())
        return 42

    def done(value: int) -> None:
        assert QThread.currentThread() is QCoreApplication.instance().thread()  # the GUI's
        results.append(value)

    operations.change(
        work, touches={Topic.ACCOUNTS}, on_success=done, on_error=pytest.fail, origin=origin
    )
    qtbot.waitUntil(lambda: results == [42])
    assert worked_on and worked_on[0] is not threading.main_thread()
    assert announced == [Change(frozenset({Topic.ACCOUNTS}), origin)]
    assert announced[0].touches(Topic.CONTACTS, Topic.ACCOUNTS)
    assert not announced[0].touches(Topic.SETTINGS)


def test_a_failed_change_and_a_query_announce_nothing(qtbot: QtBot, operations: Operations) -> None:
    announced = _announced(operations)
    failures: list[Exception] = []
    found: list[str] = []

    def refuse() -> int:
        raise ValidationError("name", "Account name is required.")

    operations.change(
        refuse, touches={Topic.ACCOUNTS}, on_success=pytest.fail, on_error=failures.append
    )
    operations.query(lambda: "read", on_success=found.append, on_error=pytest.fail)
    qtbot.waitUntil(lambda: len(failures) == 1 and found == ["read"])
    assert isinstance(failures[0], ValidationError)
    assert announced == []


def test_what_a_change_touched_may_depend_on_its_result(
    qtbot: QtBot, operations: Operations
) -> None:
    announced = _announced(operations)
    results: list[bool] = []
    for imported in (False, True):
        operations.change(
            lambda imported=imported: imported,  # type: ignore[misc]
            touches=lambda ok: {Topic.ACCOUNTS} if ok else set(),
            on_success=results.append,
            on_error=pytest.fail,
        )
    qtbot.waitUntil(lambda: len(results) == 2)
    assert [change.topics for change in announced] == [frozenset({Topic.ACCOUNTS})]


def test_expected_refusals_are_not_logged_as_faults(
    qtbot: QtBot, operations: Operations, caplog: pytest.LogCaptureFixture
) -> None:
    errors: list[Exception] = []

    def declined() -> None:
        raise PaymentDeclined("Declined: the card issuer declined the transaction.")

    def broken() -> None:
        raise KeyError("a bug")

    with caplog.at_level(logging.INFO, logger="w365desk.gui.workers"):
        operations.query(declined, on_success=pytest.fail, on_error=errors.append)
        operations.query(broken, on_success=pytest.fail, on_error=errors.append)
        qtbot.waitUntil(lambda: len(errors) == 2)
    levels = {record.getMessage(): record.levelno for record in caplog.records}
    assert levels["background job refused: PaymentDeclined"] == logging.INFO
    assert levels["background job failed"] == logging.ERROR


def test_a_stopped_runner_drops_late_results(qtbot: QtBot, operations: Operations) -> None:
    release = threading.Event()
    delivered: list[str] = []
    operations.query(
        lambda: release.wait(5) and "late", on_success=delivered.append, on_error=pytest.fail
    )
    operations.runner.stop()
    release.set()
    assert operations.runner.wait_for_done(5_000)
    qtbot.wait(50)
    assert delivered == []

"""Opening the main window in a test as ``run_gui`` does: the form first, then the session."""

from __future__ import annotations

from typing import Any, TypeVar

from pytestqt.qtbot import QtBot

from w365desk.app import AppContext
from w365desk.gui.accounts_page import AccountsPage
from w365desk.gui.main_window import MainWindow
from w365desk.gui.paged_model import PagedTableModel

Row = TypeVar("Row")


def open_main_window(qtbot: QtBot, app: AppContext, *, data_folder: str = "") -> MainWindow:
    window = MainWindow(app.window_layout, data_folder)
    qtbot.addWidget(window.window, before_close_func=lambda _w: _settle(window))
    window.show()
    with qtbot.waitSignal(window.attached, timeout=10_000):
        window.attach(app.services, app.actor, app.status)
    return window


def accounts(window: MainWindow) -> AccountsPage:
    assert window.accounts_page is not None
    return window.accounts_page


def _settle(window: MainWindow) -> None:
    window.runner.wait_for_done()


def shown_rows(model: PagedTableModel[Any, Row]) -> list[Row] | None:
    """Every row of the model once all are loaded (asking for the missing pages), else None."""
    rows = [model.row_at(row) for row in range(model.rowCount())]
    if any(row is None for row in rows):
        return None
    return [row for row in rows if row is not None]

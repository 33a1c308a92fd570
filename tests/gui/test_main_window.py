"""The main window as staff meet it: the first run, the menus and shortcuts, search that
finds, a list that reaches its last row and sorts over all of them, duplicates caught in
the account form and in an import."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from pytestqt.qtbot import QtBot
from window_support import accounts, open_main_window, shown_rows

from w365desk.app import AppContext, build_app
from w365desk.clock import FrozenClock
from w365desk.gui.main_window import MainWindow
from w365desk.services.accounts import AccountInput, ContactInput
from w365desk.services.actors import Actor

BENCH = Path(__file__).resolve().parents[2] / "bench"
LARGE = 3_000


def _action(window: MainWindow, name: str) -> QAction:
    found = window.window.findChild(QAction, name)
    assert found is not None
    return found


def _names(window: MainWindow) -> list[str] | None:
    rows = shown_rows(accounts(window).model)
    return sorted(account.name for account in rows) if rows is not None else None


def test_a_first_run_explains_how_to_begin_and_offers_demo_customers(
    qtbot: QtBot, app_context: AppContext, artifacts_dir: Path
) -> None:
    window = open_main_window(qtbot, app_context)
    page = accounts(window)
    qtbot.waitUntil(lambda: page.stack.currentWidget() is page.empty_panel, timeout=10_000)
    assert page.demo_button.isVisibleTo(window.window)  # the offline sandbox offers it
    window.window.resize(1000, 650)
    window.window.grab().save(str(artifacts_dir / "main_window_first_run.png"))
    qtbot.mouseClick(page.demo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.model.total > 0, timeout=20_000)
    assert page.stack.currentWidget() is page.table
    qtbot.waitUntil(lambda: _names(window) is not None)
    window.window.grab().save(str(artifacts_dir / "main_window.png"))


def test_menus_and_shortcuts(qtbot: QtBot, app_context: AppContext, tmp_path: Path) -> None:
    window = open_main_window(qtbot, app_context, data_folder=str(tmp_path))
    shortcuts = {
        name: _action(window, name).shortcut().toString()
        for name in ("newAccountAction", "findAction", "quitAction", "importAction")
    }
    assert shortcuts == {
        "newAccountAction": "Ctrl+N",
        "findAction": "Ctrl+F",
        "quitAction": "Ctrl+Q",
        "importAction": "Ctrl+I",
    }
    _action(window, "newAccountAction").trigger()
    dialog = accounts(window).dialog
    assert dialog is not None and dialog.dialog.isVisible()
    dialog.dialog.reject()
    _action(window, "settingsViewAction").trigger()
    assert window.current_view() == "settingsTab"
    _action(window, "findAction").trigger()
    assert window.current_view() == "accountsTab"
    assert accounts(window).search_edit.hasFocus() or not window.window.isActiveWindow()
    about = window.show_about()
    assert str(tmp_path) in about.text() and "w365desk" in about.text()
    about.close()
    _action(window, "quitAction").trigger()
    assert not window.window.isVisible()


def test_search_finds_words_parts_of_words_phone_digits_and_contact_names(
    qtbot: QtBot, app_context: AppContext
) -> None:
    create = app_context.services.accounts.create_account
    actor = app_context.actor
    create(AccountInput(name="Contoso Holdings Inc", phone="+1 (206) 555-0100"),
           [ContactInput("Dana", "Whitfield", is_billing=True)], actor=actor)  # fmt: skip
    create(AccountInput(name="Fabrikam Holdings", primary_email="ap@fabrikam.example"),
           actor=actor)  # fmt: skip
    create(AccountInput(name="Northwind Traders", number="NW-42"), actor=actor)
    window = open_main_window(qtbot, app_context)
    page = accounts(window)
    cases = {
        "holdings": ["Contoso Holdings Inc", "Fabrikam Holdings"],  # a word
        "INC": ["Contoso Holdings Inc"],  # a word, any case
        "oldin": ["Contoso Holdings Inc", "Fabrikam Holdings"],  # part of a word
        "2065550100": ["Contoso Holdings Inc"],  # phone digits without the punctuation
        "555-0100": ["Contoso Holdings Inc"],
        "whitfield": ["Contoso Holdings Inc"],  # a contact's name
        "fabrikam.example": ["Fabrikam Holdings"],  # part of an email
        "nw-42": ["Northwind Traders"],  # the number
        "zzz": [],
    }
    for query, expected in cases.items():
        page.search_edit.setText(query)
        qtbot.waitUntil(lambda e=expected: _names(window) == e, timeout=10_000)
        qtbot.waitUntil(lambda: "match" in page.results_label.text())


def test_a_duplicate_account_asks_first_and_names_the_match(
    qtbot: QtBot, app_context: AppContext
) -> None:
    app_context.services.accounts.create_account(
        AccountInput(name="Contoso Holdings", number="CH-1", primary_email="ap@contoso.example"),
        actor=app_context.actor,
    )
    window = open_main_window(qtbot, app_context)
    dialog = accounts(window).open_new_account()
    dialog.field_edit("name").setText("contoso holdings")
    dialog.field_edit("primary_email").setText("AP@contoso.example")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.question is not None, timeout=10_000)
    question = dialog.question
    assert question is not None and "CH-1" in question.text()
    qtbot.mouseClick(question.defaultButton(), Qt.MouseButton.LeftButton)  # Go Back
    assert dialog.dialog.isVisible() and dialog.field_edit("name").text() == "contoso holdings"
    assert app_context.services.account_queries.count_accounts() == 1
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.question is not question, timeout=10_000)
    anyway = next(b for b in dialog.question.buttons() if b.text() == "Save Anyway")
    with qtbot.waitSignal(dialog.saved, timeout=10_000):
        qtbot.mouseClick(anyway, Qt.MouseButton.LeftButton)
    assert app_context.services.account_queries.count_accounts() == 2


def test_an_import_meeting_accounts_already_there_offers_to_skip_or_update(
    qtbot: QtBot, app_context: AppContext, tmp_path: Path, artifacts_dir: Path
) -> None:
    csv = tmp_path / "customers.csv"
    csv.write_text(
        "account_number,account_name,email,city\n"
        "ADA-1,Adatum Corp,ap@adatum.example,Seattle\n"
        "LIT-7,Litware Inc,billing@litware.example,Boise\n",
        encoding="utf-8",
    )
    window = open_main_window(qtbot, app_context)
    page = accounts(window)
    page.import_file(str(csv))
    qtbot.waitUntil(lambda: page.import_result is not None, timeout=10_000)
    assert page.import_result is not None and "Imported 2" in page.import_result.text()
    page.import_result.close()

    csv.write_text(
        "account_number,account_name,email,city\n"
        "ADA-1,Adatum Corp,ap@adatum.example,Portland\n"
        "LIT-7,Litware Inc,billing@litware.example,Boise\n"
        "WWI-1,Wide World Importers,ops@wwi.example,Denver\n",
        encoding="utf-8",
    )
    page.import_result = None
    page.import_file(str(csv))
    qtbot.waitUntil(lambda: page.import_result is not None, timeout=10_000)
    question = page.import_result
    assert question is not None and "already" in question.text() and "2" in question.text()
    question.grab().save(str(artifacts_dir / "import_duplicates.png"))
    assert app_context.services.account_queries.count_accounts() == 2  # nothing yet
    page.import_result = None
    update = next(b for b in question.buttons() if b.text() == "Update Them")
    qtbot.mouseClick(update, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.import_result is not None, timeout=10_000)
    assert app_context.services.account_queries.count_accounts() == 3  # never doubled
    adatum = app_context.services.account_queries.get_account_by_number("ADA-1")
    assert adatum.city == "Portland"


@pytest.fixture(scope="module")
def large_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """``LARGE`` accounts, loaded as the benchmarks load them (fast, by the real columns)."""
    sys.path.insert(0, str(BENCH))
    try:
        dataset_module: Any = importlib.import_module("_dataset")
    finally:
        sys.path.remove(str(BENCH))
    url = f"sqlite:///{(tmp_path_factory.mktemp('large') / 'large.sqlite3').as_posix()}"
    dataset = dataset_module.build_dataset(url, LARGE, seed=7, cards=True)
    dataset.engine.dispose()
    return url


@pytest.fixture
def large_app(large_database: str) -> Iterator[AppContext]:
    app = build_app(large_database, clock=FrozenClock(), actor=Actor.staff("gui-tester"))
    yield app
    app.close()


def test_a_large_list_scrolls_to_its_last_row_and_sorts_over_every_row(
    qtbot: QtBot, large_app: AppContext
) -> None:
    window = open_main_window(qtbot, large_app)
    page = accounts(window)
    qtbot.waitUntil(lambda: page.model.total == LARGE, timeout=10_000)
    qtbot.waitUntil(lambda: f"{LARGE:,} accounts" in page.results_label.text())
    assert page.model.rowCount() == LARGE  # the true count, not a first page
    table = page.table
    table.scrollToBottom()
    last = LARGE - 1
    qtbot.waitUntil(lambda: page.model.row_at(last) is not None, timeout=10_000)
    queries = large_app.services.account_queries
    from w365desk.services.accounts.queries import AccountListQuery, AccountSort

    by_name = AccountListQuery(sort=AccountSort.NAME)
    (expected_last,) = queries.rows(by_name, last, 1)
    assert page.model.row_at(last) == expected_last
    # Sort by number, descending: the database orders all rows, not the page in view.
    table.horizontalHeader().setSortIndicator(
        page.model.column_of(AccountSort.NUMBER), Qt.SortOrder.DescendingOrder
    )
    qtbot.waitUntil(
        lambda: page.model.row_at(0) is not None and page.model.row_at(0).number == "ACC-0003000",
        timeout=10_000,
    )
    table.scrollToBottom()
    qtbot.waitUntil(
        lambda: (
            page.model.row_at(last) is not None and page.model.row_at(last).number == "ACC-0000001"
        ),
        timeout=10_000,
    )
    # A saved account is selected and scrolled to, wherever it falls.
    created = large_app.services.accounts.create_account(
        AccountInput(name="Zzyzx Final Customer", number="ACC-0001500X"),
        actor=large_app.actor,
    )
    page.select_account(created.id)
    qtbot.waitUntil(lambda: page.selected_account_id() == created.id, timeout=10_000)


def test_keyboard_from_the_list_to_a_payment_profile(qtbot: QtBot, app_context: AppContext) -> None:
    account = app_context.services.accounts.create_account(
        AccountInput(name="Tailspin Toys"), actor=app_context.actor
    )
    window = open_main_window(qtbot, app_context)
    page = accounts(window)
    qtbot.waitUntil(lambda: page.model.row_at(0) is not None, timeout=10_000)
    qtbot.keyClick(page.search_edit, Qt.Key.Key_Down)
    assert page.selected_account_id() == account.id
    menu = page.context_menu()
    assert [a.text() for a in menu.actions() if a.text()][:3] == [
        "Open\tEnter", "Edit Details…", "Create Payment Profile…",
    ]  # fmt: skip
    _action(window, "createProfileAction").trigger()  # Ctrl+P
    qtbot.waitUntil(lambda: account.id in window.payment_dialogs, timeout=10_000)
    dialog = window.payment_dialogs[account.id]
    assert "Tailspin Toys" in dialog.dialog.windowTitle()
    _action(window, "createProfileAction").trigger()  # again: the same dialog, raised
    assert len(window.payment_dialogs) == 1
    dialog.dialog.reject()

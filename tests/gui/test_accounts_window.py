"""The Accounts tab end to end: real services, real SQLite, offscreen Qt."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot
from window_support import accounts, open_main_window, shown_rows

from w365desk.app import AppContext
from w365desk.gui.main_window import MainWindow
from w365desk.locations import config_dir
from w365desk.services.accounts.importing import EXAMPLE_CSV, IMPORT_COLUMNS
from w365desk.services.accounts.inputs import AccountInput, ContactInput
from w365desk.services.accounts.views import AccountView


def _seed(app: AppContext) -> None:
    app.services.accounts.create_account(
        AccountInput(name="Contoso Ltd", primary_email="ap@contoso.example", city="Seattle"),
        [ContactInput(first_name="Dana", last_name="Ng", email="dana@contoso.example")],
        actor=app.actor,
    )
    app.services.accounts.create_account(
        AccountInput(name="Fabrikam Inc", number="FAB-1"), actor=app.actor
    )
    app.services.accounts.create_account(AccountInput(name="Northwind Traders"), actor=app.actor)


def _open(qtbot: QtBot, app: AppContext) -> MainWindow:
    return open_main_window(qtbot, app)


def _names(window: MainWindow) -> list[str]:
    rows = shown_rows(accounts(window).model)
    return sorted(account.name for account in rows) if rows is not None else ["(loading)"]


def test_lists_and_searches_accounts(
    qtbot: QtBot, app_context: AppContext, artifacts_dir: Path
) -> None:
    _seed(app_context)
    window = _open(qtbot, app_context)
    qtbot.waitUntil(lambda: len(_names(window)) == 3)
    # The rows can show before the count that the label states.
    qtbot.waitUntil(lambda: "3 accounts" in accounts(window).results_label.text())

    accounts(window).search_edit.setText("fab-1")
    qtbot.waitUntil(lambda: _names(window) == ["Fabrikam Inc"])

    accounts(window).search_edit.setText("DANA@")
    qtbot.waitUntil(lambda: _names(window) == ["Contoso Ltd"])
    qtbot.waitUntil(lambda: "match" in accounts(window).results_label.text())

    accounts(window).search_edit.setText("")
    qtbot.waitUntil(lambda: len(_names(window)) == 3)
    window.window.resize(1100, 600)
    window.window.grab().save(str(artifacts_dir / "main_window_accounts.png"))


def test_new_account_dialog_creates_account(
    qtbot: QtBot, app_context: AppContext, artifacts_dir: Path
) -> None:
    window = _open(qtbot, app_context)
    dialog = accounts(window).open_new_account()
    dialog.field_edit("name").setText("Tailspin Toys")
    dialog.field_edit("primary_email").setText("billing@tailspin.example")
    dialog.field_edit("first_name").setText("Ari")
    dialog.field_edit("last_name").setText("Bell")
    dialog.field_edit("email").setText("ari@tailspin.example")
    dialog.dialog.grab().save(str(artifacts_dir / "new_account_dialog.png"))
    saved: list[AccountView] = []
    dialog.saved.connect(saved.append)
    with qtbot.waitSignal(dialog.dialog.finished, timeout=10_000) as finished:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert finished.args == [QDialog.DialogCode.Accepted.value]
    view = saved[0]
    assert view.name == "Tailspin Toys"
    assert view.billing_contact is not None and view.billing_contact.email == "ari@tailspin.example"
    qtbot.waitUntil(lambda: _names(window) == ["Tailspin Toys"])
    stored = app_context.services.account_queries.get_account(view.id)
    assert stored.primary_email == "billing@tailspin.example"


def test_invalid_input_keeps_dialog_open_with_specific_message(
    qtbot: QtBot, app_context: AppContext, artifacts_dir: Path
) -> None:
    window = _open(qtbot, app_context)
    dialog = accounts(window).open_new_account()
    dialog.field_edit("name").setText("Woodgrove Bank")
    dialog.field_edit("primary_email").setText("not-an-email")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.error_label.text() != "")
    assert "email" in dialog.error_label.text().lower()
    assert dialog.dialog.isVisible()
    assert dialog.field_edit("primary_email").styleSheet() != ""
    assert dialog.field_edit("name").text() == "Woodgrove Bank"  # nothing typed is lost
    dialog.dialog.grab().save(str(artifacts_dir / "new_account_dialog_error.png"))
    assert app_context.services.account_queries.count_accounts() == 0

    dialog.field_edit("primary_email").setText("ops@woodgrove.example")
    with qtbot.waitSignal(dialog.saved, timeout=10_000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert app_context.services.account_queries.count_accounts() == 1


def test_duplicate_number_is_refused_in_dialog(qtbot: QtBot, app_context: AppContext) -> None:
    _seed(app_context)
    window = _open(qtbot, app_context)
    dialog = accounts(window).open_new_account()
    dialog.field_edit("name").setText("Another Fabrikam")
    dialog.field_edit("number").setText("fab-1")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "FAB-1" in dialog.error_label.text())
    assert dialog.dialog.isVisible()


def test_edit_and_deactivate_account(qtbot: QtBot, app_context: AppContext) -> None:
    _seed(app_context)
    window = _open(qtbot, app_context)
    page = accounts(window)
    qtbot.waitUntil(lambda: len(_names(window)) == 3)
    fabrikam = app_context.services.account_queries.get_account_by_number("FAB-1")
    dialog = page.edit_account(fabrikam)
    assert dialog.field_edit("name").text() == "Fabrikam Inc"
    dialog.field_edit("city").setText("Redmond")
    with qtbot.waitSignal(dialog.saved, timeout=10_000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert app_context.services.account_queries.get_account(fabrikam.id).city == "Redmond"

    second = page.edit_account(app_context.services.account_queries.get_account(fabrikam.id))
    assert second.status_button.text() == "Deactivate…"
    # Deactivating asks first; Cancel (the default) changes nothing.
    qtbot.mouseClick(second.status_button, Qt.MouseButton.LeftButton)
    question = second.question
    assert question is not None and question.isVisible()
    assert "FAB-1" in question.text()
    qtbot.mouseClick(question.defaultButton(), Qt.MouseButton.LeftButton)
    assert app_context.services.account_queries.get_account(fabrikam.id).is_active
    qtbot.mouseClick(second.status_button, Qt.MouseButton.LeftButton)
    confirm = second.question
    assert confirm is not None
    yes = next(b for b in confirm.buttons() if b.text() == "Deactivate")
    with qtbot.waitSignal(second.saved, timeout=10_000):
        qtbot.mouseClick(yes, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _names(window) == ["Contoso Ltd", "Northwind Traders"])
    page.show_inactive.setChecked(True)
    qtbot.waitUntil(lambda: len(_names(window)) == 3)


def _size_within(window: MainWindow, fraction: float) -> QSize:
    """A size that fits this machine's screen and is no smaller than the window allows."""
    screen = window.window.screen().availableGeometry()
    smallest = window.window.minimumSizeHint()
    return QSize(
        max(smallest.width(), int(screen.width() * fraction)),
        max(smallest.height(), int(screen.height() * fraction)),
    )


def test_window_state_is_saved_and_restored_for_this_desktop(
    qtbot: QtBot, app_context: AppContext
) -> None:
    window = _open(qtbot, app_context)
    # Restoring fits a window onto the current screen (a layout saved on a bigger
    # monitor must not open off screen), so the size tried here fits this screen.
    wanted = _size_within(window, 0.8)
    assert wanted != window.window.size()  # the form's default would prove nothing
    window.window.resize(wanted)
    qtbot.waitUntil(lambda: window.window.size() == wanted)
    window.window.close()
    saved = json.loads((config_dir() / "desktop.json").read_text())
    assert saved["window_geometry"]
    assert saved["last_tab"] == "accountsTab"

    reopened = _open(qtbot, app_context)
    assert reopened.window.size() == wanted


def test_a_window_saved_on_a_bigger_screen_opens_inside_this_one(
    qtbot: QtBot, app_context: AppContext
) -> None:
    window = _open(qtbot, app_context)
    screen = window.window.screen().availableGeometry()
    window.window.resize(screen.width() + 400, screen.height() + 300)
    window.window.close()

    reopened = _open(qtbot, app_context)
    size = reopened.window.size()
    assert size.width() <= screen.width() and size.height() <= screen.height()


def test_csv_import_success_and_refusal(
    qtbot: QtBot, app_context: AppContext, tmp_path: Path, artifacts_dir: Path
) -> None:
    window = _open(qtbot, app_context)
    page = window.accounts_page
    good = tmp_path / "good.csv"
    good.write_text(
        "account_number,account_name,email,contact_first_name,contact_last_name,contact_email\n"
        "ADA-1,Adatum Corp,ap@adatum.example,Lee,Park,lee@adatum.example\n"
        "ADA-1,Adatum Corp,ap@adatum.example,Sam,Ortiz,sam@adatum.example\n"
        "LIT-7,Litware Inc,billing@litware.example,,,\n",
        encoding="utf-8",
    )
    page.import_file(str(good))
    qtbot.waitUntil(lambda: page.import_result is not None)
    assert page.import_result is not None
    assert "Imported 2 account(s) and 2 contact(s)" in page.import_result.text()
    qtbot.waitUntil(lambda: _names(window) == ["Adatum Corp", "Litware Inc"])
    page.import_result.close()

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "account_number,account_name,email\n"
        "WWI-1,Wide World Importers,ops@wwi.example\n"
        "WWI-2,,ops2@wwi.example\n",
        encoding="utf-8",
    )
    page.import_result = None
    page.import_file(str(bad))
    qtbot.waitUntil(lambda: page.import_result is not None)
    text = page.import_result.text()
    assert "was not imported" in text and "Line 3" in text
    page.import_result.grab().save(str(artifacts_dir / "import_refused.png"))
    assert app_context.services.account_queries.count_accounts() == 2  # nothing from the bad file


def test_dialog_cannot_be_dismissed_while_saving(qtbot: QtBot, app_context: AppContext) -> None:
    window = _open(qtbot, app_context)
    dialog = accounts(window).open_new_account()
    dialog.field_edit("name").setText("Proseware")
    release = threading.Event()
    original = app_context.services.accounts.create_account

    def slow_create(*args: object, **kwargs: object) -> AccountView:
        release.wait(10)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    app_context.services.accounts.create_account = slow_create  # type: ignore[method-assign]
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.busy and not dialog.cancel_button.isEnabled()
    qtbot.keyClick(dialog.dialog, Qt.Key.Key_Escape)
    dialog.dialog.close()
    assert dialog.dialog.isVisible()  # still there: the outcome will be shown in it
    with qtbot.waitSignal(dialog.saved, timeout=10_000):
        release.set()
    assert app_context.services.account_queries.count_accounts() == 1


def test_search_keeps_the_exact_number_match_first(qtbot: QtBot, app_context: AppContext) -> None:
    app_context.services.accounts.create_account(
        AccountInput(name="Zeta Partners", number="ALPHA-7"), actor=app_context.actor
    )
    app_context.services.accounts.create_account(
        AccountInput(name="Alpha-7 Widgets"), actor=app_context.actor
    )
    window = _open(qtbot, app_context)
    accounts(window).search_edit.setText("alpha-7")
    qtbot.waitUntil(lambda: "match" in accounts(window).results_label.text())
    qtbot.waitUntil(lambda: len(_names(window)) == 2)
    table = accounts(window).table
    first_row = table.model().index(0, 1).data()
    assert first_row == "Zeta Partners"


def test_the_status_bar_never_makes_the_window_wider_than_a_small_screen(
    qtbot: QtBot, app_context: AppContext
) -> None:
    window = _open(qtbot, app_context)
    # The full texts stay readable in their tooltips...
    assert window.gateway_label.toolTip().startswith("Gateway: Offline sandbox at http://")
    assert window.database_label.toolTip() == f"Database: {app_context.database_label}"
    # ...but a long database path or gateway description never sets the window's width.
    window.database_label.set_full_text("Database: " + "/very/deep/folder" * 40)
    assert window.window.minimumSizeHint().width() < 640
    window.window.resize(600, 500)
    qtbot.waitUntil(lambda: window.window.width() == 600)
    shown = window.database_label.text()
    assert "…" in shown and len(shown) < len(window.database_label.full_text())


def test_the_import_dialog_explains_the_format_and_its_example_imports(
    qtbot: QtBot, app_context: AppContext, tmp_path: Path, artifacts_dir: Path
) -> None:
    window = _open(qtbot, app_context)
    page = window.accounts_page
    dialog = page.open_import()
    assert dialog.dialog.isVisible()
    shown = dialog.format_browser.toPlainText()
    for column in IMPORT_COLUMNS:
        assert column in shown
    assert "account_name (required)" in shown
    assert EXAMPLE_CSV.splitlines()[1] in shown
    dialog.dialog.grab().save(str(artifacts_dir / "import_dialog.png"))

    example = tmp_path / "example.csv"
    dialog.save_example(str(example))
    assert example.read_text(encoding="utf-8") == EXAMPLE_CSV
    dialog.choose(str(example))
    assert not dialog.dialog.isVisible()
    qtbot.waitUntil(lambda: page.import_result is not None)
    assert page.import_result is not None
    assert "Imported 2 account(s) and 2 contact(s)" in page.import_result.text()
    qtbot.waitUntil(lambda: _names(window) == ["Contoso Ltd", "Northwind Traders"])


def test_a_refused_import_offers_the_file_format(
    qtbot: QtBot, app_context: AppContext, tmp_path: Path
) -> None:
    window = _open(qtbot, app_context)
    page = window.accounts_page
    bad = tmp_path / "bad.csv"
    bad.write_text("name\nWoodgrove\n", encoding="utf-8")
    page.import_file(str(bad))
    qtbot.waitUntil(lambda: page.import_result is not None)
    box = page.import_result
    assert box is not None and "was not imported" in box.text()
    [format_button] = [b for b in box.buttons() if b.text() == "File Format…"]
    qtbot.mouseClick(format_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: page.import_dialog is not None and page.import_dialog.dialog.isVisible()
    )

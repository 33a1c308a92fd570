"""The account page: opened from the list by keyboard, its details, contacts (add, edit,
billing, deactivate after asking), payment profiles, invoices and history."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot
from window_support import accounts, open_main_window

from w365desk.app import AppContext
from w365desk.gui.account_window import AccountWindow
from w365desk.gui.main_window import MainWindow
from w365desk.services.accounts import AccountInput, ContactInput, ContactView


def _button(box: QMessageBox | None, text: str):  # type: ignore[no-untyped-def]
    assert box is not None and box.isVisible()
    return next(button for button in box.buttons() if button.text() == text)


def _billing_name(page: AccountWindow) -> str | None:
    billing = page.account.billing_contact
    return billing.full_name if billing is not None else None


def _open_by_keyboard(qtbot: QtBot, window: MainWindow, number: str) -> AccountWindow:
    page = accounts(window)
    page.search_edit.setText(number)
    qtbot.waitUntil(lambda: page.model.total == 1 and page.model.row_at(0) is not None)
    qtbot.keyClick(page.search_edit, Qt.Key.Key_Down)  # into the list, first row selected
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(window.account_windows) == 1, timeout=10_000)
    account_window = next(iter(window.account_windows.values()))
    qtbot.waitUntil(lambda: account_window.history_model.rowCount() > 0, timeout=10_000)
    return account_window


def test_the_account_page_shows_everything_and_edits_contacts(
    qtbot: QtBot, app_context: AppContext, artifacts_dir: Path
) -> None:
    app_context.services.demo.seed(actor=app_context.actor, accounts=5)
    demo = app_context.services.account_queries.list_accounts()[0]
    window = open_main_window(qtbot, app_context)
    page = _open_by_keyboard(qtbot, window, demo.number)
    assert page.title_label.text() == demo.name
    assert page.invoices_model.rowCount() > 0  # the demo's invoices are visible
    assert "invoice(s)" in page.invoices_label.text()
    assert page.contacts_model.rowCount() >= 1
    page.dialog.resize(900, 600)
    page.tabs.setCurrentIndex(page.tabs.indexOf(page.invoices_table.parentWidget()))
    page.dialog.grab().save(str(artifacts_dir / "account_page_invoices.png"))

    # Add a contact and make them the billing contact.
    dialog = page.add_contact()
    dialog.edits["first_name"].setText("Morgan")
    dialog.edits["last_name"].setText("Lee")
    dialog.edits["email"].setText("not-an-email")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "email" in dialog.error_label.text().lower()  # refused locally, kept open
    assert dialog.dialog.isVisible() and dialog.edits["first_name"].text() == "Morgan"
    dialog.edits["email"].setText("morgan@example.com")
    with qtbot.waitSignal(dialog.saved, timeout=10_000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    def names() -> list[str]:
        return [c.full_name for c in page.contacts_model.rows]

    qtbot.waitUntil(lambda: "Morgan Lee" in names(), timeout=10_000)
    row = names().index("Morgan Lee")
    page.contacts_table.setCurrentIndex(page.contacts_model.index(row, 0))
    page.make_selected_billing()
    qtbot.waitUntil(lambda: _billing_name(page) == "Morgan Lee", timeout=10_000)
    assert page.contacts_model.rows[0].full_name == "Morgan Lee"  # the billing contact first

    # Edit by keyboard: Enter on the selected contact.
    page.tabs.setCurrentIndex(page.tabs.indexOf(page.contacts_table.parentWidget()))
    page.contacts_table.setCurrentIndex(page.contacts_model.index(0, 0))
    qtbot.keyClick(page.contacts_table, Qt.Key.Key_Return)
    edit = page.contact_dialog
    assert edit is not None and edit.edits["first_name"].text() == "Morgan"
    edit.edits["phone"].setText("+1 206 555 0199")
    with qtbot.waitSignal(edit.saved, timeout=10_000):
        qtbot.mouseClick(edit.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.contacts_model.rows[0].phone == "+1 206 555 0199")
    page.dialog.grab().save(str(artifacts_dir / "account_page_contacts.png"))

    # Delete asks first; Cancel keeps the contact, Deactivate retires them.
    page.contacts_table.setCurrentIndex(page.contacts_model.index(0, 0))
    qtbot.keyClick(page.contacts_table, Qt.Key.Key_Delete)
    assert page.question is not None and "billing contact" in page.question.informativeText()
    qtbot.mouseClick(page.question.defaultButton(), Qt.MouseButton.LeftButton)
    assert app_context.services.account_queries.get_account(demo.id).billing_contact is not None
    page.toggle_selected_contact()
    with qtbot.waitSignal(window.changes.changed, timeout=10_000):
        qtbot.mouseClick(_button(page.question, "Deactivate"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Morgan Lee" not in names(), timeout=10_000)
    assert app_context.services.account_queries.get_account(demo.id).billing_contact is None
    assert "No billing contact" in page.contacts_label.text()
    page.show_inactive_contacts.setChecked(True)
    assert "Morgan Lee" in names()

    # The history tells what happened, in words.
    qtbot.waitUntil(
        lambda: any("Contact deactivated" in e.text for e in page.history_model.rows),
        timeout=10_000,
    )
    page.tabs.setCurrentIndex(page.tabs.indexOf(page.history_table.parentWidget()))
    page.dialog.grab().save(str(artifacts_dir / "account_page_history.png"))


def test_a_contact_dialog_with_typed_changes_asks_before_closing(
    qtbot: QtBot, app_context: AppContext
) -> None:
    account = app_context.services.accounts.create_account(
        AccountInput(name="Tailspin Toys"), actor=app_context.actor
    )
    window = open_main_window(qtbot, app_context)
    window.open_account(account.id)
    qtbot.waitUntil(lambda: account.id in window.account_windows, timeout=10_000)
    page = window.account_windows[account.id]
    dialog = page.add_contact()
    assert dialog.billing_check.isChecked()  # the first contact is offered as billing
    dialog.edits["first_name"].setText("Ari")
    qtbot.keyClick(dialog.dialog, Qt.Key.Key_Escape)
    assert dialog.guard.question is not None and dialog.dialog.isVisible()
    qtbot.mouseClick(dialog.guard.question.defaultButton(), Qt.MouseButton.LeftButton)
    assert dialog.dialog.isVisible() and dialog.edits["first_name"].text() == "Ari"


def test_opening_an_account_twice_raises_its_window(qtbot: QtBot, app_context: AppContext) -> None:
    account = app_context.services.accounts.create_account(
        AccountInput(name="Fabrikam"),
        [ContactInput("Dana", "Ng", is_billing=True)],
        actor=app_context.actor,
    )
    window = open_main_window(qtbot, app_context)
    window.open_account(account.id)
    qtbot.waitUntil(lambda: account.id in window.account_windows, timeout=10_000)
    first = window.account_windows[account.id]
    window.open_account(account.id)
    assert window.account_windows[account.id] is first and len(window.account_windows) == 1
    billing: ContactView | None = first.account.billing_contact
    assert billing is not None and billing.full_name == "Dana Ng"
    first.dialog.close()
    qtbot.waitUntil(lambda: account.id not in window.account_windows)

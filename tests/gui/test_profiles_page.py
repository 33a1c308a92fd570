"""Payment Profiles: Set Default, Sync, Validate and Deactivate (after asking) on stored
methods, against the offline sandbox; the filters; the keyboard and context menu."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton
from pytestqt.qtbot import QtBot
from window_support import open_main_window, shown_rows

from w365desk.app import AppContext
from w365desk.gui.main_window import MainWindow
from w365desk.gui.profiles_page import ProfilesPage
from w365desk.services.accounts import AccountInput, AccountView
from w365desk.services.payment_profiles import (
    BillingEntry,
    CardEntry,
    PaymentProfileView,
    ProfileFilter,
)

BILLING = BillingEntry("Dana", "Ng", "", "1 Main St", "Seattle", "WA", "98101", "US")


def _store(app: AppContext, account: AccountView, last_name: str, number: str = "4111111111111111",
           year: str = "2030") -> PaymentProfileView:  # fmt: skip
    return app.services.payment_profiles.add(
        account.id,
        CardEntry(number, "12", year, "123", "Dana Ng"),
        dataclasses.replace(BILLING, last_name=last_name),
        actor=app.actor,
    )


def _page(qtbot: QtBot, window: MainWindow, rows: int) -> ProfilesPage:
    page = window.profiles_page
    assert page is not None
    window.open_view("profilesTab")
    qtbot.waitUntil(lambda: len(shown_rows(page.model) or []) == rows, timeout=10_000)
    return page


def _select(qtbot: QtBot, page: ProfilesPage, profile_id: int) -> None:
    """Select the method once the list (re-read after each change) has it."""
    qtbot.waitUntil(
        lambda: (
            not page.model.loading and any(p.id == profile_id for p in shown_rows(page.model) or [])
        ),
        timeout=10_000,
    )
    rows = shown_rows(page.model) or []
    row = next(i for i, p in enumerate(rows) if p.id == profile_id)
    page.table.setCurrentIndex(page.model.index(row, 0))


def _notice(page: ProfilesPage) -> QMessageBox:
    assert page.actions.notice is not None
    return page.actions.notice


def test_set_default_sync_validate_and_deactivate(qtbot: QtBot, app_context: AppContext) -> None:
    account = app_context.services.accounts.create_account(
        AccountInput(name="Litware"), actor=app_context.actor
    )
    first = _store(app_context, account, "One")
    second = _store(app_context, account, "Two", number="5424000000000015")
    window = open_main_window(qtbot, app_context)
    page = _page(qtbot, window, 2)

    _select(qtbot, page, second.id)
    qtbot.mouseClick(_button(page, "setDefaultButton"), Qt.MouseButton.LeftButton)
    queries = app_context.services.payment_profile_queries
    qtbot.waitUntil(lambda: queries.get(second.id).is_default, timeout=10_000)
    assert not queries.get(first.id).is_default

    _select(qtbot, page, second.id)
    page.actions.notice = None
    qtbot.mouseClick(_button(page, "validateButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.actions.notice is not None, timeout=10_000)
    assert _notice(page).windowTitle() == "Validation passed"

    # Deleted at the gateway behind the desk's back: Sync finds it gone.
    gateway = app_context.gateway
    assert gateway is not None
    gateway.delete_payment_profile(first.customer_profile_id, first.payment_profile_id)
    _select(qtbot, page, first.id)
    page.actions.notice = None
    qtbot.mouseClick(_button(page, "syncButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.actions.notice is not None, timeout=10_000)
    assert "no longer exists at the gateway" in _notice(page).text()
    qtbot.waitUntil(lambda: queries.get(first.id).gateway_missing_at is not None, timeout=10_000)

    # Delete asks; Cancel keeps it, Deactivate removes it at the gateway and keeps it here.
    qtbot.waitUntil(lambda: len(shown_rows(page.model) or []) == 2, timeout=10_000)
    _select(qtbot, page, second.id)
    qtbot.keyClick(page.table, Qt.Key.Key_Delete)
    question = _notice(page)
    assert "Deactivate" in question.text() and "Litware" in question.text()
    qtbot.mouseClick(question.defaultButton(), Qt.MouseButton.LeftButton)
    assert queries.get(second.id).usable
    _select(qtbot, page, second.id)
    deactivate = page.actions.deactivate(queries.get(second.id))
    yes = next(b for b in deactivate.buttons() if b.text() == "Deactivate")
    qtbot.mouseClick(yes, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not queries.get(second.id).usable, timeout=10_000)
    assert queries.get(second.id).status.label == "Inactive"


def _button(page: ProfilesPage, name: str) -> QPushButton:
    found = page.form.findChild(QPushButton, name)
    assert found is not None
    return found


def test_filters_and_the_context_menu(qtbot: QtBot, app_context: AppContext) -> None:
    account = app_context.services.accounts.create_account(
        AccountInput(name="Northwind"), actor=app_context.actor
    )
    soon = _store(app_context, account, "Soon", year="2026")  # the clock is January 2026
    _store(app_context, account, "Later")
    window = open_main_window(qtbot, app_context)
    page = _page(qtbot, window, 2)
    page.expiring_check.setChecked(True)
    page.expiring_days.setValue(365)
    qtbot.waitUntil(lambda: [p.id for p in shown_rows(page.model) or []] == [soon.id],
                    timeout=10_000)  # fmt: skip
    page.expiring_check.setChecked(False)
    page.status_filter.setCurrentIndex(page.status_filter.findData(ProfileFilter.INACTIVE))
    qtbot.waitUntil(lambda: page.model.total == 0 and not page.model.loading, timeout=10_000)
    page.status_filter.setCurrentIndex(page.status_filter.findData(ProfileFilter.ACTIVE))
    qtbot.waitUntil(lambda: len(shown_rows(page.model) or []) == 2, timeout=10_000)
    _select(qtbot, page, soon.id)
    menu = page.context_menu()
    texts = [a.text() for a in menu.actions() if a.text()]
    assert texts[0].startswith("Open Account")
    assert {"Sync with Gateway", "Validate", "Deactivate…\tDel"} <= set(texts)
    # Enter opens the account the method belongs to.
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: account.id in window.account_windows, timeout=10_000)

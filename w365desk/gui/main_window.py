"""The main window: the views (Accounts, Payment Profiles, Settings), the menus and the
status bar; window layout and column widths kept per desktop.

It is built in two steps so the first paint never waits for anything slow: the form,
menus and saved layout first (``MainWindow(layout)``), the services once the desk
session is open (``attach``), and the views fill in from the database in the background.
"""

from __future__ import annotations

import base64
import dataclasses
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStatusBar,
    QTableView,
    QTabWidget,
    QWidget,
)

from w365desk import __version__
from w365desk.gui.changes import Change, DataChanges, Operations, Topic
from w365desk.gui.prompts import ask, tell, tell_error
from w365desk.gui.session import DeskStatus, WindowLayout, WindowLayoutStore
from w365desk.gui.uiload import child, load_form
from w365desk.gui.widgets import ElidedLabel
from w365desk.gui.workers import BackgroundRunner

if TYPE_CHECKING:
    # The views (and the services under them) load in the background while the
    # window's first paint is on screen; see VIEW_MODULES and ``attach``.
    from w365desk.gui.account_window import AccountWindow
    from w365desk.gui.accounts_page import AccountsPage
    from w365desk.gui.payment_dialog import PaymentDialog
    from w365desk.gui.profiles_page import ProfilesPage
    from w365desk.gui.settings_page import SettingsPage
    from w365desk.services.accounts import AccountView
    from w365desk.services.actors import Actor
    from w365desk.services.bundle import Services

log = logging.getLogger(__name__)

ENVIRONMENT_BADGES = {
    "offline_sandbox": ("OFFLINE SANDBOX", "background: #e8f0fe; color: #174ea6;"),
    "sandbox": ("SANDBOX", "background: #fef7e0; color: #8a5300;"),
    "production": ("PRODUCTION", "background: #c5221f; color: #ffffff; font-weight: 700;"),
}
TABLES = ("accountsTable", "profilesTable")
# Longest the other views wait for the accounts list to show before they are built.
OTHER_VIEWS_DELAY_MS = 400
# Imported off the GUI thread before ``attach`` (they pull in the services and the
# database layer), so that neither the first paint nor the window waits for them.
VIEW_MODULES = (
    "w365desk.gui.accounts_page",
    "w365desk.gui.profiles_page",
    "w365desk.gui.settings_page",
    "w365desk.gui.account_window",
    "w365desk.gui.payment_dialog",
)


class MainWindow(QObject):
    """Controller owning the loaded ``ui/main_window.ui`` form."""

    # Emitted once the services are attached and the views are filling in.
    attached = Signal()

    def __init__(self, layout: WindowLayoutStore, data_folder: str = "") -> None:
        super().__init__()
        self._layout = layout
        self._data_folder = data_folder
        loaded = load_form("main_window.ui")
        assert isinstance(loaded, QMainWindow)
        self.window = loaded
        self.window.setWindowTitle("w365desk — payment desk")
        self.runner = BackgroundRunner(self.window)
        self.changes = DataChanges(self.window)
        self.operations = Operations(self.runner, self.changes)
        self.tabs = child(self.window, QTabWidget, "tabs")
        status_bar = child(self.window, QStatusBar, "statusBar")
        self.environment_label = QLabel(" Opening… ")
        self.environment_label.setObjectName("environmentBadge")
        self.gateway_label = ElidedLabel("Gateway: starting…")
        self.database_label = ElidedLabel("Database: opening…")
        status_bar.addPermanentWidget(self.environment_label)
        status_bar.addPermanentWidget(self.gateway_label)
        status_bar.addPermanentWidget(self.database_label)
        self.tabs.setEnabled(False)  # until the services are there
        self.accounts_page: AccountsPage | None = None
        self.profiles_page: ProfilesPage | None = None
        self.settings_page: SettingsPage | None = None
        self.account_windows: dict[int, AccountWindow] = {}
        self.payment_dialogs: dict[int, PaymentDialog] = {}
        self._status = DeskStatus(database="", gateway="")
        self._closing = False
        self._others_attached = False
        self.question: QMessageBox | None = None
        self.about_box: QMessageBox | None = None
        self._services: Services | None = None
        self._actor: Actor | None = None
        self._restore_layout()
        self._connect_actions()
        self.window.installEventFilter(self)

    # ------------------------------------------------------------------ start-up

    def attach(self, services: Services, actor: Actor, status: DeskStatus) -> None:
        """The desk session is open: the accounts list first (what staff look at), then,
        on the next turn of the event loop, the other views; ``attached`` when all are."""
        from w365desk.gui.accounts_page import AccountsPage

        self._services, self._actor = services, actor
        self.accounts_page = AccountsPage(
            self.window, services, actor, self.operations, offer_demo=status.offline
        )
        self.accounts_page.open_requested.connect(self.open_account)
        self.accounts_page.add_payment_requested.connect(self.create_payment_profile)
        self._status = status
        self.show_status(status)
        self._restore_headers(("accountsTable",))
        self.tabs.setEnabled(True)
        self.accounts_page.refresh()
        # The other views are built once the list has shown (building their forms
        # holds the interpreter, which the list's query needs too), or after a moment
        # if the database is slow to answer.
        self._others_attached = False
        viewport = self.accounts_page.table.viewport()
        self.accounts_page.loaded.connect(
            lambda _count: after_next_paint(viewport, self._attach_other_views)
        )
        QTimer.singleShot(OTHER_VIEWS_DELAY_MS, self._attach_other_views)

    def _attach_other_views(self) -> None:
        if self._others_attached:
            return
        self._others_attached = True
        from w365desk.gui.profiles_page import ProfilesPage
        from w365desk.gui.settings_page import SettingsPage

        services, actor = self._services, self._actor
        assert services is not None and actor is not None
        self.profiles_page = ProfilesPage(
            child(self.window, QWidget, "profilesTab"), services, actor, self.operations
        )
        self.profiles_page.open_account_requested.connect(self.open_account)
        self.settings_page = SettingsPage(
            child(self.window, QWidget, "settingsTab"), services, actor, self.operations
        )
        self.settings_page.gateway_changed.connect(self._gateway_changed)
        self._restore_headers(("profilesTable",))
        self.profiles_page.refresh()
        self.settings_page.load()
        self.changes.changed.connect(self._data_changed)
        self.attached.emit()

    def show(self) -> None:
        self.window.show()

    def show_status(self, status: DeskStatus) -> None:
        badge, style = ENVIRONMENT_BADGES.get(status.environment, ENVIRONMENT_BADGES["sandbox"])
        self.environment_label.setText(f" {badge} ")
        self.environment_label.setStyleSheet(f"{style} padding: 1px 8px; border-radius: 3px;")
        self.environment_label.setToolTip(
            "Real cards are charged: production."
            if status.environment == "production"
            else "No real money moves in this environment."
        )
        self.gateway_label.set_full_text(f"Gateway: {status.gateway}")
        self.database_label.set_full_text(f"Database: {status.database}")
        production = status.environment == "production"
        bar = child(self.window, QStatusBar, "statusBar")
        bar.setStyleSheet("QStatusBar { background: #fce8e6; }" if production else "")

    def _gateway_changed(self, description: str, environment: str) -> None:
        self._status = dataclasses.replace(
            self._status, gateway=description, environment=environment
        )
        self.show_status(self._status)

    # ------------------------------------------------------------------ menus and keys

    def _action(self, name: str) -> QAction:
        found = self.window.findChild(QAction, name)
        if found is None:
            raise LookupError(f"form has no action {name!r}")
        return found

    def _connect_actions(self) -> None:
        handlers: dict[str, Callable[[], object]] = {
            "newAccountAction": lambda: self._on_accounts(lambda p: p.open_new_account()),
            "importAction": lambda: self._on_accounts(lambda p: p.open_import()),
            "quitAction": self.window.close,
            "findAction": self._find,
            "openAction": self._open_current,
            "deactivateAction": self._deactivate_current,
            "createProfileAction": self._create_profile_for_current,
            "accountsViewAction": lambda: self.open_view("accountsTab"),
            "profilesViewAction": lambda: self.open_view("profilesTab"),
            "settingsViewAction": lambda: self.open_view("settingsTab"),
            "refreshAction": self._refresh,
            "aboutAction": self.show_about,
        }
        for name, handler in handlers.items():
            self._action(name).triggered.connect(handler)

    def _on_accounts(self, act: Callable[[AccountsPage], object]) -> None:
        if self.accounts_page is not None:
            self.open_view("accountsTab")
            act(self.accounts_page)

    def open_view(self, name: str) -> None:
        self.tabs.setCurrentWidget(child(self.window, QWidget, name))

    def current_view(self) -> str:
        current = self.tabs.currentWidget()
        return current.objectName() if current is not None else ""

    def _find(self) -> None:
        if self.current_view() == "profilesTab" and self.profiles_page is not None:
            self.profiles_page.table.setFocus()
            return
        self._on_accounts(lambda page: page.focus_search())

    def _open_current(self) -> None:
        if self.current_view() == "profilesTab" and self.profiles_page is not None:
            self.profiles_page.open_selected_account()
        elif self.accounts_page is not None:
            self.accounts_page.open_selected()

    def _create_profile_for_current(self) -> None:
        """Create Payment Profile for the account selected in the view shown."""
        if self.current_view() == "profilesTab" and self.profiles_page is not None:
            profile = self.profiles_page.selected()
            if profile is not None:
                self.create_payment_profile(profile.account_id)
        elif self.accounts_page is not None:
            account_id = self.accounts_page.selected_account_id()
            if account_id is not None:
                self.create_payment_profile(account_id)

    def _deactivate_current(self) -> None:
        if self.current_view() == "profilesTab" and self.profiles_page is not None:
            self.profiles_page.deactivate_selected()
        elif self.accounts_page is not None:
            self.accounts_page.deactivate_selected()

    def _refresh(self) -> None:
        if self.accounts_page is not None:
            self.accounts_page.refresh()
        if self.profiles_page is not None:
            self.profiles_page.refresh()

    def show_about(self) -> QMessageBox:
        folder = f"\n\nData folder: {self._data_folder}" if self._data_folder else ""
        self.about_box = tell(
            self.window,
            "About w365desk",
            f"w365desk {__version__}\nA payment desk for resellers on Authorize.Net.{folder}",
        )
        return self.about_box

    # ------------------------------------------------------------------ accounts

    def open_account(self, account_id: int) -> None:
        """Show the account page (one window per account; opening again raises it)."""
        existing = self.account_windows.get(account_id)
        if existing is not None:
            existing.raise_()
            return
        self._with_account(account_id, self._show_account)

    def _with_account(self, account_id: int, then: Callable[[AccountView], object]) -> None:
        """Read the account in the background, then hand it to ``then``."""
        services = self._services
        if services is None:
            return
        self.operations.query(
            lambda: services.account_queries.get_account(account_id),
            on_success=then,
            on_error=lambda error: tell_error(self.window, "Could not open the account", error),
        )

    def _show_account(self, view: AccountView) -> AccountWindow:
        from w365desk.gui.account_window import AccountWindow

        assert self._services is not None and self._actor is not None
        window = AccountWindow(view, self._services, self._actor, self.operations, self.window)
        window.payment_requested.connect(self.create_payment_profile)
        window.closed.connect(lambda account_id: self.account_windows.pop(account_id, None))
        self.account_windows[view.id] = window
        window.show()
        return window

    def create_payment_profile(self, account_id: int) -> None:
        """Open Create Payment Profile for the account (or raise the one already open)."""
        existing = self.payment_dialogs.get(account_id)
        if existing is not None:
            existing.dialog.show()
            existing.dialog.raise_()
            existing.dialog.activateWindow()
            return
        self._with_account(account_id, self._open_payment_dialog)

    def _open_payment_dialog(self, view: AccountView) -> PaymentDialog:
        from w365desk.gui.payment_dialog import PaymentDialog

        assert self._services is not None and self._actor is not None
        # Owned by the main window, not the account page: closing the page must not
        # take half-typed payment details with it.
        dialog = PaymentDialog(view, self._services, self._actor, self.operations, self.window)
        dialog.open_settings_requested.connect(lambda: self.open_settings("gateway"))
        dialog.dialog.finished.connect(lambda _result: self.payment_dialogs.pop(view.id, None))
        self.payment_dialogs[view.id] = dialog
        dialog.dialog.show()
        return dialog

    def open_settings(self, page: str) -> None:
        self.open_view("settingsTab")
        if self.settings_page is not None:
            self.settings_page.show_page(page)
        self.window.raise_()
        self.window.activateWindow()

    def _data_changed(self, change: Change) -> None:
        if change.touches(Topic.SETTINGS) and self.settings_page is not None:
            self.settings_page.load()

    # ------------------------------------------------------------------ layout

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Close:
            unsaved = self.unsaved_work()
            if not self._closing and unsaved:
                event.ignore()
                self.question = ask(
                    self.window,
                    "Unsaved changes",
                    f"{' and '.join(unsaved)} are not saved. Quit and lose them?",
                    yes="Quit Without Saving",
                    no="Keep Editing",
                    on_yes=self._close_anyway,
                )
                return True
            self._save_layout()
            self.runner.stop()
            for window in list(self.account_windows.values()):
                window.dialog.close()
            for dialog in list(self.payment_dialogs.values()):
                dialog.dialog.reject()
        return False

    def unsaved_work(self) -> list[str]:
        """What closing now would throw away, in words."""
        found = []
        if self.settings_page is not None and self.settings_page.dirty:
            found.append("Changed settings")
        if any(dialog.guard.dirty for dialog in self.payment_dialogs.values()):
            found.append("Payment details being typed")
        return found

    def _close_anyway(self) -> None:
        self._closing = True
        self.window.close()

    def _tables(self) -> dict[str, QTableView]:
        found = {}
        for name in TABLES:
            table = self.window.findChild(QTableView, name)
            if table is not None:
                found[name] = table
        return found

    def _restore_layout(self) -> None:
        layout = self._layout.load()
        if layout.geometry:
            self.window.restoreGeometry(QByteArray(base64.b64decode(layout.geometry)))
        if layout.state:
            self.window.restoreState(QByteArray(base64.b64decode(layout.state)))
        if layout.last_view:
            for index in range(self.tabs.count()):
                page = self.tabs.widget(index)
                if page is not None and page.objectName() == layout.last_view:
                    self.tabs.setCurrentIndex(index)

    def _restore_headers(self, names: tuple[str, ...]) -> None:
        headers = self._layout.load().headers
        for name, table in self._tables().items():
            saved = headers.get(name) if name in names else None
            header: QHeaderView = table.horizontalHeader()
            if saved:
                header.restoreState(QByteArray(base64.b64decode(saved)))

    def _save_layout(self) -> None:
        current = self.tabs.currentWidget()
        self._layout.save(
            WindowLayout(
                geometry=_encoded(self.window.saveGeometry()),
                state=_encoded(self.window.saveState()),
                last_view=current.objectName() if current is not None else None,
                headers={
                    name: _encoded(table.horizontalHeader().saveState())
                    for name, table in self._tables().items()
                },
            )
        )


class _NextPaint(QObject):
    def __init__(self, widget: QWidget, then: Callable[[], object]) -> None:
        super().__init__(widget)
        self._then = then
        widget.installEventFilter(self)
        widget.update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self._then)  # once this paint is on screen
            self.deleteLater()
        return False


def after_next_paint(widget: QWidget | None, then: Callable[[], object]) -> None:
    """Run ``then`` just after ``widget`` next paints (at once if there is no widget)."""
    if widget is None:
        then()
    else:
        _NextPaint(widget, then)


def _encoded(saved: QByteArray) -> str:
    return base64.b64encode(bytes(saved.data())).decode("ascii")

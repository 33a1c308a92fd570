"""The main window: tabs over the services, window state kept per desktop."""

from __future__ import annotations

import base64
import dataclasses
import logging

from PySide6.QtCore import QByteArray, QEvent, QObject
from PySide6.QtWidgets import QLabel, QMainWindow, QStatusBar, QTabWidget

from w365desk.app import AppContext
from w365desk.gui.accounts_page import AccountsPage
from w365desk.gui.uiload import child, load_form
from w365desk.gui.workers import BackgroundRunner
from w365desk.settings import SettingsError, save_desktop_settings

log = logging.getLogger(__name__)


class MainWindow(QObject):
    """Controller owning the loaded ``ui/main_window.ui`` form."""

    def __init__(self, app: AppContext) -> None:
        super().__init__()
        self.app = app
        self.window: QMainWindow = load_form("main_window.ui")  # type: ignore[assignment]
        self.window.setWindowTitle("w365desk — payment desk")
        self.runner = BackgroundRunner(self.window)
        self.tabs = child(self.window, QTabWidget, "tabs")
        self.accounts_page = AccountsPage(self.window, app.accounts, app.importer, self.runner)
        status = child(self.window, QStatusBar, "statusBar")
        self.database_label = QLabel(f"Database: {app.database_label}")
        self.gateway_label = QLabel(f"Gateway: {app.gateway_connection.description}")
        status.addPermanentWidget(self.gateway_label)
        status.addPermanentWidget(self.database_label)
        self._restore_state()
        self.window.installEventFilter(self)

    def show(self) -> None:
        self.window.show()
        self.accounts_page.refresh()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Close:
            self._save_state()
            self.runner.stop()
        return False

    def _restore_state(self) -> None:
        desktop = self.app.desktop
        if desktop.window_geometry:
            self.window.restoreGeometry(QByteArray(base64.b64decode(desktop.window_geometry)))
        if desktop.window_state:
            self.window.restoreState(QByteArray(base64.b64decode(desktop.window_state)))
        if desktop.last_tab:
            for index in range(self.tabs.count()):
                if self.tabs.widget(index).objectName() == desktop.last_tab:
                    self.tabs.setCurrentIndex(index)

    def _save_state(self) -> None:
        geometry = bytes(self.window.saveGeometry().data())
        state = bytes(self.window.saveState().data())
        desktop = dataclasses.replace(
            self.app.desktop,
            window_geometry=base64.b64encode(geometry).decode("ascii"),
            window_state=base64.b64encode(state).decode("ascii"),
            last_tab=self.tabs.currentWidget().objectName(),
        )
        try:
            save_desktop_settings(desktop)
        except SettingsError as error:
            # E.g. a hand-edited database URL with a password: keep running, say why.
            log.warning("window state not saved: %s", error)
            return
        self.app.desktop = desktop

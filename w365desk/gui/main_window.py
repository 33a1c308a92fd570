"""The main window: tabs over the services, window layout kept per desktop."""

from __future__ import annotations

import base64
import logging

from PySide6.QtCore import QByteArray, QEvent, QObject
from PySide6.QtWidgets import QMainWindow, QStatusBar, QTabWidget

from w365desk.gui.accounts_page import AccountsPage
from w365desk.gui.changes import DataChanges, Operations
from w365desk.gui.session import DeskStatus, WindowLayout, WindowLayoutStore
from w365desk.gui.uiload import child, load_form
from w365desk.gui.widgets import ElidedLabel
from w365desk.gui.workers import BackgroundRunner
from w365desk.services.actors import Actor
from w365desk.services.bundle import Services

log = logging.getLogger(__name__)


class MainWindow(QObject):
    """Controller owning the loaded ``ui/main_window.ui`` form.

    Given the services it uses, who works at this desk, what the status bar says and
    where the layout is kept; it builds one runner and one change notification that
    every page and dialog shares.
    """

    def __init__(
        self,
        services: Services,
        actor: Actor,
        status: DeskStatus,
        layout: WindowLayoutStore,
    ) -> None:
        super().__init__()
        self._layout = layout
        loaded = load_form("main_window.ui")
        assert isinstance(loaded, QMainWindow)
        self.window = loaded
        self.window.setWindowTitle("w365desk — payment desk")
        self.runner = BackgroundRunner(self.window)
        self.changes = DataChanges(self.window)
        self.operations = Operations(self.runner, self.changes)
        self.tabs = child(self.window, QTabWidget, "tabs")
        self.accounts_page = AccountsPage(self.window, services, actor, self.operations)
        status_bar = child(self.window, QStatusBar, "statusBar")
        self.database_label = ElidedLabel(f"Database: {status.database}")
        self.gateway_label = ElidedLabel(f"Gateway: {status.gateway}")
        status_bar.addPermanentWidget(self.gateway_label)
        status_bar.addPermanentWidget(self.database_label)
        self._restore_layout()
        self.window.installEventFilter(self)

    def show(self) -> None:
        self.window.show()
        self.accounts_page.refresh()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Close:
            self._save_layout()
            self.runner.stop()
        return False

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

    def _save_layout(self) -> None:
        current = self.tabs.currentWidget()
        self._layout.save(
            WindowLayout(
                geometry=_encoded(self.window.saveGeometry()),
                state=_encoded(self.window.saveState()),
                last_view=current.objectName() if current is not None else None,
            )
        )


def _encoded(saved: QByteArray) -> str:
    return base64.b64encode(bytes(saved.data())).decode("ascii")

"""Start the desktop app: Qt application, main window, then the desk session.

The session (database, gateway, services) is opened by a function the composition
root hands in, off the GUI thread, so this module never decides which parts are used,
and the window is on screen before any of it is ready.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from w365desk.gui.main_window import VIEW_MODULES, MainWindow
from w365desk.gui.session import DeskSession, WindowLayoutStore
from w365desk.locations import resource_path


def apply_look(qt_app: QApplication) -> None:
    """The app's icon and style sheet, shipped in ``resources/``."""
    qt_app.setWindowIcon(QIcon(str(resource_path("resources", "icons", "w365desk.png"))))
    qt_app.setStyleSheet(resource_path("resources", "styles", "app.qss").read_text("utf-8"))


SELF_TEST_TIMEOUT_MS = 60_000


def _arm_self_test(qt_app: QApplication, window: MainWindow, session: DeskSession) -> None:
    """Quit with 0 once the main window has listed accounts, or 1 if it never does.

    Lets an installer or the frozen-build test prove that Qt, the forms, the database
    and the gateway all come up in this installation, without anyone at the screen.
    """

    def passed(count: int) -> None:
        print(
            f"self-test ok: {count} account(s) listed; database {session.status.database}; "
            f"gateway {session.status.gateway}",
            flush=True,
        )
        qt_app.exit(0)

    assert window.accounts_page is not None
    window.accounts_page.loaded.connect(passed)


def _application() -> QApplication:
    existing = QCoreApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    return QApplication(sys.argv)


def run_gui(
    open_session: Callable[[], DeskSession],
    layout: WindowLayoutStore,
    *,
    data_folder: str = "",
    self_test: bool = False,
) -> int:
    """Paint the main window at once, open the desk session behind it, then fill it in.

    Opening a shared database can wait on a migration lock, the keyring may ask to be
    unlocked, the SDK takes a moment to import and the sandbox has to start: all of it
    runs off the GUI thread while the window already shows (and says it is opening).
    """
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    qt_app = _application()
    qt_app.setApplicationName("w365desk")
    qt_app.setOrganizationName("w365desk")
    apply_look(qt_app)
    window = MainWindow(layout, data_folder)
    window.show()
    sessions: list[DeskSession] = []

    def opened(session: DeskSession) -> None:
        sessions.append(session)
        window.attach(session.services, session.actor, session.status)
        if self_test:
            _arm_self_test(qt_app, window, session)

    def failed(error: Exception) -> None:
        # Nothing can work without the session: say what failed and stop.
        if self_test:
            print(f"self-test failed: {type(error).__name__}: {error}", flush=True)
        else:
            QMessageBox.critical(
                window.window, "w365desk could not start", f"{type(error).__name__}: {error}"
            )
        qt_app.exit(1)

    def open_behind_the_window() -> DeskSession:
        session = open_session()
        for module in VIEW_MODULES:
            importlib.import_module(module)
        return session

    window.runner.submit(open_behind_the_window, opened, failed)
    if self_test:

        def timed_out() -> None:
            print("self-test failed: the main window did not list accounts in time", flush=True)
            qt_app.exit(1)

        QTimer.singleShot(SELF_TEST_TIMEOUT_MS, timed_out)
    try:
        return qt_app.exec()
    finally:
        window.window.hide()
        window.runner.stop()
        window.runner.wait_for_done()
        for session in sessions:
            session.close()

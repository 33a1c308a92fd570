"""Start the desktop app: Qt application, splash, the desk session, main window.

The session (database, gateway, services) is opened by a function the composition
root hands in, off the GUI thread, so this module never decides which parts are used.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEventLoop, Qt, QTimer
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QApplication, QMessageBox, QSplashScreen

from w365desk.gui.main_window import MainWindow
from w365desk.gui.session import DeskSession
from w365desk.gui.workers import BackgroundRunner
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

    def timed_out() -> None:
        print("self-test failed: the main window did not list accounts in time", flush=True)
        qt_app.exit(1)

    window.accounts_page.loaded.connect(passed)
    QTimer.singleShot(SELF_TEST_TIMEOUT_MS, timed_out)


def start_with_splash(qt_app: QApplication, open_session: Callable[[], DeskSession]) -> DeskSession:
    """Build the app off the GUI thread behind a splash screen.

    Opening a shared database can wait on a migration lock, the keyring may ask to be
    unlocked and the sandbox has to start: the splash keeps painting meanwhile, so the
    app never looks hung and is not started a second time.
    """
    icon = QPixmap(str(resource_path("resources", "icons", "w365desk.png")))
    splash = QSplashScreen(icon.scaled(160, 160, Qt.AspectRatioMode.KeepAspectRatio))
    splash.showMessage(
        "Opening the database and the payment gateway…",
        Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignHCenter,
    )
    splash.show()
    outcome: list[DeskSession | Exception] = []
    waiting = QEventLoop()

    def finish(result: DeskSession | Exception) -> None:
        outcome.append(result)
        waiting.quit()

    runner = BackgroundRunner()
    runner.submit(open_session, finish, finish)
    if not outcome:  # the job may already have reported
        waiting.exec()
    splash.close()
    result = outcome[0]
    if isinstance(result, Exception):
        raise result
    return result


def _application() -> QApplication:
    existing = QCoreApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    return QApplication(sys.argv)


def run_gui(open_session: Callable[[], DeskSession], *, self_test: bool = False) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    qt_app = _application()
    qt_app.setApplicationName("w365desk")
    qt_app.setOrganizationName("w365desk")
    apply_look(qt_app)
    try:
        session = start_with_splash(qt_app, open_session)
    except Exception as error:  # nothing else can be shown yet: say what failed and stop
        if self_test:
            print(f"self-test failed: {type(error).__name__}: {error}", flush=True)
        else:
            QMessageBox.critical(
                None, "w365desk could not start", f"{type(error).__name__}: {error}"
            )
        return 1
    window = MainWindow(session.services, session.actor, session.status, session.window_layout)
    if self_test:
        _arm_self_test(qt_app, window, session)
    window.show()
    try:
        return qt_app.exec()
    finally:
        window.runner.wait_for_done()
        session.close()

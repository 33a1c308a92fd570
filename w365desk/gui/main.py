"""Start the desktop app: Qt application, composition root, main window."""

from __future__ import annotations

import logging
import sys

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from w365desk.app import build_app
from w365desk.locations import resource_path


def apply_look(qt_app: QApplication) -> None:
    """The app's icon and style sheet, shipped in ``resources/``."""
    qt_app.setWindowIcon(QIcon(str(resource_path("resources", "icons", "w365desk.png"))))
    qt_app.setStyleSheet(resource_path("resources", "styles", "app.qss").read_text("utf-8"))


def run_gui() -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    qt_app = QApplication.instance() or QApplication(sys.argv)
    qt_app.setApplicationName("w365desk")
    qt_app.setOrganizationName("w365desk")
    apply_look(qt_app)
    try:
        app = build_app()
    except Exception as error:  # nothing else can be shown yet: say what failed and stop
        QMessageBox.critical(None, "w365desk could not start", f"{type(error).__name__}: {error}")
        return 1
    from w365desk.gui.main_window import MainWindow

    window = MainWindow(app)
    window.show()
    try:
        return qt_app.exec()
    finally:
        window.runner.wait_for_done()
        app.close()

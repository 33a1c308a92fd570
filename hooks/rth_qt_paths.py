"""PyInstaller run-time hook used instead of PyInstaller's own ``pyi_rth_pyside6``.

The stock hook imports ``PySide6.QtCore`` at every start-up (to embed a ``qt.conf``),
which loads Qt into ``w365desk --version`` and ``w365desk db upgrade`` too. The PyPI
PySide6 wheels embed their own relocatable ``qt.conf`` when first imported, so all that
is left to do here is to point Qt at the bundled plugins; importing Qt stays the GUI's
business.
"""

import os
import sys


def _point_qt_at_bundled_plugins() -> None:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is None:
        return
    # Same layout PyInstaller's PySide6 hooks collect into: Qt/ below PySide6/ except on Windows.
    if sys.platform.startswith("win"):
        qt_root = os.path.join(bundle, "PySide6")
    else:
        qt_root = os.path.join(bundle, "PySide6", "Qt")
    os.environ["QT_PLUGIN_PATH"] = os.path.join(qt_root, "plugins")


_point_qt_at_bundled_plugins()

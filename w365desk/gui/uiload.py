"""Load Qt Designer forms from ``ui/`` at run time (source checkout or frozen bundle)."""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtCore import QFile, QIODevice
from PySide6.QtUiTools import QUiLoader
from PySide6.QtWidgets import QWidget

from w365desk.locations import resource_path

W = TypeVar("W", bound=QWidget)


def load_form(name: str, parent: QWidget | None = None) -> QWidget:
    """Build the widget tree described by ``ui/<name>``."""
    path = resource_path("ui", name)
    file = QFile(str(path))
    if not file.open(QIODevice.OpenModeFlag.ReadOnly):
        raise OSError(f"cannot open form {path}: {file.errorString()}")
    try:
        widget = QUiLoader().load(file, parent)
    finally:
        file.close()
    if widget is None:
        raise RuntimeError(f"form {path} could not be loaded")
    return widget


def child(root: QWidget, kind: type[W], name: str) -> W:
    """A named child of a loaded form, with its type checked so typos fail loudly."""
    found = root.findChild(kind, name)
    if found is None:
        raise LookupError(f"form has no {kind.__name__} named {name!r}")
    return found

"""Questions and notices that never block the event loop (window-modal, answered later).

Every destructive action asks first; the answer arrives as a callback, so background
work keeps reporting and tests can answer the question by clicking its button.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import shiboken6
from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget

from w365desk.gui.messages import describe_error


def _still_there(parent: QWidget | None) -> QWidget | None:
    """``parent`` unless its window has closed meanwhile (the answer of background work
    may arrive after): then the message stands on its own."""
    return parent if parent is not None and shiboken6.isValid(parent) else None


def ask(
    parent: QWidget | None,
    title: str,
    text: str,
    *,
    yes: str,
    on_yes: Callable[[], object],
    no: str = "Cancel",
    on_no: Callable[[], object] | None = None,
    informative: str = "",
    destructive: bool = True,
) -> QMessageBox:
    """A question with two answers; ``no`` is the default (Esc and Enter both say it)."""
    box = QMessageBox(
        QMessageBox.Icon.Warning if destructive else QMessageBox.Icon.Question,
        title,
        text,
        parent=_still_there(parent),
    )
    if informative:
        box.setInformativeText(informative)
    yes_button = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
    no_button = box.addButton(no, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(no_button)
    box.setEscapeButton(no_button)

    def answered(button: QAbstractButton) -> None:
        if button is yes_button:
            on_yes()
        elif on_no is not None:
            on_no()

    box.buttonClicked.connect(answered)
    box.finished.connect(box.deleteLater)
    box.open()
    return box


def choose(
    parent: QWidget | None,
    title: str,
    text: str,
    choices: Sequence[tuple[str, Callable[[], object]]],
    *,
    details: str = "",
    cancel: str = "Cancel",
) -> QMessageBox:
    """A question with several answers and Cancel (the default)."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=_still_there(parent))
    if details:
        box.setDetailedText(details)
    actions: dict[QAbstractButton, Callable[[], object]] = {}
    for label, action in choices:
        actions[box.addButton(label, QMessageBox.ButtonRole.AcceptRole)] = action
    cancel_button = box.addButton(cancel, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(cancel_button)
    box.setEscapeButton(cancel_button)

    def answered(button: QAbstractButton) -> None:
        action = actions.get(button)
        if action is not None:
            action()

    box.buttonClicked.connect(answered)
    box.finished.connect(box.deleteLater)
    box.open()
    return box


def tell(
    parent: QWidget | None, title: str, text: str, *, warning: bool = False, details: str = ""
) -> QMessageBox:
    box = QMessageBox(
        QMessageBox.Icon.Warning if warning else QMessageBox.Icon.Information,
        title,
        text,
        parent=_still_there(parent),
    )
    if details:
        box.setDetailedText(details)
    box.finished.connect(box.deleteLater)
    box.open()
    return box


def tell_error(parent: QWidget | None, title: str, error: Exception) -> QMessageBox:
    return tell(parent, title, describe_error(error), warning=True)

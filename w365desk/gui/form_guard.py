"""Keeping what staff typed: a dialog with unsaved changes asks before it closes, and one
that is saving cannot be dismissed (the save would go on, unseen).

The guard watches the dialog's close event and Esc key and is told about Cancel; it asks
"Discard changes?" only when the form differs from what it was opened with.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QMessageBox

from w365desk.gui.prompts import ask


class FormGuard(QObject):
    def __init__(self, dialog: QDialog, snapshot: Callable[[], object]) -> None:
        super().__init__(dialog)
        self._dialog = dialog
        self._snapshot = snapshot
        self._clean = snapshot()
        self.busy = False
        self._closing = False
        self.question: QMessageBox | None = None
        dialog.installEventFilter(self)

    def mark_clean(self) -> None:
        """What the form holds now is what is stored."""
        self._clean = self._snapshot()

    @property
    def dirty(self) -> bool:
        return self._snapshot() != self._clean

    def request_close(self) -> None:
        """Cancel, Esc or the window's close button: ask first if anything was typed."""
        if self.busy:
            return
        if not self.dirty:
            self._close_now()
            return
        self.question = ask(
            self._dialog,
            "Discard changes?",
            "You have changes that are not saved. Close and lose them?",
            yes="Discard Changes",
            no="Keep Editing",
            on_yes=self._close_now,
        )

    def _close_now(self) -> None:
        self._closing = True
        self._dialog.reject()

    def close_after_save(self) -> None:
        self._closing = True
        self._dialog.accept()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is not self._dialog or self._closing:
            return False
        if event.type() == QEvent.Type.Close:
            event.ignore()
            self.request_close()
            return True
        if (
            isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Escape
        ):
            self.request_close()
            return True
        return False

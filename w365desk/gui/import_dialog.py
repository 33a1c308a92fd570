"""Importing accounts from CSV starts here: the file format, an example, then the file."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QMessageBox,
    QPushButton,
    QTextBrowser,
    QWidget,
)

from w365desk.gui.uiload import child, load_form
from w365desk.services.accounts.importing import (
    COLUMN_MEANINGS,
    EXAMPLE_CSV,
    IMPORT_COLUMNS,
    REQUIRED_COLUMNS,
)

CSV_FILTER = "CSV files (*.csv);;All files (*)"


def csv_format_html() -> str:
    """The file format as staff read it: what the file is, every column, an example."""
    rows = "".join(
        f"<tr><td><code>{column}</code>{' <b>(required)</b>' if column in REQUIRED_COLUMNS else ''}"
        f"</td><td>{html.escape(COLUMN_MEANINGS[column])}</td></tr>"
        for column in IMPORT_COLUMNS
    )
    return (
        "<h3>The file</h3>"
        "<p>A CSV file in UTF-8 (in Excel: <i>Save As → CSV UTF-8 (Comma delimited)</i>). "
        "The first line names the columns; only <code>account_name</code> is required, and "
        "columns may come in any order (case and spaces in their names do not matter).</p>"
        "<p>Each row is an account and, optionally, one of its contacts. To give an account "
        "more contacts, repeat its <code>account_number</code> on further rows and leave the "
        "account columns blank (or repeat them exactly).</p>"
        "<p>Every row is checked before anything is saved: if any row has a problem, nothing "
        "is imported and each problem is listed with its line number. Card numbers are "
        "never accepted in any column.</p>"
        f"<h3>Columns</h3><table cellspacing='4'>{rows}</table>"
        f"<h3>Example</h3><pre>{html.escape(EXAMPLE_CSV)}</pre>"
    )


class ImportDialog(QObject):
    """Shows the format; emits ``file_chosen`` with the path of the file to import."""

    file_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        loaded = load_form("import_dialog.ui", parent)
        assert isinstance(loaded, QDialog)
        self.dialog = loaded
        self.format_browser = child(self.dialog, QTextBrowser, "formatBrowser")
        self.format_browser.setHtml(csv_format_html())
        self.choose_button = child(self.dialog, QPushButton, "chooseFileButton")
        self.save_example_button = child(self.dialog, QPushButton, "saveExampleButton")
        buttons = child(self.dialog, QDialogButtonBox, "buttonBox")
        buttons.rejected.connect(self.dialog.reject)
        self.choose_button.clicked.connect(self._choose_file)
        self.save_example_button.clicked.connect(self._save_example)
        self.dialog.finished.connect(self.dialog.deleteLater)
        self.dialog.finished.connect(self.deleteLater)

    def open(self) -> None:
        self.dialog.open()  # window-modal without blocking the event loop

    def choose(self, path: str) -> None:
        """Import ``path`` (what the file picker does; tests call it directly)."""
        self.dialog.accept()
        self.file_chosen.emit(path)

    def save_example(self, path: str) -> None:
        """Write the example file to ``path`` for staff to fill in."""
        try:
            Path(path).write_text(EXAMPLE_CSV, encoding="utf-8")
        except OSError as error:
            QMessageBox.warning(
                self.dialog,
                "Example not saved",
                f"The example file could not be saved ({error.strerror or type(error).__name__}).",
            )

    def _choose_file(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self.dialog, "Import accounts from CSV", "", CSV_FILTER
        )
        if path:
            self.choose(path)

    def _save_example(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(
            self.dialog, "Save example CSV file", "accounts-example.csv", CSV_FILTER
        )
        if path:
            self.save_example(path)

"""Import accounts from a CSV file in the background and report the outcome."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from w365desk.gui.changes import Operations, Topic
from w365desk.services.accounts import AccountImporter, ImportReport
from w365desk.services.actors import Actor

MAX_PROBLEMS_SHOWN = 15


def describe_report(report: ImportReport, file_name: str) -> tuple[str, str, str]:
    """(title, summary, details) for the outcome of importing ``file_name``."""
    if report.ok:
        summary = (
            f"Imported {report.accounts_created} account(s) and "
            f"{report.contacts_created} contact(s) from {file_name}."
        )
        return "Import finished", summary, ""
    total = len(report.problems) + report.problems_not_listed
    summary = (
        f"{file_name} was not imported: {total} problem(s) found. "
        "Nothing was changed — fix the file and import it again."
    )
    lines = [str(problem) for problem in report.problems]
    shown = "\n".join(lines[:MAX_PROBLEMS_SHOWN])
    hidden = len(lines) - MAX_PROBLEMS_SHOWN + report.problems_not_listed
    if hidden > 0:
        shown += f"\n… and {hidden} more (see the details)."
    return "Import refused", f"{summary}\n\n{shown}", "\n".join(lines)


def run_import(
    parent: QWidget,
    operations: Operations,
    importer: AccountImporter,
    actor: Actor,
    path: str,
    finished: Callable[[QMessageBox, bool], None],
    show_format: Callable[[], object],
) -> None:
    """Import ``path`` in the background; ``finished(box, imported)`` once its outcome shows."""
    file_name = Path(path).name

    def show(report: ImportReport) -> None:
        title, summary, details = describe_report(report, file_name)
        icon = QMessageBox.Icon.Information if report.ok else QMessageBox.Icon.Warning
        box = QMessageBox(icon, title, summary, parent=parent)
        if details:
            box.setDetailedText(details)
        if not report.ok:
            box.setStandardButtons(QMessageBox.StandardButton.Ok)
            help_button = box.addButton("File Format…", QMessageBox.ButtonRole.HelpRole)
            help_button.clicked.connect(show_format)
        box.open()
        finished(box, report.ok)

    def failed(error: Exception) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Critical,
            "Import failed",
            f"{file_name} could not be imported ({type(error).__name__}). Nothing was changed.",
            parent=parent,
        )
        box.open()
        finished(box, False)

    operations.change(
        lambda: importer.import_accounts_csv(path, actor=actor),
        touches=lambda report: {Topic.ACCOUNTS, Topic.CONTACTS} if report.ok else set(),
        on_success=show,
        on_error=failed,
    )

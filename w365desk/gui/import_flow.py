"""Import accounts from a CSV file in the background and report the outcome.

A file that meets accounts already there is never imported twice: staff are shown the
matches and choose to skip them, update them from the file, or cancel.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from w365desk.gui.changes import Operations, Topic
from w365desk.gui.prompts import choose
from w365desk.services.accounts import AccountImporter, ImportReport
from w365desk.services.accounts.importing import OnExisting
from w365desk.services.actors import Actor

MAX_PROBLEMS_SHOWN = 15
MAX_MATCHES_SHOWN = 10


def describe_report(report: ImportReport, file_name: str) -> tuple[str, str, str]:
    """(title, summary, details) for the outcome of importing ``file_name``."""
    if report.ok:
        summary = (
            f"Imported {report.accounts_created} account(s) and "
            f"{report.contacts_created} contact(s) from {file_name}."
        )
        if report.accounts_updated:
            summary += f" {report.accounts_updated} existing account(s) were updated."
        if report.accounts_skipped:
            summary += f" {report.accounts_skipped} existing account(s) were left as they were."
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


def describe_matches(report: ImportReport, file_name: str) -> tuple[str, str]:
    """(question, details) for a file that describes accounts already there."""
    lines = [str(match) for match in report.matches]
    shown = "\n".join(lines[:MAX_MATCHES_SHOWN])
    if len(lines) > MAX_MATCHES_SHOWN:
        shown += f"\n… and {len(lines) - MAX_MATCHES_SHOWN} more (see the details)."
    question = (
        f"{len(lines)} row(s) of {file_name} describe accounts that already exist, so "
        "nothing has been imported yet. Skip them (import only the new accounts), or "
        "update the existing accounts from the file?\n\n" + shown
    )
    return question, "\n".join(lines)


def run_import(
    parent: QWidget,
    operations: Operations,
    importer: AccountImporter,
    actor: Actor,
    path: str,
    finished: Callable[[QMessageBox, bool], None],
    show_format: Callable[[], object],
    on_existing: OnExisting = OnExisting.ASK,
) -> None:
    """Import ``path`` in the background; ``finished(box, imported)`` once its outcome shows."""
    file_name = Path(path).name

    def again(choice: OnExisting) -> Callable[[], None]:
        return lambda: run_import(
            parent, operations, importer, actor, path, finished, show_format, choice
        )

    def show(report: ImportReport) -> None:
        if report.awaiting_decision:
            question, details = describe_matches(report, file_name)
            box = choose(
                parent,
                "Accounts already there",
                question,
                [
                    ("Skip Them", again(OnExisting.SKIP)),
                    ("Update Them", again(OnExisting.UPDATE)),
                ],
                details=details,
            )
            finished(box, False)
            return
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
        lambda: importer.import_accounts_csv(path, actor=actor, on_existing=on_existing),
        touches=lambda report: {Topic.ACCOUNTS, Topic.CONTACTS} if report.ok else set(),
        on_success=show,
        on_error=failed,
    )

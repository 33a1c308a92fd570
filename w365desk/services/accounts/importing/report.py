"""What an import reports: every problem with the line it starts on, and what was done."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from w365desk.services.audit import contains_card_number

if TYPE_CHECKING:
    from w365desk.services.accounts.importing.matching import ExistingMatch

DEFAULT_MAX_PROBLEMS = 100


@dataclass(frozen=True)
class ImportProblem:
    """One reason the file cannot be imported. ``line`` None means the file as a whole."""

    line: int | None
    message: str
    column: str | None = None

    def __str__(self) -> str:
        return f"Line {self.line}: {self.message}" if self.line is not None else self.message


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, with problems, a dry run or a question, would have done)."""

    rows_read: int
    accounts_created: int
    contacts_created: int
    problems: tuple[ImportProblem, ...] = ()
    # Problems found beyond the listed ones (the list is capped to stay readable).
    problems_not_listed: int = 0
    dry_run: bool = False
    # Rows for accounts the database already has (see matching.OnExisting).
    matches: tuple[ExistingMatch, ...] = ()
    # True when nothing was imported because staff must say what to do with the matches.
    awaiting_decision: bool = False
    accounts_updated: int = 0
    accounts_skipped: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems and not self.awaiting_decision


class ProblemList:
    """Collects problems up to a cap and counts the rest."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.listed: list[ImportProblem] = []
        self.not_listed = 0

    def add(self, line: int | None, message: str, column: str | None = None) -> None:
        if len(self.listed) < self.cap:
            self.listed.append(ImportProblem(line, message, column))
        else:
            self.not_listed += 1

    def __bool__(self) -> bool:
        return bool(self.listed)


def shown(value: str) -> str:
    """A user's value quoted for a message, unless it is something never to repeat."""
    if contains_card_number(value):
        return "(a value that looks like a card number)"
    shortened = value if len(value) <= 40 else value[:37] + "..."
    return repr(shortened)

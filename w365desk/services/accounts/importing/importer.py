"""Import accounts and contacts from a CSV file, all or nothing (the format: ``fileformat``).

Every row is checked (``planning``) before anything is written (``writing``); if any row
is bad, nothing is imported and the report lists every problem with its line.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from w365desk.clock import Clock
from w365desk.services.accounts.importing.decoding import (
    ImportSource,
    UnreadableFile,
    read_text,
    source_name,
)
from w365desk.services.accounts.importing.planning import check_existing_numbers, plan_import
from w365desk.services.accounts.importing.report import (
    DEFAULT_MAX_PROBLEMS,
    ImportProblem,
    ImportReport,
    ProblemList,
)
from w365desk.services.accounts.importing.writing import write_import
from w365desk.services.accounts.numbers import is_account_number_conflict
from w365desk.services.actors import Actor


class AccountImporter:
    """Validates and imports account CSV files in one transaction, audited."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock,
        *,
        max_problems: int = DEFAULT_MAX_PROBLEMS,
    ) -> None:
        self._session_factory = session_factory
        self._clock = clock
        self._max_problems = max_problems

    def import_accounts_csv(
        self, source: ImportSource, *, actor: Actor, dry_run: bool = False
    ) -> ImportReport:
        """Import ``source`` (a path, or an open text or binary stream) or report why not.

        With ``dry_run`` the file is checked against the database (duplicate numbers
        included) and the report says what would be created; nothing is written.
        """
        problems = ProblemList(self._max_problems)
        try:
            text, digest = read_text(source)
        except UnreadableFile as unreadable:
            return ImportReport(0, 0, 0, (unreadable.problem,), dry_run=dry_run)
        plans, rows_read = plan_import(text, problems)

        # One transaction for the checks against the database and every insert; leaving
        # the block without commit() rolls everything back.
        with self._session_factory() as session:
            check_existing_numbers(session, plans, problems)
            contacts = sum(len(plan.contacts) for plan in plans)
            if problems or dry_run:
                return ImportReport(
                    rows_read,
                    0 if problems else len(plans),
                    0 if problems else contacts,
                    tuple(sorted(problems.listed, key=lambda p: p.line or 0)),
                    problems.not_listed,
                    dry_run,
                )
            try:
                write_import(
                    session,
                    plans,
                    clock=self._clock,
                    actor=actor,
                    source_name=source_name(source),
                    digest=digest,
                )
                session.commit()
            except IntegrityError as error:
                if not is_account_number_conflict(error):
                    raise
                problem = ImportProblem(
                    None,
                    "Another desktop created an account with one of these numbers while the "
                    "file was being imported. Nothing was imported; run the import again.",
                )
                return ImportReport(rows_read, 0, 0, (problem,))
        return ImportReport(rows_read, len(plans), contacts)

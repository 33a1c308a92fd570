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
from w365desk.services.accounts.importing.matching import (
    OnExisting,
    find_matches,
    update_from_plan,
)
from w365desk.services.accounts.importing.planning import plan_import
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
        self,
        source: ImportSource,
        *,
        actor: Actor,
        dry_run: bool = False,
        on_existing: OnExisting = OnExisting.ASK,
    ) -> ImportReport:
        """Import ``source`` (a path, or an open text or binary stream) or report why not.

        Rows for accounts the database already has (same number, or same name and email)
        are never imported twice: with ``OnExisting.ASK`` nothing is imported and the
        report lists them (``awaiting_decision``); ``SKIP`` leaves those accounts alone and
        ``UPDATE`` fills them in from the file, importing the rest either way. With
        ``dry_run`` the report says what would happen; nothing is written.
        """
        problems = ProblemList(self._max_problems)
        try:
            text, digest = read_text(source)
        except UnreadableFile as unreadable:
            return ImportReport(0, 0, 0, (unreadable.problem,), dry_run=dry_run)
        plans, rows_read = plan_import(text, problems)
        listed = tuple(sorted(problems.listed, key=lambda p: p.line or 0))

        # One transaction for the checks against the database and every write; leaving
        # the block without commit() rolls everything back.
        with self._session_factory() as session:
            matched = find_matches(session, plans) if not problems else {}
            matches = tuple(sorted(matched.values(), key=lambda m: m.line))
            new_plans = [plan for index, plan in enumerate(plans) if index not in matched]
            updating = on_existing is OnExisting.UPDATE
            contacts = sum(len(plan.contacts) for plan in new_plans)
            if problems:
                return ImportReport(
                    rows_read, 0, 0, listed, problems.not_listed, dry_run, matches=matches
                )
            if matches and on_existing is OnExisting.ASK:
                return ImportReport(
                    rows_read, 0, 0, dry_run=dry_run, matches=matches, awaiting_decision=True
                )
            if dry_run:
                return ImportReport(
                    rows_read,
                    len(new_plans),
                    contacts,
                    dry_run=True,
                    matches=matches,
                    accounts_updated=len(matches) if updating else 0,
                    accounts_skipped=0 if updating else len(matches),
                )
            added_to_existing = 0
            try:
                if updating:
                    for index, match in matched.items():
                        added_to_existing += update_from_plan(
                            session,
                            match,
                            plans[index],
                            clock=self._clock,
                            actor=actor,
                            source=f"csv_import:{source_name(source)}",
                        )
                if new_plans:
                    write_import(
                        session,
                        new_plans,
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
        return ImportReport(
            rows_read,
            len(new_plans),
            contacts + added_to_existing,
            matches=matches,
            accounts_updated=len(matches) if updating else 0,
            accounts_skipped=0 if updating else len(matches),
        )

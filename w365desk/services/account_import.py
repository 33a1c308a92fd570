"""Import accounts and contacts from a CSV file, all or nothing.

The file format (UTF-8 with or without a byte-order mark, Excel-style quoting, first line
the header; column names are case- and space-insensitive, so "Account Name" works):

    account_number,account_name,email,phone,currency,address_line1,address_line2,city,
    state,postal_code,country,contact_first_name,contact_last_name,contact_email,
    contact_phone,contact_role,contact_is_billing

Only ``account_name`` is required as a column; any other column may be left out. Each
row describes an account and, optionally, one of its contacts. Several rows with the
same ``account_number`` add several contacts to that account: the first of them carries
the account's details, later ones may leave the account columns blank or repeat them
exactly. A row without an ``account_number`` creates an account with an allocated
number. ``contact_is_billing`` takes yes/no, true/false, y/n, 1/0 or x (blank is no).

Every row is checked before anything is written. If any row is bad, nothing is imported
and the report lists every problem (up to a cap) with the line number in the file where
the row starts, counted in physical lines so quoted multi-line values do not skew it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from w365desk.clock import Clock
from w365desk.db.models import Account, AccountStatus, Contact, ContactStatus
from w365desk.services.account_inputs import AccountInput, ContactInput
from w365desk.services.account_numbers import (
    allocate_account_numbers,
    existing_account_numbers,
    is_account_number_conflict,
)
from w365desk.services.account_search import normalize_search_key
from w365desk.services.accounts import account_column_values, contact_column_values
from w365desk.services.audit import AuditEntry, contains_card_number, record_audit_many

# Column name -> AccountInput field.
ACCOUNT_COLUMNS: Mapping[str, str] = {
    "account_number": "number",
    "account_name": "name",
    "email": "primary_email",
    "phone": "phone",
    "currency": "currency",
    "address_line1": "address_line1",
    "address_line2": "address_line2",
    "city": "city",
    "state": "state",
    "postal_code": "postal_code",
    "country": "country",
}
# Column name -> ContactInput field.
CONTACT_COLUMNS: Mapping[str, str] = {
    "contact_first_name": "first_name",
    "contact_last_name": "last_name",
    "contact_email": "email",
    "contact_phone": "phone",
    "contact_role": "role",
}
BILLING_COLUMN = "contact_is_billing"
IMPORT_COLUMNS: tuple[str, ...] = (*ACCOUNT_COLUMNS, *CONTACT_COLUMNS, BILLING_COLUMN)
REQUIRED_COLUMNS: tuple[str, ...] = ("account_name",)
DEFAULT_MAX_PROBLEMS = 100

_TRUE = frozenset({"1", "y", "yes", "true", "x"})
_FALSE = frozenset({"", "0", "n", "no", "false"})
_ACCOUNT_COLUMN_OF = {attr: column for column, attr in ACCOUNT_COLUMNS.items()}
_CONTACT_COLUMN_OF = {attr: column for column, attr in CONTACT_COLUMNS.items()}
_CONTACT_COLUMN_OF["is_billing"] = BILLING_COLUMN


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
    """What an import did (or, with problems or a dry run, would have done)."""

    rows_read: int
    accounts_created: int
    contacts_created: int
    problems: tuple[ImportProblem, ...] = ()
    # Problems found beyond the listed ones (the list is capped to stay readable).
    problems_not_listed: int = 0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _AccountPlan:
    """One account to create, gathered from its rows."""

    first_line: int
    account: AccountInput
    contacts: list[tuple[int, ContactInput]] = field(default_factory=list)
    billing_line: int | None = None
    contact_emails: dict[str, int] = field(default_factory=dict)


class _Problems:
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


def normalize_column_name(name: str) -> str:
    """ "Account Name", " account-name " and "ACCOUNT_NAME" all become "account_name"."""
    return re.sub(r"[\s\-]+", "_", name.strip().lstrip("\ufeff").strip()).lower()


def _shown(value: str) -> str:
    """A user's value quoted for a message, unless it is something never to repeat."""
    if contains_card_number(value):
        return "(a value that looks like a card number)"
    shortened = value if len(value) <= 40 else value[:37] + "..."
    return repr(shortened)


def _read_text(source: str | os.PathLike[str] | TextIO | BinaryIO) -> tuple[str, str]:
    """The file's text without a byte-order mark, and the SHA-256 of what was read."""
    if isinstance(source, str | os.PathLike):
        try:
            content: str | bytes = Path(source).read_bytes()
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise _UnreadableFile(
                ImportProblem(None, f"The file {Path(source).name} could not be read ({reason}).")
            ) from None
    else:
        try:
            content = source.read()
        except UnicodeDecodeError:
            raise _UnreadableFile(
                ImportProblem(None, "The file is not UTF-8 text; save it as CSV UTF-8.")
            ) from None
    if isinstance(content, str):
        digest = hashlib.sha256(content.encode("utf-8", "surrogatepass")).hexdigest()
        return content.removeprefix("\ufeff"), digest
    digest = hashlib.sha256(content).hexdigest()
    try:
        return content.decode("utf-8-sig"), digest
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise _UnreadableFile(
            ImportProblem(
                line,
                f"The file is not UTF-8 text (byte 0x{content[error.start]:02X} cannot be "
                'read). In Excel, save it as "CSV UTF-8 (Comma delimited)".',
            )
        ) from None


class _UnreadableFile(Exception):
    def __init__(self, problem: ImportProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _records(text: str, problems: _Problems) -> Iterator[tuple[int, list[str]]]:
    """(starting line, values) for each CSV record; unreadable records become problems."""
    reader = csv.reader(io.StringIO(text, newline=""), dialect="excel", strict=True)
    line_before = 0
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            start = line_before + 1
            if "unexpected end of data" in str(error) or "field limit" in str(error):
                # Everything after an unclosed quote is one runaway value: stop here.
                problems.add(
                    start, "A quoted value that starts on this line is never closed with '\"'."
                )
                return
            problems.add(start, _csv_error_message(error))
            line_before = reader.line_num
            continue
        yield line_before + 1, values
        line_before = reader.line_num


def _csv_error_message(error: csv.Error) -> str:
    text = str(error)
    if "expected after" in text:
        return (
            "A quoted value must be followed by a comma or the end of the line; a quote "
            'inside a value is written twice ("").'
        )
    if "NUL" in text:
        return "This line contains a NUL character; the file may not be a CSV text file."
    return f"This line is not valid CSV ({text})."


def _parse_header(values: list[str], problems: _Problems) -> list[str] | None:
    columns = [normalize_column_name(value) for value in values]
    seen: dict[str, int] = {}
    for position, (raw, column) in enumerate(zip(values, columns, strict=True), start=1):
        if not column:
            continue  # spreadsheets add unnamed trailing columns; their cells must be empty
        if column not in IMPORT_COLUMNS:
            problems.add(
                1,
                f"Unknown column {_shown(raw.strip())} (column {position}). "
                f"Known columns: {', '.join(IMPORT_COLUMNS)}.",
                column,
            )
        elif column in seen:
            problems.add(
                1, f"Column {column} appears twice (columns {seen[column]} and {position}).", column
            )
        else:
            seen[column] = position
    for required in REQUIRED_COLUMNS:
        if required not in seen:
            problems.add(1, f"The header has no {required} column; it is required.", required)
    return None if problems else columns


def _parse_billing(value: str) -> bool | None:
    folded = value.strip().casefold()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    return None


class AccountImporter:
    """Validates and imports account CSV files in one transaction, audited."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock,
        actor: str,
        *,
        max_problems: int = DEFAULT_MAX_PROBLEMS,
    ) -> None:
        self._session_factory = session_factory
        self._clock = clock
        self._actor = actor
        self._max_problems = max_problems

    def import_accounts_csv(
        self, source: str | os.PathLike[str] | TextIO | BinaryIO, *, dry_run: bool = False
    ) -> ImportReport:
        """Import ``source`` (a path, or an open text or binary stream) or report why not.

        With ``dry_run`` the file is checked against the database (duplicate numbers
        included) and the report says what would be created; nothing is written.
        """
        problems = _Problems(self._max_problems)
        try:
            text, digest = _read_text(source)
        except _UnreadableFile as unreadable:
            return ImportReport(0, 0, 0, (unreadable.problem,), dry_run=dry_run)
        plans, rows_read = self._plan(text, problems)

        # One transaction for the checks against the database and every insert; leaving
        # the block without commit() rolls everything back.
        with self._session_factory() as session:
            self._check_existing_numbers(session, plans, problems)
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
                self._write(session, plans, source_name=_source_name(source), digest=digest)
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

    # ------------------------------------------------------------------ checking

    def _plan(self, text: str, problems: _Problems) -> tuple[list[_AccountPlan], int]:
        records = _records(text, problems)
        header = next(records, None)
        if header is None:
            if not problems:
                problems.add(1, "The file is empty; the first line must be the header row.")
            return [], 0
        columns = _parse_header(header[1], problems)
        if columns is None:
            return [], 0

        plans: list[_AccountPlan] = []
        by_number: dict[str, _AccountPlan] = {}
        rows_read = 0
        for line, values in records:
            if not any(value.strip() for value in values):
                continue  # blank lines and Excel's ",,,," rows carry nothing
            rows_read += 1
            if len(values) != len(columns):
                problems.add(
                    line,
                    f"This row has {len(values)} values but the header has {len(columns)} "
                    "columns. Check for a missing or extra comma, or an unquoted comma.",
                )
                continue
            row = {
                column: value.strip()
                for column, value in zip(columns, values, strict=True)
                if column
            }
            unnamed = [
                position
                for position, (column, value) in enumerate(zip(columns, values, strict=True), 1)
                if not column and value.strip()
            ]
            if unnamed:
                problems.add(
                    line,
                    f"Column {unnamed[0]} has a value but no name in the header row.",
                )
                continue
            plan = self._account_for_row(line, row, plans, by_number, problems)
            if plan is not None:
                self._contact_for_row(line, row, plan, problems)
        if not plans and not problems:
            problems.add(None, "The file has a header but no rows to import.")
        return plans, rows_read

    def _account_for_row(
        self,
        line: int,
        row: dict[str, str],
        plans: list[_AccountPlan],
        by_number: dict[str, _AccountPlan],
        problems: _Problems,
    ) -> _AccountPlan | None:
        given = {column: row[column] for column in ACCOUNT_COLUMNS if row.get(column)}
        values = {"name": "", **{ACCOUNT_COLUMNS[c]: v for c, v in given.items()}}
        account_input = AccountInput(**values)
        account = account_input.normalized()
        existing = by_number.get(account.number) if account.number else None
        if existing is not None:
            self._check_repeated_account(line, account, given, existing, problems)
            return existing

        found = account_input.problems()
        for problem in found:
            column = _ACCOUNT_COLUMN_OF[problem.field]
            message = problem.message
            if column == "account_name" and not account.number:
                message += " To add a contact to an account above, repeat its account_number."
            elif column == "account_name":
                message = f"Account name is required on the first row of account {account.number}."
            problems.add(line, message, column)
        plan = _AccountPlan(line, account)
        if not found:
            plans.append(plan)
        # A bad account is still remembered, so its later rows are checked against it
        # (and their contacts checked too) instead of each repeating the same complaint.
        if account.number:
            by_number[account.number] = plan
        return plan

    def _check_repeated_account(
        self,
        line: int,
        account: AccountInput,
        given: dict[str, str],
        first: _AccountPlan,
        problems: _Problems,
    ) -> None:
        for column in given:
            attribute = ACCOUNT_COLUMNS[column]
            here, there = getattr(account, attribute), getattr(first.account, attribute)
            if here != there:
                shown_there = _shown(there) if there else "blank"
                problems.add(
                    line,
                    f"Conflicting account data for {account.number}: {column} is "
                    f"{_shown(here)} here but {shown_there} on line {first.first_line}. "
                    "Leave it blank or repeat it exactly on later rows of the same account.",
                    column,
                )

    def _contact_for_row(
        self, line: int, row: dict[str, str], plan: _AccountPlan, problems: _Problems
    ) -> None:
        given = {column: row[column] for column in CONTACT_COLUMNS if row.get(column)}
        billing = _parse_billing(row.get(BILLING_COLUMN, ""))
        if billing is None:
            problems.add(
                line,
                f"{BILLING_COLUMN} must be yes or no (or true/false, 1/0); got "
                f"{_shown(row[BILLING_COLUMN])}.",
                BILLING_COLUMN,
            )
            return
        if not given:
            if billing:
                problems.add(
                    line, f"{BILLING_COLUMN} is set but the row has no contact.", BILLING_COLUMN
                )
            return
        values: dict[str, Any] = {"first_name": "", "is_billing": billing}
        values.update({CONTACT_COLUMNS[c]: v for c, v in given.items()})
        contact_input = ContactInput(**values)
        found = contact_input.problems()
        for problem in found:
            problems.add(line, problem.message, _CONTACT_COLUMN_OF[problem.field])
        if found:
            return
        contact = contact_input.normalized()
        name = f" {plan.account.number}" if plan.account.number else ""
        if contact.is_billing:
            if plan.billing_line is not None:
                problems.add(
                    line,
                    f"Account{name} already has a billing contact on line {plan.billing_line}; "
                    "an account has one billing contact.",
                    BILLING_COLUMN,
                )
                return
            plan.billing_line = line
        if contact.email:
            key = normalize_search_key(contact.email)
            if key in plan.contact_emails:
                problems.add(
                    line,
                    f"Contact email {_shown(contact.email)} is already listed for account{name} "
                    f"on line {plan.contact_emails[key]}.",
                    "contact_email",
                )
                return
            plan.contact_emails[key] = line
        plan.contacts.append((line, contact))

    def _check_existing_numbers(
        self, session: Session, plans: list[_AccountPlan], problems: _Problems
    ) -> None:
        first_line = {plan.account.number: plan.first_line for plan in plans if plan.account.number}
        taken = existing_account_numbers(session, list(first_line))
        for number in sorted(taken, key=first_line.__getitem__):
            problems.add(
                first_line[number],
                f"Account number {number} already exists in the database.",
                "account_number",
            )

    # ------------------------------------------------------------------ writing

    def _write(
        self, session: Session, plans: list[_AccountPlan], *, source_name: str, digest: str
    ) -> None:
        now = self._clock.now()
        reserved = {plan.account.number for plan in plans if plan.account.number}
        allocated = iter(
            allocate_account_numbers(
                session, sum(1 for plan in plans if not plan.account.number), reserved=reserved
            )
        )
        for plan in plans:
            if not plan.account.number:
                plan.account = replace(plan.account, number=next(allocated))

        account_rows = [_account_row(plan.account, now) for plan in plans]
        # Core bulk statements on the session's connection (same transaction): one round
        # trip per batch instead of the ORM unit of work for every row.
        connection = session.connection()
        account_table = Account.__table__
        ids = {
            number: account_id
            for account_id, number in connection.execute(
                insert(account_table).returning(account_table.c.id, account_table.c.number),
                account_rows,
            )
        }
        contact_rows = [
            _contact_row(ids[plan.account.number or ""], contact, now)
            for plan in plans
            for _line, contact in plan.contacts
        ]
        if contact_rows:
            connection.execute(insert(Contact.__table__), contact_rows)

        # One event for the import as a whole (which file, how much), and one per account
        # so every account's own history starts with how it came to exist.
        entries = [
            AuditEntry(
                "account.import",
                "import",
                None,
                {
                    "file": source_name,
                    "sha256": digest,
                    "accounts": len(plans),
                    "contacts": len(contact_rows),
                },
            )
        ]
        entries += [
            AuditEntry(
                "account.create",
                "account",
                ids[plan.account.number or ""],
                {
                    "number": plan.account.number,
                    "source": "csv_import",
                    "line": plan.first_line,
                    "fields": _present(plan.account),
                    "contacts": [_present(contact) for _line, contact in plan.contacts],
                },
            )
            for plan in plans
        ]
        record_audit_many(session, clock=self._clock, actor=self._actor, entries=entries)


def _source_name(source: str | os.PathLike[str] | TextIO | BinaryIO) -> str:
    if isinstance(source, str | os.PathLike):
        return Path(source).name
    return str(getattr(source, "name", "(text stream)"))


def _present(data: AccountInput | ContactInput) -> dict[str, Any]:
    values = {f.name: getattr(data, f.name) for f in fields(data) if f.name != "number"}
    return {name: value for name, value in values.items() if value not in (None, "")}


def _account_row(account: AccountInput, now: datetime) -> dict[str, Any]:
    row = account_column_values(account)
    row.update(number=account.number, status=AccountStatus.ACTIVE, created_at=now, updated_at=now)
    return row


def _contact_row(account_id: int, contact: ContactInput, now: datetime) -> dict[str, Any]:
    row = contact_column_values(contact)
    row.update(account_id=account_id, status=ContactStatus.ACTIVE, created_at=now, updated_at=now)
    return row

"""Turning CSV rows into accounts to create: every row checked before anything is written.

Rows sharing an ``account_number`` are one account with several contacts; each problem is
reported with the line its row starts on and the column it is about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from w365desk.services.accounts.importing.fileformat import (
    ACCOUNT_COLUMN_OF,
    ACCOUNT_COLUMNS,
    BILLING_COLUMN,
    CONTACT_COLUMN_OF,
    CONTACT_COLUMNS,
    parse_billing,
)
from w365desk.services.accounts.importing.records import parse_header, read_records
from w365desk.services.accounts.importing.report import ProblemList, shown
from w365desk.services.accounts.inputs import AccountInput, ContactInput
from w365desk.services.accounts.search import normalize_search_key


@dataclass
class AccountPlan:
    """One account to create, gathered from its rows."""

    first_line: int
    account: AccountInput
    contacts: list[tuple[int, ContactInput]] = field(default_factory=list)
    # The account fields the file gave a value for (an update changes only those).
    given: frozenset[str] = frozenset()
    billing_line: int | None = None
    contact_emails: dict[str, int] = field(default_factory=dict)


def plan_import(text: str, problems: ProblemList) -> tuple[list[AccountPlan], int]:
    records = read_records(text, problems)
    header = next(records, None)
    if header is None:
        if not problems:
            problems.add(1, "The file is empty; the first line must be the header row.")
        return [], 0
    columns = parse_header(header[1], problems)
    if columns is None:
        return [], 0

    plans: list[AccountPlan] = []
    by_number: dict[str, AccountPlan] = {}
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
            column: value.strip() for column, value in zip(columns, values, strict=True) if column
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
        plan = _account_for_row(line, row, plans, by_number, problems)
        if plan is not None:
            _contact_for_row(line, row, plan, problems)
    if not plans and not problems:
        problems.add(None, "The file has a header but no rows to import.")
    return plans, rows_read


def _account_for_row(
    line: int,
    row: dict[str, str],
    plans: list[AccountPlan],
    by_number: dict[str, AccountPlan],
    problems: ProblemList,
) -> AccountPlan | None:
    given = {column: row[column] for column in ACCOUNT_COLUMNS if row.get(column)}
    values = {"name": "", **{ACCOUNT_COLUMNS[c]: v for c, v in given.items()}}
    account_input = AccountInput(**values)
    account = account_input.normalized()
    existing = by_number.get(account.number) if account.number else None
    if existing is not None:
        _check_repeated_account(line, account, given, existing, problems)
        return existing

    found = account_input.problems()
    for problem in found:
        column = ACCOUNT_COLUMN_OF[problem.field]
        message = problem.message
        if column == "account_name" and not account.number:
            message += " To add a contact to an account above, repeat its account_number."
        elif column == "account_name":
            message = f"Account name is required on the first row of account {account.number}."
        problems.add(line, message, column)
    plan = AccountPlan(line, account, given=frozenset(ACCOUNT_COLUMNS[c] for c in given))
    if not found:
        plans.append(plan)
    # A bad account is still remembered, so its later rows are checked against it
    # (and their contacts checked too) instead of each repeating the same complaint.
    if account.number:
        by_number[account.number] = plan
    return plan


def _check_repeated_account(
    line: int,
    account: AccountInput,
    given: dict[str, str],
    first: AccountPlan,
    problems: ProblemList,
) -> None:
    for column in given:
        attribute = ACCOUNT_COLUMNS[column]
        here, there = getattr(account, attribute), getattr(first.account, attribute)
        if here != there:
            shown_there = shown(there) if there else "blank"
            problems.add(
                line,
                f"Conflicting account data for {account.number}: {column} is "
                f"{shown(here)} here but {shown_there} on line {first.first_line}. "
                "Leave it blank or repeat it exactly on later rows of the same account.",
                column,
            )


def _contact_for_row(
    line: int, row: dict[str, str], plan: AccountPlan, problems: ProblemList
) -> None:
    given = {column: row[column] for column in CONTACT_COLUMNS if row.get(column)}
    billing = parse_billing(row.get(BILLING_COLUMN, ""))
    if billing is None:
        problems.add(
            line,
            f"{BILLING_COLUMN} must be yes or no (or true/false, 1/0); got "
            f"{shown(row[BILLING_COLUMN])}.",
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
        problems.add(line, problem.message, CONTACT_COLUMN_OF[problem.field])
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
                f"Contact email {shown(contact.email)} is already listed for account{name} "
                f"on line {plan.contact_emails[key]}.",
                "contact_email",
            )
            return
        plan.contact_emails[key] = line
    plan.contacts.append((line, contact))

"""Writing a checked import: bulk inserts on the session's connection, and its audit events."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from w365desk.clock import Clock
from w365desk.db.models import Account, AccountStatus, Contact, ContactStatus
from w365desk.services.accounts.columns import account_column_values, contact_column_values
from w365desk.services.accounts.derived import derived_values
from w365desk.services.accounts.importing.planning import AccountPlan
from w365desk.services.accounts.inputs import AccountInput, ContactInput
from w365desk.services.accounts.numbers import allocate_account_numbers
from w365desk.services.actors import Actor
from w365desk.services.audit import AuditEntry, record_audit_many

_ACCOUNT_TABLE = cast(Table, Account.__table__)
_CONTACT_TABLE = cast(Table, Contact.__table__)


def write_import(
    session: Session,
    plans: list[AccountPlan],
    *,
    clock: Clock,
    actor: Actor,
    source_name: str,
    digest: str,
) -> None:
    """Insert every planned account and contact, and their audit events, in ``session``."""
    now = clock.now()
    reserved = {plan.account.number for plan in plans if plan.account.number}
    allocated = iter(
        allocate_account_numbers(
            session, sum(1 for plan in plans if not plan.account.number), reserved=reserved
        )
    )
    for plan in plans:
        if not plan.account.number:
            plan.account = replace(plan.account, number=next(allocated))

    account_rows = [_account_row(plan, now) for plan in plans]
    # Core bulk statements on the session's connection (same transaction): one round
    # trip per batch instead of the ORM unit of work for every row.
    connection = session.connection()
    account_table = _ACCOUNT_TABLE
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
        connection.execute(insert(_CONTACT_TABLE), contact_rows)

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
    record_audit_many(session, clock=clock, actor=actor, entries=entries)


def _present(data: AccountInput | ContactInput) -> dict[str, Any]:
    values = {f.name: getattr(data, f.name) for f in fields(data) if f.name != "number"}
    return {name: value for name, value in values.items() if value not in (None, "")}


def _account_row(plan: AccountPlan, now: datetime) -> dict[str, Any]:
    account = plan.account
    row = account_column_values(account)
    row.update(number=account.number, status=AccountStatus.ACTIVE, created_at=now, updated_at=now)
    row.update(
        derived_values(account, account.number or "", [contact for _line, contact in plan.contacts])
    )
    return row


def _contact_row(account_id: int, contact: ContactInput, now: datetime) -> dict[str, Any]:
    row = contact_column_values(contact)
    row.update(account_id=account_id, status=ContactStatus.ACTIVE, created_at=now, updated_at=now)
    return row

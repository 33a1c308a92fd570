"""Rows that describe accounts the database already has, and what to do with them.

A planned account matches a stored one with the same account number, or (for a row
without a number of its own) the same name and email as an active account. Importing the
same file twice must never double the accounts: the importer reports the matches and
skips them or updates the stored accounts from them, as staff choose.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from w365desk.clock import Clock
from w365desk.db.models import Account, AccountStatus, Contact, ContactStatus
from w365desk.services.accounts.columns import (
    ACCOUNT_FIELDS,
    CONTACT_FIELDS,
    account_column_values,
    apply,
    changes,
    contact_column_values,
    present,
)
from w365desk.services.accounts.contacts import clear_billing
from w365desk.services.accounts.derived import refresh_derived_columns
from w365desk.services.accounts.importing.planning import AccountPlan
from w365desk.services.accounts.inputs import AccountInput, ContactInput
from w365desk.services.accounts.locking import lock_account
from w365desk.services.accounts.search import normalize_search_key
from w365desk.services.actors import Actor
from w365desk.services.audit import record_audit


class OnExisting(enum.StrEnum):
    """What an import does with rows for accounts that already exist."""

    ASK = "ask"  # import nothing; report the matches so staff can choose
    SKIP = "skip"  # leave those accounts as they are; import the rest
    UPDATE = "update"  # fill those accounts in from the rows; import the rest


@dataclass(frozen=True)
class ExistingMatch:
    """A row (from ``line``) that describes an account the database already has."""

    line: int
    row_name: str
    account_id: int
    account_number: str
    account_name: str
    reason: str  # "the same account number" / "the same name and email"

    def __str__(self) -> str:
        return (
            f"Line {self.line}: {self.row_name} is already account {self.account_number} "
            f"({self.account_name}): {self.reason}."
        )


def find_matches(session: Session, plans: list[AccountPlan]) -> dict[int, ExistingMatch]:
    """The plans (by index) that describe stored accounts."""
    found: dict[int, ExistingMatch] = {}
    numbers = {plan.account.number: i for i, plan in enumerate(plans) if plan.account.number}
    if numbers:
        for chunk in _chunks(list(numbers)):
            for account in session.execute(
                select(Account.id, Account.number, Account.name).where(Account.number.in_(chunk))
            ):
                index = numbers[account.number]
                found[index] = _match(plans[index], account, "the same account number")
    keys = {
        _name_and_email(plan.account): i
        for i, plan in enumerate(plans)
        if i not in found and not plan.account.number and plan.account.primary_email
    }
    for chunk in _chunks(list(keys)):
        for same in session.execute(
            select(Account.id, Account.number, Account.name, Account.name_key, Account.email_key)
            .where(
                Account.status == AccountStatus.ACTIVE,
                tuple_(Account.name_key, Account.email_key).in_(chunk),
            )
            .order_by(Account.id)
        ):
            index = keys[(same.name_key, same.email_key or "")]
            found.setdefault(index, _match(plans[index], same, "the same name and email"))
    return found


def _name_and_email(account: AccountInput) -> tuple[str, str]:
    return normalize_search_key(account.name), normalize_search_key(account.primary_email or "")


def _match(plan: AccountPlan, account: Any, reason: str) -> ExistingMatch:
    return ExistingMatch(
        plan.first_line, plan.account.name, account.id, account.number, account.name, reason
    )


def _chunks(items: list[Any], size: int = 400) -> list[list[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def update_from_plan(
    session: Session,
    match: ExistingMatch,
    plan: AccountPlan,
    *,
    clock: Clock,
    actor: Actor,
    source: str,
) -> int:
    """Fill the stored account in from the file: the account columns the row gave
    replace what is stored; contacts not there yet (by email, or by name) are added.
    Returns how many contacts were added."""
    account = lock_account(session, match.account_id)
    now = clock.now()
    merged = {
        name: getattr(plan.account, name) if name in plan.given else getattr(account, name)
        for name in ACCOUNT_FIELDS
    }
    wanted = AccountInput(**merged).normalized()
    changed = changes(account, wanted, ACCOUNT_FIELDS)
    if changed:
        apply(account, account_column_values(wanted))
        account.updated_at = now
        record_audit(
            session,
            clock=clock,
            actor=actor,
            action="account.update",
            entity_type="account",
            entity_id=account.id,
            details={"number": account.number, "changes": changed, "source": source},
        )
    stored = session.scalars(select(Contact).where(Contact.account_id == account.id)).all()
    emails = {normalize_search_key(c.email) for c in stored if c.email}
    names = {normalize_search_key(c.full_name) for c in stored}
    added = 0
    for _line, contact in plan.contacts:
        key_email = normalize_search_key(contact.email) if contact.email else None
        name_key = normalize_search_key(f"{contact.first_name} {contact.last_name}")
        if (key_email and key_email in emails) or (not key_email and name_key in names):
            continue
        _add_contact(session, account, contact, now=now, clock=clock, actor=actor, source=source)
        added += 1
    session.flush()
    refresh_derived_columns(session, account)
    return added


def _add_contact(
    session: Session,
    account: Account,
    data: ContactInput,
    *,
    now: Any,
    clock: Clock,
    actor: Actor,
    source: str,
) -> None:
    if data.is_billing:
        clear_billing(session, account, keep=None, now=now, clock=clock, actor=actor)
    contact = Contact(
        **contact_column_values(data),
        account_id=account.id,
        status=ContactStatus.ACTIVE,
        created_at=now,
        updated_at=now,
    )
    session.add(contact)
    session.flush()
    record_audit(
        session,
        clock=clock,
        actor=actor,
        action="contact.create",
        entity_type="contact",
        entity_id=contact.id,
        details={
            "account_id": account.id,
            "fields": present(data, CONTACT_FIELDS),
            "source": source,
        },
    )

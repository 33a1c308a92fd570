"""Customer accounts and their contacts: create, edit, (de)activate, look up and search.

Front doors hand in plain input dataclasses (:mod:`~w365desk.services.account_inputs`)
and get back frozen views (:mod:`~w365desk.services.account_views`), never live ORM
objects, so nothing they hold can lazy-load or write behind the service's back. Every
change writes an audit event in the same transaction as the change itself.
"""

from __future__ import annotations

import enum
import operator
from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from w365desk.clock import Clock
from w365desk.db.engine import reading_session
from w365desk.db.models import Account, AccountStatus, Contact, ContactStatus
from w365desk.services.account_inputs import AccountInput, ContactInput, normalize_account_number
from w365desk.services.account_numbers import (
    allocate_account_numbers,
    duplicate_number_message,
    existing_account_numbers,
    is_account_number_conflict,
)
from w365desk.services.account_search import build_search_statement, normalize_search_key
from w365desk.services.account_views import (
    AccountSummary,
    AccountView,
    ContactView,
    to_account_summary,
    to_account_view,
    to_contact_view,
)
from w365desk.services.audit import record_audit
from w365desk.services.errors import (
    ConflictError,
    FieldProblem,
    NotFoundError,
    ValidationError,
)

# Another desktop can take an allocated number before our insert commits; the unique
# constraint refuses it and create_account retries with a fresh number this many times.
_AUTO_NUMBER_ATTEMPTS = 3


class AccountOrder(enum.StrEnum):
    """How :meth:`AccountsService.list_accounts` orders a page."""

    NAME = "name"
    NUMBER = "number"
    NEWEST = "newest"


_ACCOUNT_FIELDS = tuple(f.name for f in fields(AccountInput) if f.name != "number")
_CONTACT_FIELDS = ("first_name", "last_name", "email", "phone", "role", "is_billing")
# One C-level call per row: the importer builds these for thousands of rows at a time.
_account_field_values = operator.attrgetter(*_ACCOUNT_FIELDS)
_contact_field_values = operator.attrgetter(*_CONTACT_FIELDS)


class AccountsService:
    """Account and contact use cases; one transaction each, every change audited."""

    def __init__(self, session_factory: sessionmaker[Session], clock: Clock, actor: str) -> None:
        self._session_factory = session_factory
        self._clock = clock
        self._actor = actor

    # ----------------------------------------------------------------- accounts

    def create_account(
        self, data: AccountInput, contacts: Sequence[ContactInput] = ()
    ) -> AccountView:
        """Create an account (number allocated when not given) with its first contacts.

        Raises :class:`ValidationError` for bad input (contact fields are named like
        ``contacts[0].email``) and :class:`ConflictError` for a number already in use.
        """
        account_data = data.validate()
        contact_data = self._validate_contacts(contacts)
        attempts = 1 if account_data.number else _AUTO_NUMBER_ATTEMPTS
        for _attempt in range(attempts):
            try:
                return self._insert_account(account_data, contact_data)
            except IntegrityError as error:
                if not is_account_number_conflict(error):
                    raise
                if account_data.number:
                    raise ConflictError(
                        duplicate_number_message(account_data.number), field="number"
                    ) from None
        raise ConflictError(
            "Could not allocate a new account number because other desktops were creating "
            "accounts at the same moment. Please try again.",
            field="number",
        )

    def _validate_contacts(self, contacts: Sequence[ContactInput]) -> list[ContactInput]:
        found: list[FieldProblem] = []
        cleaned: list[ContactInput] = []
        billing_seen = False
        for index, contact in enumerate(contacts):
            found += [
                FieldProblem(f"contacts[{index}].{p.field}", p.message) for p in contact.problems()
            ]
            clean = contact.normalized()
            if clean.is_billing and billing_seen:
                found.append(
                    FieldProblem(
                        f"contacts[{index}].is_billing",
                        "Only one contact can be the billing contact.",
                    )
                )
            billing_seen = billing_seen or clean.is_billing
            cleaned.append(clean)
        if found:
            raise ValidationError.from_problems(found)
        return cleaned

    def _insert_account(self, data: AccountInput, contacts: list[ContactInput]) -> AccountView:
        now = self._clock.now()
        with self._session_factory.begin() as session:
            if data.number:
                if existing_account_numbers(session, [data.number]):
                    raise ConflictError(duplicate_number_message(data.number), field="number")
                number = data.number
            else:
                number = allocate_account_numbers(session, 1)[0]
            account = Account(
                **account_column_values(data),
                number=number,
                status=AccountStatus.ACTIVE,
                created_at=now,
                updated_at=now,
            )
            session.add(account)
            session.flush()
            self._audit(
                session,
                "account.create",
                "account",
                account.id,
                {"number": number, "fields": _present(data, _ACCOUNT_FIELDS)},
            )
            created = [self._new_contact(session, account, contact, now) for contact in contacts]
            session.flush()
            return to_account_view(account, created)

    def update_account(
        self,
        account_id: int,
        data: AccountInput,
        *,
        expected_updated_at: datetime | None = None,
    ) -> AccountView:
        """Replace the account's details with ``data`` (number kept when ``data.number`` is None).

        With ``expected_updated_at`` (the ``updated_at`` of the view being edited) an edit
        made meanwhile by someone else is refused with :class:`ConflictError` instead of
        being silently overwritten. Nothing changed means nothing written.
        """
        clean = data.validate()
        try:
            with self._session_factory.begin() as session:
                account = self._lock_account(session, account_id)
                if expected_updated_at is not None and account.updated_at != expected_updated_at:
                    raise ConflictError(
                        f"Account {account.number} was changed by someone else since you "
                        "opened it. Reopen it to see their changes, then edit again."
                    )
                changes = _changes(account, clean, _ACCOUNT_FIELDS)
                if clean.number and clean.number != account.number:
                    if existing_account_numbers(session, [clean.number]):
                        raise ConflictError(duplicate_number_message(clean.number), field="number")
                    changes["number"] = {"from": account.number, "to": clean.number}
                if changes:
                    old_number = account.number
                    _apply(account, account_column_values(clean))
                    if clean.number:
                        account.number = clean.number
                    account.updated_at = self._clock.now()
                    session.flush()
                    self._audit(
                        session,
                        "account.update",
                        "account",
                        account.id,
                        {"number": old_number, "changes": changes},
                    )
                return to_account_view(account, account.contacts)
        except IntegrityError as error:
            if clean.number and is_account_number_conflict(error):
                raise ConflictError(
                    duplicate_number_message(clean.number), field="number"
                ) from None
            raise

    def deactivate_account(self, account_id: int) -> AccountView:
        """Hide the account from lists, searches and charging; history stays intact."""
        return self._set_account_status(account_id, AccountStatus.INACTIVE, "account.deactivate")

    def reactivate_account(self, account_id: int) -> AccountView:
        return self._set_account_status(account_id, AccountStatus.ACTIVE, "account.reactivate")

    def _set_account_status(
        self, account_id: int, status: AccountStatus, action: str
    ) -> AccountView:
        with self._session_factory.begin() as session:
            account = self._lock_account(session, account_id)
            if account.status != status:
                previous = AccountStatus(account.status)
                account.status = status
                account.updated_at = self._clock.now()
                session.flush()
                self._audit(
                    session,
                    action,
                    "account",
                    account.id,
                    {
                        "number": account.number,
                        "changes": {"status": {"from": previous, "to": status}},
                    },
                )
            return to_account_view(account, account.contacts)

    # ----------------------------------------------------------------- contacts

    def add_contact(self, account_id: int, data: ContactInput) -> ContactView:
        """Add a contact; with ``is_billing`` it replaces the current billing contact."""
        clean = data.validate()
        with self._session_factory.begin() as session:
            account = self._lock_account(session, account_id)
            contact = self._new_contact(session, account, clean, self._clock.now())
            return to_contact_view(contact)

    def update_contact(self, contact_id: int, data: ContactInput) -> ContactView:
        """Replace the contact's details; ``is_billing`` True makes them the billing contact."""
        clean = data.validate()
        with self._session_factory.begin() as session:
            contact, account = self._lock_contact(session, contact_id)
            if clean.is_billing and contact.status != ContactStatus.ACTIVE:
                raise ConflictError(
                    f"{contact.full_name} is inactive and cannot be the billing contact. "
                    "Reactivate them first.",
                    field="is_billing",
                )
            changes = _changes(contact, clean, _CONTACT_FIELDS)
            if changes:
                now = self._clock.now()
                if clean.is_billing and not contact.is_billing:
                    self._clear_billing(session, account, keep=contact, now=now)
                _apply(contact, contact_column_values(clean))
                contact.updated_at = now
                session.flush()
                self._audit(
                    session,
                    "contact.update",
                    "contact",
                    contact.id,
                    {"account_id": account.id, "changes": changes},
                )
            return to_contact_view(contact)

    def deactivate_contact(self, contact_id: int) -> ContactView:
        """Retire a contact; a billing contact stops being the billing contact."""
        with self._session_factory.begin() as session:
            contact, _account = self._lock_contact(session, contact_id)
            if contact.status != ContactStatus.INACTIVE:
                changes: dict[str, Any] = {
                    "status": {"from": ContactStatus(contact.status), "to": ContactStatus.INACTIVE}
                }
                if contact.is_billing:
                    changes["is_billing"] = {"from": True, "to": False}
                contact.status = ContactStatus.INACTIVE
                contact.is_billing = False
                contact.updated_at = self._clock.now()
                session.flush()
                self._audit(
                    session,
                    "contact.deactivate",
                    "contact",
                    contact.id,
                    {"account_id": contact.account_id, "changes": changes},
                )
            return to_contact_view(contact)

    def reactivate_contact(self, contact_id: int) -> ContactView:
        with self._session_factory.begin() as session:
            contact, _account = self._lock_contact(session, contact_id)
            if contact.status != ContactStatus.ACTIVE:
                contact.status = ContactStatus.ACTIVE
                contact.updated_at = self._clock.now()
                session.flush()
                self._audit(
                    session,
                    "contact.reactivate",
                    "contact",
                    contact.id,
                    {
                        "account_id": contact.account_id,
                        "changes": {
                            "status": {"from": ContactStatus.INACTIVE, "to": ContactStatus.ACTIVE}
                        },
                    },
                )
            return to_contact_view(contact)

    def set_billing_contact(self, account_id: int, contact_id: int | None) -> AccountView:
        """Make one active contact the account's billing contact (None: no billing contact)."""
        with self._session_factory.begin() as session:
            account = self._lock_account(session, account_id)
            now = self._clock.now()
            previous = next((c for c in account.contacts if c.is_billing), None)
            target: Contact | None = None
            if contact_id is not None:
                target = next((c for c in account.contacts if c.id == contact_id), None)
                if target is None:
                    if session.get(Contact, contact_id) is None:
                        raise NotFoundError("contact", contact_id)
                    raise ConflictError(
                        f"Contact {contact_id} belongs to another account, not {account.number}."
                    )
                if target.status != ContactStatus.ACTIVE:
                    raise ConflictError(
                        f"{target.full_name} is inactive and cannot be the billing contact. "
                        "Reactivate them first."
                    )
            if previous is not target:
                self._clear_billing(session, account, keep=target, now=now)
                if target is not None:
                    target.is_billing = True
                    target.updated_at = now
                session.flush()
                self._audit(
                    session,
                    "account.set_billing_contact",
                    "account",
                    account.id,
                    {
                        "number": account.number,
                        "changes": {
                            "billing_contact_id": {
                                "from": previous.id if previous else None,
                                "to": target.id if target else None,
                            }
                        },
                    },
                )
            return to_account_view(account, account.contacts)

    def _new_contact(
        self, session: Session, account: Account, data: ContactInput, now: datetime
    ) -> Contact:
        if data.is_billing:
            self._clear_billing(session, account, keep=None, now=now)
        contact = Contact(
            **contact_column_values(data),
            account_id=account.id,
            status=ContactStatus.ACTIVE,
            created_at=now,
            updated_at=now,
        )
        session.add(contact)
        session.flush()
        self._audit(
            session,
            "contact.create",
            "contact",
            contact.id,
            {"account_id": account.id, "fields": _present(data, _CONTACT_FIELDS)},
        )
        return contact

    def _clear_billing(
        self, session: Session, account: Account, *, keep: Contact | None, now: datetime
    ) -> None:
        """Take the billing flag from every contact of ``account`` except ``keep``.

        Each contact that loses it gets its own ``contact.update`` audit event, so a
        contact's history shows when and by whom it stopped being the billing contact.
        """
        # The database allows one billing contact per account (uq_contact_one_billing);
        # the account row lock taken by every contact use case keeps two desktops from
        # colliding on it, and the flush writes the clearing before any new flag is set.
        for other in session.scalars(
            select(Contact)
            .where(Contact.account_id == account.id, Contact.is_billing)
            .order_by(Contact.id)
        ):
            if other is keep:
                continue
            other.is_billing = False
            other.updated_at = now
            self._audit(
                session,
                "contact.update",
                "contact",
                other.id,
                {"account_id": account.id, "changes": {"is_billing": {"from": True, "to": False}}},
            )
        session.flush()

    # ----------------------------------------------------------------- reading

    def get_account(self, account_id: int) -> AccountView:
        """The account with all its contacts (active and inactive, oldest first)."""
        with reading_session(self._session_factory) as session:
            account = session.get(Account, account_id, options=[selectinload(Account.contacts)])
            if account is None:
                raise NotFoundError("account", account_id)
            return to_account_view(account, account.contacts)

    def get_account_by_number(self, number: str) -> AccountView:
        normalized = normalize_account_number(number)
        with reading_session(self._session_factory) as session:
            account = session.scalar(
                select(Account)
                .where(Account.number == normalized)
                .options(selectinload(Account.contacts))
            )
            if account is None:
                raise NotFoundError("account", normalized)
            return to_account_view(account, account.contacts)

    def list_accounts(
        self,
        *,
        status: AccountStatus | None = AccountStatus.ACTIVE,
        limit: int = 100,
        offset: int = 0,
        order: AccountOrder = AccountOrder.NAME,
    ) -> list[AccountSummary]:
        """A page of accounts; ``status`` None lists every account."""
        ordering = {
            AccountOrder.NAME: (Account.name_key, Account.id),
            AccountOrder.NUMBER: (Account.number,),
            AccountOrder.NEWEST: (Account.created_at.desc(), Account.id.desc()),
        }[AccountOrder(order)]
        statement = (
            select(Account)
            .where(*_status_filter(status))
            .order_by(*ordering)
            .limit(_positive(limit, "limit"))
            .offset(max(offset, 0))
        )
        return self._summaries(statement)

    def count_accounts(self, *, status: AccountStatus | None = AccountStatus.ACTIVE) -> int:
        with reading_session(self._session_factory) as session:
            statement = select(func.count()).select_from(Account).where(*_status_filter(status))
            return int(session.scalar(statement) or 0)

    def search(
        self, query: str, *, limit: int = 50, include_inactive: bool = False
    ) -> list[AccountSummary]:
        """Accounts whose name or email (the account's, or any of its contacts', including
        former contacts) starts with ``query``, case-insensitively, or whose number is
        exactly ``query``.

        An exact number match comes first, then the rest by name. A blank query lists
        the first ``limit`` accounts by name. When more than ``limit`` accounts match, the
        page holds the first ``limit`` name matches plus up to ``limit`` email matches
        taken in email order, cut to ``limit`` by name: a list that comes back full means
        "type more", not "this is everything".
        """
        limit = _positive(limit, "limit")
        if not normalize_search_key(query):
            status = None if include_inactive else AccountStatus.ACTIVE
            return self.list_accounts(status=status, limit=limit)
        return self._summaries(
            build_search_statement(query, limit=limit, include_inactive=include_inactive)
        )

    def _summaries(self, statement: Select[tuple[Account]]) -> list[AccountSummary]:
        with reading_session(self._session_factory) as session:
            return [to_account_summary(account) for account in session.scalars(statement)]

    # ----------------------------------------------------------------- helpers

    def _lock_account(self, session: Session, account_id: int) -> Account:
        # FOR UPDATE on PostgreSQL serializes edits to one account; SQLite has a single
        # writer anyway and SQLAlchemy leaves the clause out there.
        account = session.get(Account, account_id, with_for_update=True)
        if account is None:
            raise NotFoundError("account", account_id)
        return account

    def _lock_contact(self, session: Session, contact_id: int) -> tuple[Contact, Account]:
        # Always lock the account before its contacts, as every contact use case does,
        # so two desktops can never wait on each other in opposite order.
        account_id = session.scalar(select(Contact.account_id).where(Contact.id == contact_id))
        if account_id is None:
            raise NotFoundError("contact", contact_id)
        account = self._lock_account(session, account_id)
        contact = session.get(Contact, contact_id, with_for_update=True)
        if contact is None:
            raise NotFoundError("contact", contact_id)
        return contact, account

    def _audit(
        self,
        session: Session,
        action: str,
        entity_type: str,
        entity_id: int,
        details: dict[str, Any],
    ) -> None:
        record_audit(
            session,
            clock=self._clock,
            actor=self._actor,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            details=details,
        )


def _positive(value: int, name: str) -> int:
    if value < 1:
        raise ValueError(f"{name} must be at least 1")
    return value


def _email_key(email: str | None) -> str | None:
    return normalize_search_key(email) if email else None


def account_column_values(data: AccountInput) -> dict[str, Any]:
    """What an account row stores for ``data`` (validated): its fields and search keys.

    The number, status and timestamps are the caller's, since each path decides them
    differently. The service, the CSV importer (plain dicts for one bulk insert) and the
    demo seeder all store accounts through this, so their rows can never disagree.
    """
    values = dict(zip(_ACCOUNT_FIELDS, _account_field_values(data), strict=True))
    values["name_key"] = normalize_search_key(data.name)
    values["email_key"] = _email_key(data.primary_email)
    return values


def contact_column_values(data: ContactInput) -> dict[str, Any]:
    """What a contact row stores for ``data`` (validated): its fields and search key.

    The account, status and timestamps are the caller's; see :func:`account_column_values`.
    """
    values = dict(zip(_CONTACT_FIELDS, _contact_field_values(data), strict=True))
    values["email_key"] = _email_key(data.email)
    return values


def _apply(record: Account | Contact, values: dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(record, name, value)


def _present(data: object, names: Sequence[str]) -> dict[str, Any]:
    """The fields that hold a value, for a "created with" audit record."""
    values = {name: getattr(data, name) for name in names}
    return {name: value for name, value in values.items() if value not in (None, "")}


def _changes(record: object, data: object, names: Sequence[str]) -> dict[str, Any]:
    """``{field: {"from": old, "to": new}}`` for every field ``data`` changes."""
    changes: dict[str, Any] = {}
    for name in names:
        old, new = getattr(record, name), getattr(data, name)
        if old != new:
            changes[name] = {"from": old, "to": new}
    return changes


def _status_filter(status: AccountStatus | None) -> list[ColumnElement[bool]]:
    return [] if status is None else [Account.status == status]

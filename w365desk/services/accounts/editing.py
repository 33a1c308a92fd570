"""Accounts: create (with first contacts), edit, deactivate and reactivate.

Front doors hand in plain inputs (:mod:`~w365desk.services.accounts.inputs`) and get
back frozen views (:mod:`~w365desk.services.accounts.views`), never live ORM objects.
Every change writes an audit event, naming the actor of the call, in the same
transaction as the change itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from w365desk.clock import Clock
from w365desk.db.models import Account, AccountStatus
from w365desk.services.accounts.columns import (
    ACCOUNT_FIELDS,
    account_column_values,
    apply,
    changes,
    present,
)
from w365desk.services.accounts.contacts import insert_contact
from w365desk.services.accounts.derived import refresh_derived_columns
from w365desk.services.accounts.inputs import AccountInput, ContactInput
from w365desk.services.accounts.locking import lock_account
from w365desk.services.accounts.lookalikes import similar_accounts
from w365desk.services.accounts.numbers import (
    allocate_account_numbers,
    duplicate_number_message,
    existing_account_numbers,
    is_account_number_conflict,
)
from w365desk.services.accounts.views import AccountView, to_account_view
from w365desk.services.actors import Actor
from w365desk.services.audit import record_audit
from w365desk.services.errors import (
    ConflictError,
    FieldProblem,
    PossibleDuplicates,
    ServiceError,
    ValidationError,
)

log = logging.getLogger(__name__)

# Another desktop can take an allocated number before our insert commits; the unique
# constraint refuses it and create_account retries with a fresh number this many times.
_AUTO_NUMBER_ATTEMPTS = 3


class AccountEditor:
    """Account use cases; one transaction each, every change audited.

    ``after_update`` is told the id of each account whose details changed, after the
    change committed (the gateway keeps a copy of the name, number and email). Its
    failure never undoes the change: it is logged, and a later Sync repeats it.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock,
        *,
        after_update: Callable[[int], None] | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._clock = clock
        self._after_update = after_update

    def create_account(
        self,
        data: AccountInput,
        contacts: Sequence[ContactInput] = (),
        *,
        actor: Actor,
        allow_duplicates: bool = False,
    ) -> AccountView:
        """Create an account (number allocated when not given) with its first contacts.

        Raises :class:`ValidationError` for bad input (contact fields are named like
        ``contacts[0].email``), :class:`ConflictError` for a number already in use, and
        :class:`PossibleDuplicates` when an active account has the same name or email
        (unless ``allow_duplicates``: staff looked and it is another customer).
        """
        account_data = data.validate()
        contact_data = _validate_contacts(contacts)
        attempts = 1 if account_data.number else _AUTO_NUMBER_ATTEMPTS
        for _attempt in range(attempts):
            try:
                return self._insert_account(account_data, contact_data, actor, allow_duplicates)
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

    def _insert_account(
        self,
        data: AccountInput,
        contacts: list[ContactInput],
        actor: Actor,
        allow_duplicates: bool,
    ) -> AccountView:
        now = self._clock.now()
        with self._session_factory.begin() as session:
            if not allow_duplicates:
                _refuse_lookalikes(session, data, exclude=None)
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
                actor,
                "account.create",
                account.id,
                {"number": number, "fields": present(data, ACCOUNT_FIELDS)},
            )
            created = [
                insert_contact(session, account, contact, now=now, clock=self._clock, actor=actor)
                for contact in contacts
            ]
            refresh_derived_columns(session, account)
            session.flush()
            return to_account_view(account, created)

    def update_account(
        self,
        account_id: int,
        data: AccountInput,
        *,
        actor: Actor,
        expected_updated_at: datetime | None = None,
        allow_duplicates: bool = False,
    ) -> AccountView:
        """Replace the account's details with ``data`` (number kept when ``data.number`` is None).

        With ``expected_updated_at`` (the ``updated_at`` of the view being edited) an edit
        made meanwhile by someone else is refused with :class:`ConflictError` instead of
        being silently overwritten. Nothing changed means nothing written.
        """
        clean = data.validate()
        changed_details = False
        try:
            with self._session_factory.begin() as session:
                account = lock_account(session, account_id)
                if expected_updated_at is not None and account.updated_at != expected_updated_at:
                    raise ConflictError(
                        f"Account {account.number} was changed by someone else since you "
                        "opened it. Reopen it to see their changes, then edit again."
                    )
                changed = changes(account, clean, ACCOUNT_FIELDS)
                if not allow_duplicates and {"name", "primary_email"} & set(changed):
                    _refuse_lookalikes(session, clean, exclude=account_id)
                if clean.number and clean.number != account.number:
                    if existing_account_numbers(session, [clean.number]):
                        raise ConflictError(duplicate_number_message(clean.number), field="number")
                    changed["number"] = {"from": account.number, "to": clean.number}
                if changed:
                    changed_details = bool({"name", "number", "primary_email"} & set(changed))
                    old_number = account.number
                    apply(account, account_column_values(clean))
                    if clean.number:
                        account.number = clean.number
                    account.updated_at = self._clock.now()
                    refresh_derived_columns(session, account)
                    session.flush()
                    self._audit(
                        session,
                        actor,
                        "account.update",
                        account.id,
                        {"number": old_number, "changes": changed},
                    )
                view = to_account_view(account, account.contacts)
        except IntegrityError as error:
            if clean.number and is_account_number_conflict(error):
                raise ConflictError(
                    duplicate_number_message(clean.number), field="number"
                ) from None
            raise
        if changed_details and self._after_update is not None:
            try:
                self._after_update(view.id)
            except ServiceError as error:
                log.warning(
                    "account %s saved; its gateway copy not updated: %s", view.number, error
                )
        return view

    def deactivate_account(self, account_id: int, *, actor: Actor) -> AccountView:
        """Hide the account from lists, searches and charging; history stays intact."""
        return self._set_status(account_id, AccountStatus.INACTIVE, "account.deactivate", actor)

    def reactivate_account(self, account_id: int, *, actor: Actor) -> AccountView:
        return self._set_status(account_id, AccountStatus.ACTIVE, "account.reactivate", actor)

    def _set_status(
        self, account_id: int, status: AccountStatus, action: str, actor: Actor
    ) -> AccountView:
        with self._session_factory.begin() as session:
            account = lock_account(session, account_id)
            if account.status != status:
                previous = AccountStatus(account.status)
                account.status = status
                account.updated_at = self._clock.now()
                session.flush()
                self._audit(
                    session,
                    actor,
                    action,
                    account.id,
                    {
                        "number": account.number,
                        "changes": {"status": {"from": previous, "to": status}},
                    },
                )
            return to_account_view(account, account.contacts)

    def _audit(
        self,
        session: Session,
        actor: Actor,
        action: str,
        account_id: int,
        details: dict[str, object],
    ) -> None:
        record_audit(
            session,
            clock=self._clock,
            actor=actor,
            action=action,
            entity_type="account",
            entity_id=account_id,
            details=details,
        )


def _refuse_lookalikes(session: Session, data: AccountInput, *, exclude: int | None) -> None:
    matches = similar_accounts(session, data, exclude=exclude)
    if matches:
        raise PossibleDuplicates(matches)


def _validate_contacts(contacts: Sequence[ContactInput]) -> list[ContactInput]:
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

"""Contacts of an account: add, edit, (de)activate, and which one is the billing contact.

The database allows one billing contact per account (``uq_contact_one_billing``); every
use case here locks the account row first, which keeps two desktops from colliding on
it, and clears the old flag (flushed) before a new one is set.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from w365desk.clock import Clock
from w365desk.db.models import Account, Contact, ContactStatus
from w365desk.services.accounts.columns import (
    CONTACT_FIELDS,
    apply,
    changes,
    contact_column_values,
    present,
)
from w365desk.services.accounts.derived import refresh_derived_columns
from w365desk.services.accounts.inputs import ContactInput
from w365desk.services.accounts.locking import lock_account, lock_contact
from w365desk.services.accounts.views import (
    AccountView,
    ContactView,
    to_account_view,
    to_contact_view,
)
from w365desk.services.actors import Actor
from w365desk.services.audit import record_audit
from w365desk.services.errors import ConflictError, NotFoundError


def insert_contact(
    session: Session,
    account: Account,
    data: ContactInput,
    *,
    now: datetime,
    clock: Clock,
    actor: Actor,
) -> Contact:
    """Add a validated contact to ``account`` (locked), audited; with ``is_billing`` it
    takes the flag from whoever had it."""
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
        details={"account_id": account.id, "fields": present(data, CONTACT_FIELDS)},
    )
    return contact


def clear_billing(
    session: Session,
    account: Account,
    *,
    keep: Contact | None,
    now: datetime,
    clock: Clock,
    actor: Actor,
) -> None:
    """Take the billing flag from every contact of ``account`` except ``keep``.

    Each contact that loses it gets its own ``contact.update`` audit event, so a
    contact's history shows when and by whom it stopped being the billing contact.
    """
    for other in session.scalars(
        select(Contact)
        .where(Contact.account_id == account.id, Contact.is_billing)
        .order_by(Contact.id)
    ):
        if other is keep:
            continue
        other.is_billing = False
        other.updated_at = now
        record_audit(
            session,
            clock=clock,
            actor=actor,
            action="contact.update",
            entity_type="contact",
            entity_id=other.id,
            details={
                "account_id": account.id,
                "changes": {"is_billing": {"from": True, "to": False}},
            },
        )
    session.flush()


class ContactEditor:
    """Contact use cases; one transaction each, every change audited."""

    def __init__(self, session_factory: sessionmaker[Session], clock: Clock) -> None:
        self._session_factory = session_factory
        self._clock = clock

    def add_contact(self, account_id: int, data: ContactInput, *, actor: Actor) -> ContactView:
        """Add a contact; with ``is_billing`` it replaces the current billing contact."""
        clean = data.validate()
        with self._session_factory.begin() as session:
            account = lock_account(session, account_id)
            contact = insert_contact(
                session, account, clean, now=self._clock.now(), clock=self._clock, actor=actor
            )
            refresh_derived_columns(session, account)
            return to_contact_view(contact)

    def update_contact(self, contact_id: int, data: ContactInput, *, actor: Actor) -> ContactView:
        """Replace the contact's details; ``is_billing`` True makes them the billing contact."""
        clean = data.validate()
        with self._session_factory.begin() as session:
            contact, account = lock_contact(session, contact_id)
            if clean.is_billing and contact.status != ContactStatus.ACTIVE:
                raise ConflictError(
                    f"{contact.full_name} is inactive and cannot be the billing contact. "
                    "Reactivate them first.",
                    field="is_billing",
                )
            changed = changes(contact, clean, CONTACT_FIELDS)
            if changed:
                now = self._clock.now()
                if clean.is_billing and not contact.is_billing:
                    clear_billing(
                        session, account, keep=contact, now=now, clock=self._clock, actor=actor
                    )
                apply(contact, contact_column_values(clean))
                contact.updated_at = now
                session.flush()
                self._audit(
                    session,
                    actor,
                    "contact.update",
                    contact.id,
                    {"account_id": account.id, "changes": changed},
                )
                refresh_derived_columns(session, account)
            return to_contact_view(contact)

    def deactivate_contact(self, contact_id: int, *, actor: Actor) -> ContactView:
        """Retire a contact; a billing contact stops being the billing contact."""
        with self._session_factory.begin() as session:
            contact, account = lock_contact(session, contact_id)
            if contact.status != ContactStatus.INACTIVE:
                changed: dict[str, Any] = {
                    "status": {"from": ContactStatus(contact.status), "to": ContactStatus.INACTIVE}
                }
                if contact.is_billing:
                    changed["is_billing"] = {"from": True, "to": False}
                contact.status = ContactStatus.INACTIVE
                contact.is_billing = False
                contact.updated_at = self._clock.now()
                session.flush()
                self._audit(
                    session,
                    actor,
                    "contact.deactivate",
                    contact.id,
                    {"account_id": contact.account_id, "changes": changed},
                )
                refresh_derived_columns(session, account)
            return to_contact_view(contact)

    def reactivate_contact(self, contact_id: int, *, actor: Actor) -> ContactView:
        with self._session_factory.begin() as session:
            contact, account = lock_contact(session, contact_id)
            if contact.status != ContactStatus.ACTIVE:
                contact.status = ContactStatus.ACTIVE
                contact.updated_at = self._clock.now()
                session.flush()
                self._audit(
                    session,
                    actor,
                    "contact.reactivate",
                    contact.id,
                    {
                        "account_id": contact.account_id,
                        "changes": {
                            "status": {"from": ContactStatus.INACTIVE, "to": ContactStatus.ACTIVE}
                        },
                    },
                )
                refresh_derived_columns(session, account)
            return to_contact_view(contact)

    def set_billing_contact(
        self, account_id: int, contact_id: int | None, *, actor: Actor
    ) -> AccountView:
        """Make one active contact the account's billing contact (None: no billing contact)."""
        with self._session_factory.begin() as session:
            account = lock_account(session, account_id)
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
                clear_billing(
                    session, account, keep=target, now=now, clock=self._clock, actor=actor
                )
                if target is not None:
                    target.is_billing = True
                    target.updated_at = now
                session.flush()
                record_audit(
                    session,
                    clock=self._clock,
                    actor=actor,
                    action="account.set_billing_contact",
                    entity_type="account",
                    entity_id=account.id,
                    details={
                        "number": account.number,
                        "changes": {
                            "billing_contact_id": {
                                "from": previous.id if previous else None,
                                "to": target.id if target else None,
                            }
                        },
                    },
                )
                refresh_derived_columns(session, account)
            return to_account_view(account, account.contacts)

    def _audit(
        self, session: Session, actor: Actor, action: str, contact_id: int, details: dict[str, Any]
    ) -> None:
        record_audit(
            session,
            clock=self._clock,
            actor=actor,
            action=action,
            entity_type="contact",
            entity_id=contact_id,
            details=details,
        )

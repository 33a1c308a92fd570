"""Row locks every account and contact edit takes, always in the same order.

FOR UPDATE on PostgreSQL serializes edits to one account; SQLite has a single writer
anyway (every write transaction begins IMMEDIATE) and SQLAlchemy leaves the clause out.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from w365desk.db.models import Account, Contact
from w365desk.services.errors import NotFoundError


def lock_account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id, with_for_update=True)
    if account is None:
        raise NotFoundError("account", account_id)
    return account


def lock_contact(session: Session, contact_id: int) -> tuple[Contact, Account]:
    """The contact and its account, the account locked first.

    Every contact use case locks the account before its contacts, so two desktops can
    never wait on each other in opposite order.
    """
    account_id = session.scalar(select(Contact.account_id).where(Contact.id == contact_id))
    if account_id is None:
        raise NotFoundError("contact", contact_id)
    account = lock_account(session, account_id)
    contact = session.get(Contact, contact_id, with_for_update=True)
    if contact is None:
        raise NotFoundError("contact", contact_id)
    return contact, account

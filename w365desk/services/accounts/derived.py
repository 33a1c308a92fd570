"""Keeping an account's derived columns in step: its search document and billing contact.

Every use case that changes an account or one of its contacts calls
``refresh_derived_columns`` in the same transaction (the text index follows by trigger on
SQLite, by its GIN index on PostgreSQL); bulk paths compute the same values from their
inputs with ``derived_values``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from w365desk.db.derived import contact_display_name
from w365desk.db.models import Account, Contact, ContactStatus
from w365desk.db.search_index import search_document
from w365desk.services.accounts.inputs import AccountInput, ContactInput


def refresh_derived_columns(session: Session, account: Account) -> None:
    contacts = session.scalars(
        select(Contact).where(Contact.account_id == account.id).order_by(Contact.id)
    ).all()
    account.search_text = search_document(
        name=account.name,
        number=account.number,
        emails=[account.primary_email, *(c.email for c in contacts)],
        phones=[account.phone, *(c.phone for c in contacts)],
        contact_names=[c.full_name for c in contacts],
    )
    billing = next((c for c in contacts if c.is_billing and c.status == ContactStatus.ACTIVE), None)
    account.billing_contact_name = billing.full_name if billing else ""


def derived_values(
    account: AccountInput, number: str, contacts: Sequence[ContactInput]
) -> dict[str, Any]:
    """The derived columns of a new account with these (validated, all active) contacts."""
    billing = next((c for c in contacts if c.is_billing), None)
    return {
        "search_text": search_document(
            name=account.name,
            number=number,
            emails=[account.primary_email, *(c.email for c in contacts)],
            phones=[account.phone, *(c.phone for c in contacts)],
            contact_names=[contact_display_name(c.first_name, c.last_name) for c in contacts],
        ),
        "billing_contact_name": (
            contact_display_name(billing.first_name, billing.last_name) if billing else ""
        ),
    }

"""Active accounts that look like one being saved: the same name, or the same email.

Two accounts for one customer split their history and their payment methods, so saving
a lookalike asks first; it is still allowed, since two customers can share a name.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from w365desk.db.models import Account, AccountStatus
from w365desk.services.accounts.inputs import AccountInput
from w365desk.services.accounts.search import normalize_search_key
from w365desk.services.errors import SimilarAccount

MAX_SHOWN = 5


def similar_accounts(
    session: Session, data: AccountInput, *, exclude: int | None
) -> list[SimilarAccount]:
    """Checked inside the saving transaction, so what it found is what the save meets."""
    name_key = normalize_search_key(data.name)
    email_key = normalize_search_key(data.primary_email) if data.primary_email else None
    same = [Account.name_key == name_key]
    if email_key:
        same.append(Account.email_key == email_key)
    statement = (
        select(Account.id, Account.number, Account.name, Account.primary_email, Account.name_key)
        .where(Account.status == AccountStatus.ACTIVE, or_(*same))
        .order_by(Account.id)
        .limit(MAX_SHOWN)
    )
    if exclude is not None:
        statement = statement.where(Account.id != exclude)
    return [
        SimilarAccount(
            row.id,
            row.number,
            row.name,
            row.primary_email,
            "the same name" if row.name_key == name_key else "the same email",
        )
        for row in session.execute(statement)
    ]

"""At most one billing contact per account, enforced by a partial unique index.

Revision ID: 0002_one_billing_contact
Revises: 0001_initial
Created: 2026-11-25

The service has kept this rule since 0001, but a database written by other tools may
hold an account with several billing contacts, and the index cannot be built over them.
The oldest billing contact of each such account keeps the flag; every other one loses it
the way the service would take it away: ``updated_at`` moves, and a ``contact.update``
audit event records the change, so nobody wonders later why a contact stopped being billed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from w365desk.db import types as db_types

revision: str = "0002_one_billing_contact"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MIGRATION_ACTOR = "w365desk migration 0002"

# The tables as this revision knows them, not as the models may look in a later version.
_contact = sa.table(
    "contact",
    sa.column("id", sa.Integer()),
    sa.column("account_id", sa.Integer()),
    sa.column("is_billing", sa.Boolean()),
    sa.column("created_at", db_types.UTCDateTime()),
    sa.column("updated_at", db_types.UTCDateTime()),
)
_audit_event = sa.table(
    "audit_event",
    sa.column("occurred_at", db_types.UTCDateTime()),
    sa.column("actor", sa.String(120)),
    sa.column("action", sa.String(60)),
    sa.column("entity_type", sa.String(40)),
    sa.column("entity_id", sa.String(40)),
    sa.column("details", sa.Text()),
)


def upgrade() -> None:
    _clear_duplicate_billing_contacts(op.get_bind())
    op.create_index(
        op.f("uq_contact_one_billing"),
        "contact",
        ["account_id"],
        unique=True,
        sqlite_where=sa.text("is_billing = 1"),
        postgresql_where=sa.text("is_billing"),
    )


def downgrade() -> None:
    op.drop_index(op.f("uq_contact_one_billing"), table_name="contact")


def _clear_duplicate_billing_contacts(connection: sa.Connection) -> None:
    billing = connection.execute(
        sa.select(_contact.c.id, _contact.c.account_id)
        .where(_contact.c.is_billing)
        .order_by(_contact.c.account_id, _contact.c.created_at, _contact.c.id)
    ).all()
    accounts_seen: set[int] = set()
    cleared: list[tuple[int, int]] = []
    for contact_id, account_id in billing:
        if account_id in accounts_seen:
            cleared.append((contact_id, account_id))
        accounts_seen.add(account_id)
    if not cleared:
        return

    now = datetime.now(UTC)
    connection.execute(
        sa.update(_contact)
        .where(_contact.c.id == sa.bindparam("contact_id"))
        .values(is_billing=False, updated_at=now),
        [{"contact_id": contact_id} for contact_id, _ in cleared],
    )
    connection.execute(
        sa.insert(_audit_event),
        [
            {
                "occurred_at": now,
                "actor": MIGRATION_ACTOR,
                "action": "contact.update",
                "entity_type": "contact",
                "entity_id": str(contact_id),
                "details": _details(account_id),
            }
            for contact_id, account_id in cleared
        ],
    )


def _details(account_id: int) -> str:
    # The shape AccountsService writes for the same change (compact, key-sorted JSON),
    # plus why: this revision does not import the service, whose code may change later.
    details = {
        "account_id": account_id,
        "changes": {"is_billing": {"from": True, "to": False}},
        "reason": "another billing contact of this account is older; an account has one",
    }
    return json.dumps(details, sort_keys=True, separators=(",", ":"))

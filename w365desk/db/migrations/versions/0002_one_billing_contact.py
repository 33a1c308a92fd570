"""At most one billing contact per account, enforced by a partial unique index.

Revision ID: 0002_one_billing_contact
Revises: 0001_initial
Created: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_one_billing_contact"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The service has kept this rule since 0001; clear any stray duplicates first so
    # the index can be built on databases written by other tools (keep the oldest).
    op.execute(
        sa.text(
            "UPDATE contact SET is_billing = false WHERE is_billing AND id NOT IN "
            "(SELECT MIN(id) FROM contact WHERE is_billing GROUP BY account_id)"
        )
    )
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

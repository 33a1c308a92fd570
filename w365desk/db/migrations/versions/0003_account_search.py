"""Search that finds, a list that sorts over every row, and what payment methods need.

Revision ID: 0003_account_search
Revises: 0002_one_billing_contact
Created: 2026-12-01

``account.search_text`` is each account's search document (see ``db/search_index.py``),
indexed by SQLite FTS5 (trigram, kept in step by triggers) or PostgreSQL ``pg_trgm``.
``billing_contact_name`` and ``default_payment_summary`` let the list show and sort by
them; the list's other sort columns get indexes. Existing rows are filled in here.
Payment profiles gain the bank account type and when a sync found them gone at the
gateway, and the indexes the Payment Profiles view filters and sorts by.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from w365desk.db import types as db_types
from w365desk.db.derived import contact_display_name, payment_summary
from w365desk.db.search_index import (
    POSTGRESQL_DDL,
    POSTGRESQL_DROP,
    SQLITE_DDL,
    SQLITE_DROP,
    SQLITE_REBUILD,
    search_document,
)

revision: str = "0003_account_search"
down_revision: str | None = "0002_one_billing_contact"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 2000

_account = sa.table(
    "account",
    sa.column("id", sa.Integer()),
    sa.column("number", sa.String(32)),
    sa.column("name", sa.String(200)),
    sa.column("primary_email", sa.String(254)),
    sa.column("phone", sa.String(40)),
    sa.column("search_text", sa.Text()),
    sa.column("billing_contact_name", sa.String(161)),
    sa.column("default_payment_summary", sa.String(80)),
)
_contact = sa.table(
    "contact",
    sa.column("account_id", sa.Integer()),
    sa.column("first_name", sa.String(80)),
    sa.column("last_name", sa.String(80)),
    sa.column("email", sa.String(254)),
    sa.column("phone", sa.String(40)),
    sa.column("is_billing", sa.Boolean()),
    sa.column("status", sa.String(24)),
)
_payment_profile = sa.table(
    "payment_profile",
    sa.column("account_id", sa.Integer()),
    sa.column("kind", sa.String(24)),
    sa.column("brand", sa.String(40)),
    sa.column("last4", sa.String(4)),
    sa.column("exp_month", sa.Integer()),
    sa.column("exp_year", sa.Integer()),
    sa.column("is_default", sa.Boolean()),
    sa.column("status", sa.String(24)),
)


def upgrade() -> None:
    op.add_column(
        "account", sa.Column("search_text", sa.Text(), server_default="", nullable=False)
    )
    op.add_column(
        "account",
        sa.Column("billing_contact_name", sa.String(161), server_default="", nullable=False),
    )
    op.add_column(
        "account",
        sa.Column("default_payment_summary", sa.String(80), server_default="", nullable=False),
    )
    op.add_column("payment_profile", sa.Column("bank_account_type", sa.String(24)))
    op.add_column("payment_profile", sa.Column("gateway_missing_at", db_types.UTCDateTime()))
    for name, table, columns in (
        ("ix_account_billing_contact_name", "account", ["billing_contact_name"]),
        ("ix_account_default_payment_summary", "account", ["default_payment_summary"]),
        ("ix_account_city", "account", ["city"]),
        ("ix_account_phone", "account", ["phone"]),
        ("ix_account_status", "account", ["status"]),
        ("ix_payment_profile_status", "payment_profile", ["status"]),
        ("ix_payment_profile_expiry", "payment_profile", ["exp_year", "exp_month"]),
        ("ix_payment_profile_created_at", "payment_profile", ["created_at"]),
    ):
        op.create_index(op.f(name), table, columns)

    bind = op.get_bind()
    _fill_derived_columns(bind)
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_DDL:
            op.execute(statement)
        op.execute(SQLITE_REBUILD)
    else:
        for statement in POSTGRESQL_DDL:
            op.execute(statement)


def _fill_derived_columns(bind: sa.Connection) -> None:
    last_id = 0
    while True:
        accounts = bind.execute(
            sa.select(
                _account.c.id,
                _account.c.number,
                _account.c.name,
                _account.c.primary_email,
                _account.c.phone,
            )
            .where(_account.c.id > last_id)
            .order_by(_account.c.id)
            .limit(_BATCH)
        ).all()
        if not accounts:
            return
        ids = [row.id for row in accounts]
        last_id = ids[-1]
        contacts = defaultdict(list)
        for contact in bind.execute(
            sa.select(_contact).where(_contact.c.account_id.in_(ids))
        ).all():
            contacts[contact.account_id].append(contact)
        defaults = {
            profile.account_id: profile
            for profile in bind.execute(
                sa.select(_payment_profile).where(
                    _payment_profile.c.account_id.in_(ids),
                    _payment_profile.c.is_default == sa.true(),
                    _payment_profile.c.status == "active",
                )
            ).all()
        }
        rows = []
        for account in accounts:
            people = contacts[account.id]
            billing = next((c for c in people if c.is_billing and c.status == "active"), None)
            default = defaults.get(account.id)
            rows.append(
                {
                    "account_id": account.id,
                    "search_text": search_document(
                        name=account.name,
                        number=account.number,
                        emails=[account.primary_email, *(c.email for c in people)],
                        phones=[account.phone, *(c.phone for c in people)],
                        contact_names=[
                            contact_display_name(c.first_name, c.last_name) for c in people
                        ],
                    ),
                    "billing_contact_name": (
                        contact_display_name(billing.first_name, billing.last_name)
                        if billing
                        else ""
                    ),
                    "default_payment_summary": (
                        payment_summary(
                            kind=default.kind,
                            brand=default.brand,
                            last4=default.last4,
                            exp_month=default.exp_month,
                            exp_year=default.exp_year,
                        )
                        if default
                        else ""
                    ),
                }
            )
        bind.execute(
            _account.update()
            .where(_account.c.id == sa.bindparam("account_id"))
            .values(
                search_text=sa.bindparam("search_text"),
                billing_contact_name=sa.bindparam("billing_contact_name"),
                default_payment_summary=sa.bindparam("default_payment_summary"),
            ),
            rows,
        )


def downgrade() -> None:
    bind = op.get_bind()
    for statement in SQLITE_DROP if bind.dialect.name == "sqlite" else POSTGRESQL_DROP:
        op.execute(statement)
    for name, table in (
        ("ix_payment_profile_created_at", "payment_profile"),
        ("ix_payment_profile_expiry", "payment_profile"),
        ("ix_payment_profile_status", "payment_profile"),
        ("ix_account_status", "account"),
        ("ix_account_phone", "account"),
        ("ix_account_city", "account"),
        ("ix_account_default_payment_summary", "account"),
        ("ix_account_billing_contact_name", "account"),
    ):
        op.drop_index(op.f(name), table_name=table)
    with op.batch_alter_table("payment_profile") as batch:
        batch.drop_column("gateway_missing_at")
        batch.drop_column("bank_account_type")
    with op.batch_alter_table("account") as batch:
        batch.drop_column("default_payment_summary")
        batch.drop_column("billing_contact_name")
        batch.drop_column("search_text")

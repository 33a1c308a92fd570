"""Alembic environment, driven by ``w365desk.db.migrate`` rather than an ``alembic.ini``.

The caller hands over a connection that is already inside the migration transaction (and
holds the cross-desktop lock), so this file neither begins nor commits anything itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from alembic import context
from sqlalchemy import Connection

from w365desk.db.engine import make_engine
from w365desk.db.models import Base
from w365desk.db.search_index import described_by_models
from w365desk.db.types import Money, UTCDateTime

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext

PROJECT_TYPES = (Money, UTCDateTime)


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render our column types through an import, so revisions do not spell module paths."""
    if type_ == "type" and isinstance(obj, PROJECT_TYPES):
        autogen_context.imports.add("from w365desk.db import types as db_types")
        return f"db_types.{type(obj).__name__}()"
    return False


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
        include_name=described_by_models,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    # Developer path (e.g. autogenerate from a scratch database): own engine, own transaction.
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("alembic_config() needs a connection or a url")
    engine = make_engine(url)
    try:
        with engine.begin() as own_connection:
            _configure_and_run(own_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("w365desk migrations run online only; use w365desk.db.migrate.upgrade")
run_migrations_online()

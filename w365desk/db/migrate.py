"""Bring a database to the newest schema (placeholder until Alembic lands: creates tables)."""

from __future__ import annotations

from sqlalchemy import Engine

from w365desk.db.models import Base


def upgrade(engine: Engine) -> None:
    Base.metadata.create_all(engine)

"""Loading and saving the settings every desk shares, through the ``setting`` table.

Saving is a use case like any other: the value is validated first, then the changed rows
and one ``settings.updated`` audit event commit together or not at all. What the values
mean and which are valid lives in :mod:`w365desk.settings`; this module only stores them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from w365desk.clock import Clock
from w365desk.db.engine import reading_session
from w365desk.db.models import Setting
from w365desk.services.actors import Actor
from w365desk.services.audit import record_audit
from w365desk.services.errors import ConflictError
from w365desk.settings import (
    SharedSettings,
    shared_settings_from_stored,
    validate_shared_settings,
)
from w365desk.settings.shared import FIELD_NAMES, to_text

AUDIT_ACTION = "settings.updated"
AUDIT_ENTITY_TYPE = "setting"

# Short, non-sensitive values worth seeing in the audit trail (who went live, when).
# Free text (templates, names, addresses) is recorded by key only.
AUDITED_VALUES = frozenset(
    {
        "gateway_environment",
        "link_lifetime_hours",
        "gateway_timeout_seconds",
        "duplicate_window_seconds",
        "smtp_security",
        "smtp_port",
        "currency",
        "gateway_validation_mode",
        "link_server_bind_address",
        "link_server_port",
    }
)

# INSERT ... ON CONFLICT DO NOTHING, in each supported database's own dialect.
_INSERT_BY_DIALECT: Mapping[str, Callable[[type[Setting]], Any]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


class SharedSettingsStore:
    """The shared settings of every desk, kept in the database."""

    def __init__(self, session_factory: sessionmaker[Session], clock: Clock) -> None:
        self._session_factory = session_factory
        self._clock = clock

    def load(self) -> SharedSettings:
        """The stored settings, defaults where nothing is stored.

        Rows for keys this version does not know are left alone. A stored value that is
        unusable (hand-edited, or from a newer version) is logged and replaced by its
        default in the result, so a desk can always start.
        """
        with reading_session(self._session_factory) as session:
            stored = session.execute(
                select(Setting.key, Setting.value).where(Setting.key.in_(FIELD_NAMES))
            )
            return shared_settings_from_stored({key: value for key, value in stored})

    def save(
        self, new: SharedSettings, *, actor: Actor, base: SharedSettings | None = None
    ) -> tuple[str, ...]:
        """Validate and store ``new``, writing only the keys whose stored value differs.

        Pass ``base`` (the settings as loaded when editing began) and only the fields the
        user actually changed since then are considered: a concurrent save from another
        desk to a different field is then kept rather than overwritten with stale values.

        One transaction: the changed rows and one ``settings.updated`` audit event naming
        the changed keys commit together or not at all. Returns the changed keys (empty
        when nothing changed; then nothing, not even an audit event, is written).
        """
        validate_shared_settings(new)
        wanted = to_text(new)
        candidates = list(FIELD_NAMES)
        if base is not None:
            before_editing = to_text(base)
            candidates = [key for key in candidates if wanted[key] != before_editing[key]]
        if not candidates:
            return ()

        with self._session_factory.begin() as session:
            changes = self._write_changes(session, candidates, wanted)
            if changes:
                record_audit(
                    session,
                    clock=self._clock,
                    actor=actor,
                    action=AUDIT_ACTION,
                    entity_type=AUDIT_ENTITY_TYPE,
                    entity_id=None,
                    details=_audit_details(changes),
                )
        return tuple(changes)

    def record_secret_change(self, names: Collection[str], *, actor: Actor) -> None:
        """Audit that secrets were set or removed: their names only, never a value."""
        with self._session_factory.begin() as session:
            record_audit(
                session,
                clock=self._clock,
                actor=actor,
                action="settings.secrets_updated",
                entity_type=AUDIT_ENTITY_TYPE,
                entity_id=None,
                details={"changed": sorted(str(name) for name in names)},
            )

    def _write_changes(
        self, session: Session, candidates: list[str], wanted: Mapping[str, str]
    ) -> dict[str, tuple[str, str]]:
        """Store each candidate that differs; ``{key: (from, to)}`` in ``candidates`` order."""
        now = self._clock.now()
        defaults = to_text(SharedSettings())
        rows = _lock_rows(session, candidates)
        # A key never stored reads as its default, and FOR UPDATE cannot lock a row that
        # does not exist: two desks saving the same new key would both insert it. So
        # insert only where still absent, and a row another desk inserted meanwhile is
        # locked and compared like any stored row (their value is then the "from").
        absent = {
            key: wanted[key]
            for key in candidates
            if key not in rows and wanted[key] != defaults[key]
        }
        inserted = _insert_where_absent(session, absent, now)
        taken_meanwhile = [key for key in absent if key not in inserted]
        if taken_meanwhile:
            rows.update(_lock_rows(session, taken_meanwhile))

        changes: dict[str, tuple[str, str]] = {}
        for key in candidates:
            if key in inserted:
                changes[key] = (defaults[key], wanted[key])
                continue
            row = rows.get(key)
            current = row.value if row is not None else defaults[key]
            if current == wanted[key]:
                continue
            if row is None:
                # Inserted by another desk a moment ago and already gone again: nothing
                # in w365desk deletes settings, so refuse rather than guess.
                raise ConflictError(
                    "Another desk changed the shared settings at the same moment. "
                    "Nothing was saved; please save again."
                )
            changes[key] = (current, wanted[key])
            row.value = wanted[key]
            row.updated_at = now
        return changes


def _lock_rows(session: Session, keys: Collection[str]) -> dict[str, Setting]:
    statement = select(Setting).where(Setting.key.in_(keys)).with_for_update()
    return {row.key: row for row in session.scalars(statement)}


def _insert_where_absent(session: Session, values: Mapping[str, str], now: datetime) -> set[str]:
    """Insert the rows whose key is still free; the keys actually inserted.

    On PostgreSQL a row another transaction is inserting makes this wait for it to commit
    (then the key is taken) or roll back (then it is ours) instead of failing.
    """
    if not values:
        return set()
    dialect = session.get_bind().dialect.name
    try:
        insert = _INSERT_BY_DIALECT[dialect]
    except KeyError:
        raise NotImplementedError(f"shared settings cannot be stored on {dialect}") from None
    statement = (
        insert(Setting)
        .values([{"key": key, "value": value, "updated_at": now} for key, value in values.items()])
        .on_conflict_do_nothing(index_elements=[Setting.key])
        .returning(Setting.key)
    )
    return set(session.scalars(statement))


def _audit_details(changes: Mapping[str, tuple[str, str]]) -> dict[str, Any]:
    return {
        "changed_keys": sorted(changes),
        "values": {
            key: {"from": old, "to": new}
            for key, (old, new) in sorted(changes.items())
            if key in AUDITED_VALUES
        },
    }

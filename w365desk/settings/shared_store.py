"""Loading and saving ``SharedSettings`` through the ``setting`` table, with an audit row."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from w365desk.clock import Clock
from w365desk.db.models import AuditEvent, Setting
from w365desk.settings.errors import SettingsError
from w365desk.settings.shared import (
    FIELD_NAMES,
    SharedSettings,
    parse_field,
    to_text,
)
from w365desk.settings.shared_validation import field_problems, validate_shared_settings

log = logging.getLogger(__name__)

AUDIT_ACTION = "settings.updated"
ACTOR_MAX_LENGTH = 120

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
    }
)


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
        with self._session_factory() as session:
            stored = {
                row.key: row.value
                for row in session.scalars(select(Setting).where(Setting.key.in_(FIELD_NAMES)))
            }
        return _settings_from_rows(stored)

    def save(
        self, new: SharedSettings, actor: str, *, base: SharedSettings | None = None
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
        actor = _checked_actor(actor)
        wanted = to_text(new)
        candidates = list(FIELD_NAMES)
        if base is not None:
            before_editing = to_text(base)
            candidates = [key for key in candidates if wanted[key] != before_editing[key]]
        if not candidates:
            return ()

        defaults = to_text(SharedSettings())
        now = self._clock.now()
        with self._session_factory.begin() as session:
            rows = {
                row.key: row
                for row in session.scalars(
                    select(Setting).where(Setting.key.in_(candidates)).with_for_update()
                )
            }
            changes: dict[str, tuple[str, str]] = {}
            for key in candidates:
                row = rows.get(key)
                current = row.value if row is not None else defaults[key]
                if current == wanted[key]:
                    continue
                changes[key] = (current, wanted[key])
                if row is None:
                    session.add(Setting(key=key, value=wanted[key], updated_at=now))
                else:
                    row.value = wanted[key]
                    row.updated_at = now
            if changes:
                session.add(_audit_event(changes, actor, now))
        return tuple(changes)


def _settings_from_rows(stored: dict[str, str]) -> SharedSettings:
    parsed: dict[str, object] = {}
    for key, text in stored.items():
        try:
            parsed[key] = parse_field(key, text)
        except SettingsError:
            log.warning("stored shared setting %s cannot be read; using its default", key)
    settings = replace(SharedSettings(), **parsed)  # type: ignore[arg-type]
    problems = field_problems(settings)
    if problems:
        for key in problems:
            log.warning("stored shared setting %s is not valid; using its default", key)
        defaults = SharedSettings()
        settings = replace(settings, **{key: getattr(defaults, key) for key in problems})
    return settings


def _checked_actor(actor: str) -> str:
    actor = actor.strip() if isinstance(actor, str) else ""
    if not actor:
        raise ValueError("saving settings needs the name of the person doing it")
    if len(actor) > ACTOR_MAX_LENGTH:
        raise ValueError(f"actor name is longer than {ACTOR_MAX_LENGTH} characters")
    return actor


def _audit_event(changes: dict[str, tuple[str, str]], actor: str, when: datetime) -> AuditEvent:
    details = {
        "changed_keys": sorted(changes),
        "values": {
            key: {"from": old, "to": new}
            for key, (old, new) in sorted(changes.items())
            if key in AUDITED_VALUES
        },
    }
    return AuditEvent(
        occurred_at=when,
        actor=actor,
        action=AUDIT_ACTION,
        entity_type="setting",
        entity_id=None,
        details=json.dumps(details, sort_keys=True, separators=(",", ":")),
    )

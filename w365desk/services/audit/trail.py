"""The audit trail: who did what to which record, written in the caller's transaction.

Details are stored as compact, key-sorted JSON, after the guard (``guard.py``) has
refused anything that looks like card data or a secret; the refusal names where the
value was found, never the value. The actor is recorded as ``Actor.audit_name``.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from w365desk.clock import Clock
from w365desk.db.models import AuditEvent
from w365desk.services.actors import Actor
from w365desk.services.audit.guard import find_sensitive, may_hold_card_number
from w365desk.services.errors import SensitiveDataError

ENTITY_ID_MAX_LENGTH = 40


def _json_default(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    raise TypeError(f"audit details cannot hold a {type(value).__name__}")


def serialize_details(details: Mapping[str, Any] | None) -> str | None:
    """Compact sorted JSON for ``details``, after refusing card data and secrets."""
    if details is None:
        return None
    text = json.dumps(
        details,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=_json_default,
    )
    # Digits, spaces and dashes pass through JSON unchanged, so when the whole text has
    # no run of 13 digits no single value can hold a card and only key names need a look.
    found = find_sensitive(details, check_values=may_hold_card_number(text))
    if found:
        raise SensitiveDataError(
            f"Refused to write an audit record: {found}. "
            "Card numbers, security codes and secrets are never stored."
        )
    return text


def _clean_entity_id(entity_id: object | None) -> str | None:
    if entity_id is None:
        return None
    text = str(entity_id)
    if len(text) > ENTITY_ID_MAX_LENGTH:
        raise ValueError(f"entity id longer than {ENTITY_ID_MAX_LENGTH} characters")
    return text


def record_audit(
    session: Session,
    *,
    clock: Clock,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: object | None,
    details: Mapping[str, Any] | None,
) -> AuditEvent:
    """Add one audit event to ``session``; it commits or rolls back with the change."""
    event = AuditEvent(
        occurred_at=clock.now(),
        actor=actor.audit_name,
        action=action,
        entity_type=entity_type,
        entity_id=_clean_entity_id(entity_id),
        details=serialize_details(details),
    )
    session.add(event)
    return event


@dataclass(frozen=True)
class AuditEntry:
    """One event for :func:`record_audit_many`."""

    action: str
    entity_type: str
    entity_id: object | None
    details: Mapping[str, Any] | None = None


_AUDIT_TABLE = cast(Table, AuditEvent.__table__)


def record_audit_many(
    session: Session, *, clock: Clock, actor: Actor, entries: Iterable[AuditEntry]
) -> int:
    """Insert many audit events in one statement (bulk imports); returns how many."""
    occurred_at = clock.now()
    rows = [
        {
            "occurred_at": occurred_at,
            "actor": actor.audit_name,
            "action": entry.action,
            "entity_type": entry.entity_type,
            "entity_id": _clean_entity_id(entry.entity_id),
            "details": serialize_details(entry.details),
        }
        for entry in entries
    ]
    if rows:
        # Core insert on the session's connection: same transaction, no per-row ORM work.
        session.connection().execute(insert(_AUDIT_TABLE), rows)
    return len(rows)

"""The audit trail: who did what to which record, written in the caller's transaction.

Details are stored as compact, key-sorted JSON. Because the audit table outlives
everything else, it refuses anything that looks like card data or a secret: a key
named like one, or a digit run that is a plausible card number (13-19 digits that
pass the Luhn check). The refusal names where the value was found, never the value.
"""

from __future__ import annotations

import enum
import functools
import getpass
import json
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from w365desk.clock import Clock
from w365desk.db.models import AuditEvent
from w365desk.gateway.cards import luhn_valid
from w365desk.services.errors import SensitiveDataError

ACTOR_MAX_LENGTH = 120
ENTITY_ID_MAX_LENGTH = 40
UNKNOWN_USER = "unknown-user"

# Compared against keys with case, spaces, dashes and underscores removed.
_SENSITIVE_KEY_PARTS = (
    "cardnumber",
    "cardcode",
    "cvv",
    "cvc",
    "securitycode",
    "accountnumber",
    "password",
    "passwd",
    "transactionkey",
    "secret",
)

# A run of digits where single spaces or dashes may separate groups, as people type cards.
_DIGIT_RUN = re.compile(r"\d+(?:[ -]\d+)*")
_GROUP_SEPARATOR = re.compile(r"[ -]")
# Cheap first test: most values never hold 13 digits in a row, even allowing separators.
_ENOUGH_DIGITS = re.compile(r"(?:\d[ -]?){13}")
_KEY_SEPARATORS = re.compile(r"[\s_\-.]")
_CARD_MIN_DIGITS = 13
_CARD_MAX_DIGITS = 19


def _ascii_digits_keeping_separators(run: str) -> str:
    # ``\d`` also matches full-width and other Unicode digits; compare them as 0-9.
    return "".join(char if char in " -" else str(unicodedata.digit(char)) for char in run)


def contains_card_number(text: str) -> bool:
    """True when ``text`` holds a plausible payment card number.

    Digit groups are joined the way a card is usually written ("4111 1111-1111 1111"),
    and every consecutive run of groups with 13-19 digits is tested, so a card followed
    by an expiry ("4111 1111 1111 1111 12 26") is still caught. A run that starts with
    "+" is an international phone number and is not tested from its first group.
    """
    if not _ENOUGH_DIGITS.search(text):
        return False
    for match in _DIGIT_RUN.finditer(text):
        groups = _GROUP_SEPARATOR.split(_ascii_digits_keeping_separators(match.group()))
        first_start = 1 if match.start() > 0 and text[match.start() - 1] == "+" else 0
        for start in range(first_start, len(groups)):
            digits = ""
            for group in groups[start:]:
                digits += group
                if len(digits) > _CARD_MAX_DIGITS:
                    break
                if len(digits) >= _CARD_MIN_DIGITS and luhn_valid(digits):
                    return True
    return False


@functools.lru_cache(maxsize=1024)
def is_sensitive_key(key: str) -> bool:
    """True for keys named like card data or secrets (``card_number``, ``CVV``, ``password``…)."""
    compact = _KEY_SEPARATORS.sub("", key).casefold()
    return any(part in compact for part in _SENSITIVE_KEY_PARTS)


def find_sensitive(value: Any, path: str = "details", *, check_values: bool = True) -> str | None:
    """Where in a nested structure card data or a secret key appears, or None if clean.

    ``check_values`` False looks at key names only (for callers that already know no
    value holds enough digits to be a card).
    """
    if isinstance(value, Mapping):
        for key, item in value.items():
            key_text = str(key)
            item_path = f"{path}.{key_text}"
            if is_sensitive_key(key_text):
                return f"{item_path} (a key named like card data or a secret)"
            if check_values and contains_card_number(key_text):
                return f"{path} (a key that looks like a payment card number)"
            found = find_sensitive(item, item_path, check_values=check_values)
            if found:
                return found
        return None
    if isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            found = find_sensitive(item, f"{path}[{index}]", check_values=check_values)
            if found:
                return found
        return None
    if not check_values:
        return None
    if isinstance(value, enum.Enum):
        value = value.value
    is_scalar = isinstance(value, str | int | Decimal) and not isinstance(value, bool)
    if is_scalar and contains_card_number(str(value)):
        return f"{path} (a value that looks like a payment card number)"
    return None


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
    found = find_sensitive(details, check_values=_ENOUGH_DIGITS.search(text) is not None)
    if found:
        raise SensitiveDataError(
            f"Refused to write an audit record: {found}. "
            "Card numbers, security codes and secrets are never stored."
        )
    return text


def clean_actor(actor: str) -> str:
    """The acting user's name as the audit trail stores it: trimmed, cut to the column.

    Raises ``ValueError`` for a blank name; use cases call it before changing anything so
    a missing name is refused up front rather than at the end of the transaction.
    """
    actor = actor.strip() if isinstance(actor, str) else ""
    if not actor:
        raise ValueError("an audit record needs the acting user's name")
    return actor[:ACTOR_MAX_LENGTH]


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
    actor: str,
    action: str,
    entity_type: str,
    entity_id: object | None,
    details: Mapping[str, Any] | None,
) -> AuditEvent:
    """Add one audit event to ``session``; it commits or rolls back with the change."""
    event = AuditEvent(
        occurred_at=clock.now(),
        actor=clean_actor(actor),
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


def record_audit_many(
    session: Session, *, clock: Clock, actor: str, entries: Iterable[AuditEntry]
) -> int:
    """Insert many audit events in one statement (bulk imports); returns how many."""
    occurred_at = clock.now()
    actor_name = clean_actor(actor)
    rows = [
        {
            "occurred_at": occurred_at,
            "actor": actor_name,
            "action": entry.action,
            "entity_type": entry.entity_type,
            "entity_id": _clean_entity_id(entry.entity_id),
            "details": serialize_details(entry.details),
        }
        for entry in entries
    ]
    if rows:
        # Core insert on the session's connection: same transaction, no per-row ORM work.
        session.connection().execute(insert(AuditEvent.__table__), rows)
    return len(rows)


def current_os_user() -> str:
    """The signed-in OS user's name, for the audit trail; never fails."""
    try:
        name = getpass.getuser()
    except Exception:  # getpass raises OSError/KeyError when no user name can be found
        name = os.environ.get("USERNAME") or os.environ.get("USER") or ""
    name = name.strip()
    return name[:ACTOR_MAX_LENGTH] if name else UNKNOWN_USER

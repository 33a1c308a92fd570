"""Account numbers in the database: which are taken, allocating new ones, and conflicts.

Format rules for a number someone types live with the input
(:func:`~w365desk.services.account_inputs.normalize_account_number`); this module is
about numbers as rows: lookups, allocation and the unique constraint that guards them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from w365desk.db.models import Account

AUTO_NUMBER_PREFIX = "ACC-"
AUTO_NUMBER_DIGITS = 6
_IN_CHUNK = 500


def _chunks(items: Sequence[str], size: int = _IN_CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def existing_account_numbers(session: Session, numbers: Collection[str]) -> set[str]:
    """Which of ``numbers`` are already used by an account (chunked IN lookups)."""
    found: set[str] = set()
    ordered = sorted(set(numbers))
    for chunk in _chunks(ordered):
        found.update(session.scalars(select(Account.number).where(Account.number.in_(chunk))))
    return found


def allocate_account_numbers(
    session: Session, count: int, *, reserved: Collection[str] = ()
) -> list[str]:
    """``count`` unused numbers like ACC-000123, skipping any in ``reserved``.

    Numbers follow the row ids, so they stay short and roughly chronological; a number
    someone typed by hand is skipped, never reused. Two desktops allocating at the same
    moment can still pick the same number: the unique constraint catches that and the
    caller retries.
    """
    next_value = (session.scalar(select(func.max(Account.id))) or 0) + 1
    allocated: list[str] = []
    while len(allocated) < count:
        wanted = count - len(allocated)
        batch = [
            f"{AUTO_NUMBER_PREFIX}{value:0{AUTO_NUMBER_DIGITS}d}"
            for value in range(next_value, next_value + wanted)
        ]
        next_value += wanted
        taken = existing_account_numbers(session, batch)
        allocated += [n for n in batch if n not in taken and n not in reserved]
    return allocated


def is_account_number_conflict(error: IntegrityError) -> bool:
    """True when ``error`` is the unique constraint on account numbers (either backend)."""
    text = str(error.orig)
    return "uq_account_number" in text or "account.number" in text


def duplicate_number_message(number: str) -> str:
    return f"Account number {number} is already used by another account."

"""The guard in front of everything stored: is this card data or a secret?

The audit table outlives everything else, so it refuses a key named like card data or
a secret, or a digit run that is a plausible card number (13-19 digits that pass the
Luhn check). Account inputs and the CSV importer use the same test on what staff type.
"""

from __future__ import annotations

import enum
import functools
import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from w365desk.cards import luhn_valid

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


def may_hold_card_number(text: str) -> bool:
    """Cheap first test: False means no value in ``text`` can hold a card number."""
    return _ENOUGH_DIGITS.search(text) is not None


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

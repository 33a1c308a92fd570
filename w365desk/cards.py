"""The desk's card-number rules, in one place: accepted lengths, the Luhn check, the brand.

The gateway's value types check typed cards with these, and the audit guard uses the
Luhn check to refuse anything card-like. The offline sandbox keeps its own rules on
purpose (it plays the gateway; a shared bug would hide from every test). Nothing here
logs, stores or puts a card number into a message.

Only ASCII digits count as digits: ``str.isdigit`` also accepts full-width and other
Unicode digits (U+FF14 FULLWIDTH DIGIT FOUR…), which ``int`` happily converts, so a number typed in
another script would pass Luhn here and then be refused, or mangled, by the gateway.
"""

from __future__ import annotations

import re

# Authorize.Net's schema allows a card number of at most 16 digits; no card network
# issues fewer than 13.
MIN_CARD_DIGITS = 13
MAX_CARD_DIGITS = 16
CARD_NUMBER_LENGTHS = range(MIN_CARD_DIGITS, MAX_CARD_DIGITS + 1)

# Authorize.Net's own brand names (the ``cardType``/``accountType`` it reports), so a
# brand detected here and one read back from the gateway compare equal.
VISA = "Visa"
MASTERCARD = "MasterCard"
AMEX = "AmericanExpress"
DISCOVER = "Discover"
JCB = "JCB"
DINERS = "DinersClub"
UNKNOWN = "Unknown"

# The sandbox testing guide lists this number as its JCB test card, although 3088 lies
# outside JCB's current 3528-3589 range.
_SANDBOX_JCB_TEST_CARD = "3088000000000017"

_ASCII_DIGITS = re.compile(r"[0-9]+")
_SEPARATORS = re.compile(r"[ \-]")


class CardNumberError(ValueError):
    """A card number was refused. The message says why and never contains the number."""


def is_ascii_digits(text: str) -> bool:
    return _ASCII_DIGITS.fullmatch(text) is not None


def luhn_valid(digits: str) -> bool:
    """True when ``digits`` is a non-empty run of ASCII digits whose Luhn check digit fits."""
    if not is_ascii_digits(digits):
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _prefix_between(digits: str, width: int, low: int, high: int) -> bool:
    return len(digits) >= width and low <= int(digits[:width]) <= high


def card_brand(number: str) -> str:
    """The card network for a number by its issuer prefix, in Authorize.Net's spelling.

    Spaces and dashes are ignored. Returns ``"Unknown"`` for an unrecognised prefix or
    anything that is not ASCII digits.
    """
    digits = _SEPARATORS.sub("", number.strip())
    if not is_ascii_digits(digits):
        return UNKNOWN
    if digits.startswith("4"):
        return VISA
    if _prefix_between(digits, 2, 51, 55) or _prefix_between(digits, 4, 2221, 2720):
        return MASTERCARD
    if digits.startswith(("34", "37")):
        return AMEX
    if (
        digits.startswith(("6011", "65"))
        or _prefix_between(digits, 3, 644, 649)
        or _prefix_between(digits, 6, 622126, 622925)
    ):
        return DISCOVER
    if _prefix_between(digits, 4, 3528, 3589) or digits == _SANDBOX_JCB_TEST_CARD:
        return JCB
    if _prefix_between(digits, 3, 300, 305) or digits.startswith(("36", "38")):
        return DINERS
    return UNKNOWN


def normalize_card_number(text: str) -> str:
    """The digits of a typed card number: spaces and dashes removed, ASCII digits only.

    Raises ``CardNumberError`` for an empty number or any other character (letters,
    full-width or other non-ASCII digits, dots…). Length and Luhn are not checked here:
    see ``check_card_number``.
    """
    digits = _SEPARATORS.sub("", (text or "").strip())
    if not digits:
        raise CardNumberError("Enter the card number.")
    if not is_ascii_digits(digits):
        raise CardNumberError("The card number may contain only the digits 0-9, spaces and dashes.")
    return digits


def check_card_number(text: str) -> str:
    """Normalize a typed card number and refuse a wrong length or check digit.

    Returns the bare digits; raises ``CardNumberError`` with a specific message.
    """
    digits = normalize_card_number(text)
    if len(digits) not in CARD_NUMBER_LENGTHS:
        raise CardNumberError(
            f"A card number has {MIN_CARD_DIGITS} to {MAX_CARD_DIGITS} digits; "
            f"this one has {len(digits)}."
        )
    if not luhn_valid(digits):
        raise CardNumberError(
            "This card number is not valid (its check digit does not match). "
            "Please check it for a typo."
        )
    return digits


BRAND_LABELS = {
    VISA: "Visa",
    MASTERCARD: "Mastercard",
    AMEX: "American Express",
    DISCOVER: "Discover",
    JCB: "JCB",
    DINERS: "Diners Club",
}


def group_card_digits(text: str) -> str:
    """The digits of ``text`` grouped as printed on the card: 4-6-5 for American Express
    and Diners Club (14 digits: 4-6-4), fours for the rest. Anything but digits is dropped."""
    digits = "".join(c for c in text if c.isascii() and c.isdigit())[:MAX_CARD_DIGITS]
    brand = card_brand(digits) if len(digits) >= 2 else UNKNOWN
    cuts: tuple[int, ...] = (4, 10) if brand in (AMEX, DINERS) else (4, 8, 12)
    groups, start = [], 0
    for cut in cuts:
        if len(digits) > cut:
            groups.append(digits[start:cut])
            start = cut
    groups.append(digits[start:])
    return " ".join(group for group in groups if group)

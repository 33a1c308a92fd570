"""The sandbox's own card and bank tables: test cards, AVS and CVV codes, expiry and masking.

The sandbox plays the gateway, so it keeps its own card rules instead of sharing the
desk's: the same Luhn or brand bug can then never sit in the app and in its fake alike,
where no test would see it. It accepts only Authorize.Net's published test cards: it
is the app's default gateway until real keys are entered, and a real card typed into
it must be refused, never processed or remembered. The brand it reports is the one
Authorize.Net's sandbox reports for each test card.

The AVS and CVV tables follow Authorize.Net's sandbox testing guide: the billing zip
and the card code a test sends choose the result the processor reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

# The gateway's schema takes 13 to 16 digits for a card number.
CARD_NUMBER_LENGTHS = range(13, 17)
AMEX = "AmericanExpress"
UNKNOWN_BRAND = "Unknown"
_DIGITS = re.compile(r"[0-9]+")

# The test cards Authorize.Net's sandbox accepts, with the brand it reports for each.
TEST_CARDS: dict[str, str] = {
    "4111111111111111": "Visa",
    "4007000000027": "Visa",
    "4012888818888": "Visa",
    "5424000000000015": "MasterCard",
    "2223000010309703": "MasterCard",
    "2223000010309711": "MasterCard",
    "370000000000002": "AmericanExpress",
    "6011000000000012": "Discover",
    "3088000000000017": "JCB",
    "38000000000006": "DinersClub",
}

# What a refused card number is told: the field, then why (never the number itself).
NOT_A_TEST_CARD_TEXT = (
    "Card Number is invalid. This is the offline sandbox: it accepts only Authorize.Net's "
    "published test card numbers (such as 4111111111111111), never a real card."
)
# The same, worded as a transaction's error text (reason code 6).
NOT_A_TEST_CARD_REASON_TEXT = (
    "The credit card number is invalid. The offline sandbox accepts only Authorize.Net's "
    "published test card numbers."
)

# Billing zip that makes the processor decline (response code 2, reason 2).
DECLINING_ZIP = "46282"

# Billing zip -> AVS result code (testing guide). Other zips match fully ("Y").
AVS_BY_ZIP: dict[str, str] = {
    "46201": "A",  # address matches, zip does not
    "46203": "E",  # AVS data invalid or not allowed for this card type
    "46204": "G",  # non-U.S. issuer, no AVS support
    "46205": "N",  # neither address nor zip match
    "46206": "P",  # AVS not applicable
    "46207": "R",  # AVS system unavailable
    "46208": "S",  # U.S. issuer does not support AVS
    "46209": "U",  # address information unavailable
    "46211": "W",  # 9-digit zip matches, address does not
    "46214": "X",  # address and 9-digit zip match
    "46217": "Z",  # zip matches, address does not
}
AVS_FULL_MATCH = "Y"
AVS_NOT_PROVIDED = "B"
AVS_NOT_APPLICABLE = "P"  # eCheck transactions carry no AVS check

# Card code -> CVV result code (testing guide). Any other code matches ("M").
CVV_BY_CODE: dict[str, str] = {
    "900": "M",  # match
    "901": "N",  # no match
    "902": "S",  # should be on card but was not indicated
    "903": "U",  # issuer not certified
    "904": "P",  # not processed
}
CVV_MATCH = "M"

MASK = "XXXX"

_EXPIRY_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^([0-9]{4})[-/]([0-9]{1,2})$"), "ym"),
    (re.compile(r"^([0-9]{2})[-/]?([0-9]{2})$"), "my2"),
    (re.compile(r"^([0-9]{1,2})[-/]?([0-9]{4})$"), "my4"),
)


def is_ascii_digits(text: str) -> bool:
    # Not str.isdigit: that also takes full-width and other Unicode digits.
    return _DIGITS.fullmatch(text) is not None


def passes_luhn(digits: str) -> bool:
    """The mod-10 check every card number carries in its last digit."""
    if not is_ascii_digits(digits):
        return False
    checksum = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        checksum += value
    return checksum % 10 == 0


def card_number_well_formed(number: str) -> bool:
    """13 to 16 ASCII digits passing the Luhn check: what the gateway accepts as a card number."""
    return len(number) in CARD_NUMBER_LENGTHS and passes_luhn(number)


def is_test_card(number: str) -> bool:
    return number in TEST_CARDS


def brand_of(number: str) -> str:
    """The brand the sandbox reports for a card number (only test cards are ever stored)."""
    return TEST_CARDS.get(number, UNKNOWN_BRAND)


def card_code_valid(code: str, brand: str) -> bool:
    length = 4 if brand == AMEX else 3
    return is_ascii_digits(code) and len(code) == length


def routing_number_valid(routing: str) -> bool:
    """Nine digits with a valid ABA checksum."""
    if not (is_ascii_digits(routing) and len(routing) == 9):
        return False
    d = [int(c) for c in routing]
    checksum = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])
    return checksum % 10 == 0


def bank_account_number_valid(number: str) -> bool:
    return is_ascii_digits(number) and 5 <= len(number) <= 17


@dataclass(frozen=True, order=True)
class Expiry:
    year: int
    month: int

    def iso(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def expired_at(self, now: datetime) -> bool:
        """A card is good through the last day of its expiry month."""
        return (self.year, self.month) < (now.year, now.month)


def parse_expiry(text: str) -> Expiry | None:
    """Read the expiry formats the gateway accepts: YYYY-MM, MMYY, MM/YY, MMYYYY, MM/YYYY."""
    value = text.strip()
    for pattern, layout in _EXPIRY_PATTERNS:
        match = pattern.match(value)
        if not match:
            continue
        first, second = match.group(1), match.group(2)
        if layout == "ym":
            year, month = int(first), int(second)
        elif layout == "my2":
            month, year = int(first), 2000 + int(second)
        else:
            month, year = int(first), int(second)
        if 1 <= month <= 12 and 2000 <= year <= 2099:
            return Expiry(year, month)
        return None
    return None


def is_masked(value: str) -> bool:
    return value.upper().startswith(MASK)


def masked(last4: str) -> str:
    return f"{MASK}{last4}"


def last4_of(value: str) -> str:
    """Last four digits of a full or masked number (``XXXX1111`` -> ``1111``)."""
    return value[-4:]


def avs_code_for(zip_code: str | None, address: str | None) -> str:
    if not zip_code and not address:
        return AVS_NOT_PROVIDED
    five = (zip_code or "").strip()[:5]
    return AVS_BY_ZIP.get(five, AVS_FULL_MATCH)


def cvv_code_for(card_code: str | None) -> str:
    """Empty when no card code was sent, as the gateway does."""
    if not card_code:
        return ""
    return CVV_BY_CODE.get(card_code, CVV_MATCH)


def zip_declines(zip_code: str | None) -> bool:
    return (zip_code or "").strip()[:5] == DECLINING_ZIP

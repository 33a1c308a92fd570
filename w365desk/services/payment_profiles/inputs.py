"""What staff type for a payment method, and every check that can be made before the gateway.

``CardEntry``, ``BankEntry`` and ``BillingEntry`` hold text as typed and list every
field problem at once (one message per field, never repeating a card or account number),
so the form can mark every bad field before anything is sent. ``to_gateway`` gives the
gateway port's own value types once the entry is clean. Nothing here is ever stored or
logged: only the gateway's ids, the brand, the last four digits and the expiry are kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from w365desk.cards import AMEX, CardNumberError, card_brand, check_card_number, is_ascii_digits
from w365desk.gateway import BankAccountInput, BillingAddress, CardInput
from w365desk.gateway.types import aba_routing_valid
from w365desk.services.errors import FieldProblem, ValidationError

BANK_ACCOUNT_TYPES = ("checking", "savings", "businessChecking")
BANK_ACCOUNT_TYPE_LABELS = {
    "checking": "Checking",
    "savings": "Savings",
    "businessChecking": "Business checking",
}
_SEPARATORS = re.compile(r"[ \-]")
_US_ZIP = re.compile(r"\d{5}(?:-?\d{4})?")
_CA_POSTCODE = re.compile(r"[A-Za-z]\d[A-Za-z] ?\d[A-Za-z]\d")
_OTHER_POSTCODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 \-]{1,9}")
# The countries whose state or province the gateway's address checks need.
COUNTRIES_WITH_STATES = ("US", "CA")


def _clean(value: str | None) -> str:
    return " ".join((value or "").split())


def _year(text: str) -> int | None:
    text = text.strip()
    if not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    if len(text) == 2:
        value += 2000
    return value if 2000 <= value <= 2099 else None


def _month(text: str) -> int | None:
    text = text.strip()
    if not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if 1 <= value <= 12 else None


def _raise_if(problems: list[FieldProblem]) -> None:
    if problems:
        raise ValidationError.from_problems(problems)


@dataclass(frozen=True, repr=False)
class CardEntry:
    """A card as typed: number (spaces and dashes allowed), MM, YY or YYYY, CVV, name."""

    number: str
    exp_month: str
    exp_year: str
    cvv: str
    name_on_card: str

    def __repr__(self) -> str:  # never the number, not even in a traceback's locals
        return "CardEntry(…)"

    def brand(self) -> str:
        """The brand the number's prefix suggests, for the form (the gateway's counts)."""
        return card_brand(_SEPARATORS.sub("", self.number))

    def problems(self, today: date) -> list[FieldProblem]:
        found: list[FieldProblem] = []
        digits: str | None = None
        try:
            digits = check_card_number(self.number)
        except CardNumberError as error:
            found.append(FieldProblem("card_number", str(error)))
        month, year = _month(self.exp_month), _year(self.exp_year)
        if month is None:
            found.append(FieldProblem("exp_month", "Enter the expiry month, 01 to 12."))
        if year is None:
            found.append(FieldProblem("exp_year", "Enter the expiry year, such as 2030 or 30."))
        if month is not None and year is not None and (year, month) < (today.year, today.month):
            found.append(
                FieldProblem("exp_month", f"This card expired at the end of {month:02d}/{year}.")
            )
        cvv = self.cvv.strip()
        wanted = 4 if digits is not None and card_brand(digits) == AMEX else 3
        if not cvv:
            found.append(FieldProblem("cvv", "Enter the security code (CVV) from the card."))
        elif not is_ascii_digits(cvv) or (digits is not None and len(cvv) != wanted):
            found.append(
                FieldProblem(
                    "cvv",
                    f"The security code (CVV) for this card is {wanted} digits"
                    + (" (American Express: the 4 on the front)." if wanted == 4 else "."),
                )
            )
        elif digits is None and len(cvv) not in (3, 4):
            found.append(FieldProblem("cvv", "The security code (CVV) is 3 or 4 digits."))
        name = _clean(self.name_on_card)
        if not name:
            found.append(FieldProblem("name_on_card", "Enter the name as printed on the card."))
        elif len(name) > 64:
            found.append(FieldProblem("name_on_card", "The name on the card is too long."))
        return found

    def to_gateway(self, today: date) -> CardInput:
        _raise_if(self.problems(today))
        month, year = _month(self.exp_month), _year(self.exp_year)
        assert month is not None and year is not None
        return CardInput(self.number, month, year, self.cvv.strip())


@dataclass(frozen=True, repr=False)
class BankEntry:
    """A US bank account as typed: routing number, account number, type, name on account."""

    routing_number: str
    account_number: str
    account_type: str
    name_on_account: str

    def __repr__(self) -> str:
        return "BankEntry(…)"

    def problems(self) -> list[FieldProblem]:
        found: list[FieldProblem] = []
        routing = _SEPARATORS.sub("", self.routing_number.strip())
        if not routing:
            found.append(FieldProblem("routing_number", "Enter the 9-digit routing (ABA) number."))
        elif not aba_routing_valid(routing):
            found.append(
                FieldProblem(
                    "routing_number",
                    "This routing number is not valid (its ABA check digit does not match); "
                    "check it against the cheque or the bank's letter.",
                )
            )
        account = _SEPARATORS.sub("", self.account_number.strip())
        if not account:
            found.append(FieldProblem("account_number", "Enter the bank account number."))
        elif not is_ascii_digits(account) or not 4 <= len(account) <= 17:
            found.append(FieldProblem("account_number", "A bank account number is 4 to 17 digits."))
        if self.account_type not in BANK_ACCOUNT_TYPES:
            found.append(
                FieldProblem("account_type", "Choose checking, savings or business checking.")
            )
        name = _clean(self.name_on_account)
        if not name:
            found.append(FieldProblem("name_on_account", "Enter the name on the bank account."))
        elif len(name) > 22:
            found.append(
                FieldProblem(
                    "name_on_account",
                    "The name on the account may be at most 22 characters (the banks' limit).",
                )
            )
        return found

    def to_gateway(self) -> BankAccountInput:
        _raise_if(self.problems())
        return BankAccountInput(
            self.routing_number,
            self.account_number,
            _clean(self.name_on_account),
            account_type=self.account_type,  # type: ignore[arg-type]  # checked above
        )


_BILLING_LIMITS = {
    "first_name": ("First name", 50),
    "last_name": ("Last name", 50),
    "company": ("Company", 50),
    "address": ("Address", 60),
    "city": ("City", 40),
    "state": ("State or province", 40),
    "zip": ("ZIP or postcode", 20),
    "country": ("Country", 60),
    "phone": ("Phone", 25),
}


@dataclass(frozen=True)
class BillingEntry:
    """The billing name and address the gateway's checks compare (AVS, duplicates)."""

    first_name: str = ""
    last_name: str = ""
    company: str = ""
    address: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    country: str = "US"
    phone: str = ""

    def normalized(self) -> BillingEntry:
        values = {name: _clean(getattr(self, name)) for name in _BILLING_LIMITS}
        values["country"] = (
            values["country"].upper() if len(values["country"]) == 2 else values["country"]
        )
        if values["country"] == "CA":
            values["zip"] = values["zip"].upper()
        return BillingEntry(**values)

    def problems(self) -> list[FieldProblem]:
        data = self.normalized()
        found: list[FieldProblem] = []
        for name, (label, limit) in _BILLING_LIMITS.items():
            value = getattr(data, name)
            if len(value) > limit:
                found.append(FieldProblem(name, f"{label} may be at most {limit} characters."))
        required = {
            "first_name": "Enter the billing first name.",
            "last_name": "Enter the billing last name.",
            "address": "Enter the billing street address.",
            "city": "Enter the billing city.",
            "zip": "Enter the billing ZIP or postcode.",
            "country": "Choose the billing country.",
        }
        for name, message in required.items():
            if not getattr(data, name):
                found.append(FieldProblem(name, message))
        if data.country in COUNTRIES_WITH_STATES and not data.state:
            word = "state" if data.country == "US" else "province"
            found.append(FieldProblem("state", f"Enter the billing {word}."))
        if data.zip:
            if data.country == "US" and not _US_ZIP.fullmatch(data.zip):
                found.append(
                    FieldProblem("zip", "A US ZIP code is 5 digits, or ZIP+4 (12345-6789).")
                )
            elif data.country == "CA" and not _CA_POSTCODE.fullmatch(data.zip):
                found.append(FieldProblem("zip", "A Canadian postal code looks like K1A 0B1."))
            elif data.country not in COUNTRIES_WITH_STATES and not _OTHER_POSTCODE.fullmatch(
                data.zip
            ):
                found.append(FieldProblem("zip", "The postcode may hold only letters and digits."))
        return _first_per_field(found)

    def to_gateway(self) -> BillingAddress:
        _raise_if(self.problems())
        data = self.normalized()
        return BillingAddress(
            first_name=data.first_name or None,
            last_name=data.last_name or None,
            company=data.company or None,
            address=data.address or None,
            city=data.city or None,
            state=data.state or None,
            zip=data.zip or None,
            country=data.country or None,
            phone=data.phone or None,
        )


def _first_per_field(found: list[FieldProblem]) -> list[FieldProblem]:
    seen: set[str] = set()
    kept = []
    for problem in found:
        if problem.field not in seen:
            seen.add(problem.field)
            kept.append(problem)
    return kept


def entry_problems(
    method: CardEntry | BankEntry, billing: BillingEntry, today: date
) -> list[FieldProblem]:
    """Every problem with a new payment method and its billing address, in form order."""
    own = method.problems(today) if isinstance(method, CardEntry) else method.problems()
    return _first_per_field([*own, *billing.problems()])

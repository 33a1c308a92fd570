"""What staff type for an account or a contact, and the rules that make it storable.

:class:`AccountInput` and :class:`ContactInput` normalize themselves (trimmed, blanks as
None, number and currency upper-case) and list every field problem at once, one message
per field, so a form can mark all its bad fields in one round trip. Nothing here touches
the database: a number already in use is the service's to report.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, fields

from w365desk.services.accounts.views import AccountView, ContactView
from w365desk.services.audit.guard import contains_card_number
from w365desk.services.errors import FieldProblem, ValidationError

NUMBER_MAX_LENGTH = 32
DEFAULT_CURRENCY = "USD"

_NUMBER_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9._/-]*")
_CURRENCY_PATTERN = re.compile(r"[A-Z]{3}")
_PHONE_ALLOWED = re.compile(r"[0-9+().\-\s/]+(?:\s*(?:x|ext\.?)\s*[0-9]{1,6})?", re.IGNORECASE)
_PHONE_EXTENSION = re.compile(r"\s*(?:x|ext\.?)\s*[0-9]{1,6}$", re.IGNORECASE)
_DOMAIN_LABEL = re.compile(r"(?!-)[^\W_](?:[^\W_]|-){0,62}(?<!-)")
_EMAIL_LOCAL_SPECIALS = set("!#$%&'*+/=?^_`{|}~.-")

_CARD_MESSAGE = (
    "{label} looks like a payment card number. Card numbers are never stored in "
    "account records; add a payment method instead."
)


# --------------------------------------------------------------------------- normalizing


def normalize_account_number(text: str) -> str:
    """Account numbers are stored and compared upper-case, without surrounding spaces."""
    return text.replace("\x00", "").strip().upper()


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _collapse(value: str | None) -> str | None:
    value = _clean(value)
    return " ".join(value.split()) if value else None


# --------------------------------------------------------------------------- field checks


def email_problem(value: str) -> str | None:
    """Why ``value`` is not a usable email address, or None when it is."""
    if any(char.isspace() for char in value):
        return "Email address must not contain spaces."
    if len(value) > 254:
        return "Email address is longer than 254 characters."
    if value.count("@") != 1:
        return "Email address must contain exactly one '@', like name@example.com."
    local, domain = value.split("@")
    if not local:
        return "Email address needs a name before the '@'."
    if not domain:
        return "Email address needs a domain after the '@', like example.com."
    if len(local) > 64:
        return "The part of the email address before the '@' is longer than 64 characters."
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return "Email address has a misplaced dot before the '@'."
    if any(not (char.isalnum() or char in _EMAIL_LOCAL_SPECIALS) for char in local):
        return "Email address has a character that is not allowed before the '@'."
    labels = domain.split(".")
    if len(labels) < 2:
        return f"Email domain '{domain}' needs a dot, like example.com."
    if any(not _DOMAIN_LABEL.fullmatch(label) for label in labels):
        return f"Email domain '{domain}' is not a valid domain name."
    if len(labels[-1]) < 2 or labels[-1].isdigit():
        return f"Email domain '{domain}' does not end in a valid top-level domain."
    return None


def phone_problem(value: str) -> str | None:
    """Why ``value`` is not a plausible phone number, or None when it is."""
    if not _PHONE_ALLOWED.fullmatch(value):
        return "Phone number may only contain digits, spaces, + ( ) . - / and an extension (x123)."
    main = _PHONE_EXTENSION.sub("", value)
    digits = sum(char.isdigit() for char in main)
    if digits < 7:
        return "Phone number needs at least 7 digits."
    if digits > 15:
        return "Phone number has more than 15 digits (the international maximum)."
    return None


def _card_problems(values: dict[str, str | None], labels: dict[str, str]) -> list[FieldProblem]:
    return [
        FieldProblem(name, _CARD_MESSAGE.format(label=labels[name]))
        for name, value in values.items()
        if value and contains_card_number(value)
    ]


def _control_character_problems(
    values: dict[str, str | None], labels: dict[str, str]
) -> list[FieldProblem]:
    # Tabs and line breaks were already folded into spaces; anything else invisible
    # (a NUL pasted from another program, say) is refused rather than stored.
    return [
        FieldProblem(
            name, f"{labels[name]} contains an invisible control character; please retype it."
        )
        for name, value in values.items()
        if value and any(unicodedata.category(char) == "Cc" for char in value)
    ]


def _length_problems(
    values: dict[str, str | None], limits: dict[str, int], labels: dict[str, str]
) -> list[FieldProblem]:
    return [
        FieldProblem(name, f"{labels[name]} is longer than {limits[name]} characters.")
        for name, value in values.items()
        if value and name in limits and len(value) > limits[name]
    ]


# --------------------------------------------------------------------------- inputs

_ACCOUNT_LABELS = {
    "name": "Account name",
    "number": "Account number",
    "primary_email": "Email",
    "phone": "Phone",
    "currency": "Currency",
    "address_line1": "Address line 1",
    "address_line2": "Address line 2",
    "city": "City",
    "state": "State",
    "postal_code": "Postal code",
    "country": "Country",
}
_ACCOUNT_LIMITS = {
    "name": 200,
    "number": NUMBER_MAX_LENGTH,
    "primary_email": 254,
    "phone": 40,
    "address_line1": 120,
    "address_line2": 120,
    "city": 80,
    "state": 80,
    "postal_code": 20,
    "country": 60,
}


@dataclass(frozen=True)
class AccountInput:
    """What staff type for an account. ``number`` None means "allocate one for me"."""

    name: str
    number: str | None = None
    primary_email: str | None = None
    phone: str | None = None
    currency: str = DEFAULT_CURRENCY
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None

    @classmethod
    def from_view(cls, view: AccountView) -> AccountInput:
        """The input that would leave ``view`` unchanged: edit a copy with ``replace``."""
        return cls(**{f.name: getattr(view, f.name) for f in fields(cls)})

    def normalized(self) -> AccountInput:
        """Surrounding spaces trimmed, blanks as None, number and currency upper-case."""
        number = _clean(self.number)
        return AccountInput(
            name=_collapse(self.name) or "",
            number=normalize_account_number(number) if number else None,
            primary_email=_clean(self.primary_email),
            phone=_collapse(self.phone),
            currency=(_clean(self.currency) or DEFAULT_CURRENCY).upper(),
            address_line1=_collapse(self.address_line1),
            address_line2=_collapse(self.address_line2),
            city=_collapse(self.city),
            state=_collapse(self.state),
            postal_code=_collapse(self.postal_code),
            country=_collapse(self.country),
        )

    def problems(self) -> list[FieldProblem]:
        """Every field-specific problem with this input (after normalizing), in form order."""
        data = self.normalized()
        values: dict[str, str | None] = {f.name: getattr(data, f.name) for f in fields(data)}
        # Card warnings first: when a field holds a card number, that is what to say about it.
        found = _card_problems(values, _ACCOUNT_LABELS)
        found += _control_character_problems(values, _ACCOUNT_LABELS)
        if not data.name:
            found.append(FieldProblem("name", "Account name is required."))
        if data.number and not _NUMBER_PATTERN.fullmatch(data.number):
            found.append(
                FieldProblem(
                    "number",
                    "Account number may only contain letters, digits and . _ / - "
                    "and must start with a letter or digit.",
                )
            )
        if data.primary_email:
            message = email_problem(data.primary_email)
            if message:
                found.append(FieldProblem("primary_email", message))
        if data.phone:
            message = phone_problem(data.phone)
            if message:
                found.append(FieldProblem("phone", message))
        if not _CURRENCY_PATTERN.fullmatch(data.currency):
            found.append(
                FieldProblem("currency", "Currency must be a 3-letter ISO code such as USD.")
            )
        found += _length_problems(values, _ACCOUNT_LIMITS, _ACCOUNT_LABELS)
        return _first_per_field(found)

    def validate(self) -> AccountInput:
        """The normalized input, or :class:`ValidationError` listing every problem."""
        found = self.problems()
        if found:
            raise ValidationError.from_problems(found)
        return self.normalized()


_CONTACT_LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "email": "Email",
    "phone": "Phone",
    "role": "Role",
}
_CONTACT_LIMITS = {"first_name": 80, "last_name": 80, "email": 254, "phone": 40, "role": 80}


@dataclass(frozen=True)
class ContactInput:
    """A person at the customer. ``is_billing`` makes them the account's billing contact."""

    first_name: str
    last_name: str = ""
    email: str | None = None
    phone: str | None = None
    role: str | None = None
    is_billing: bool = False

    @classmethod
    def from_view(cls, view: ContactView) -> ContactInput:
        return cls(**{f.name: getattr(view, f.name) for f in fields(cls)})

    def normalized(self) -> ContactInput:
        return ContactInput(
            first_name=_collapse(self.first_name) or "",
            last_name=_collapse(self.last_name) or "",
            email=_clean(self.email),
            phone=_collapse(self.phone),
            role=_collapse(self.role),
            is_billing=bool(self.is_billing),
        )

    def problems(self) -> list[FieldProblem]:
        data = self.normalized()
        values: dict[str, str | None] = {name: getattr(data, name) for name in _CONTACT_LABELS}
        found = _card_problems(values, _CONTACT_LABELS)
        found += _control_character_problems(values, _CONTACT_LABELS)
        if not data.first_name and not data.last_name:
            found.append(FieldProblem("first_name", "Contact needs a first or last name."))
        if data.email:
            message = email_problem(data.email)
            if message:
                found.append(FieldProblem("email", message))
        if data.phone:
            message = phone_problem(data.phone)
            if message:
                found.append(FieldProblem("phone", message))
        found += _length_problems(values, _CONTACT_LIMITS, _CONTACT_LABELS)
        return _first_per_field(found)

    def validate(self) -> ContactInput:
        found = self.problems()
        if found:
            raise ValidationError.from_problems(found)
        return self.normalized()


def _first_per_field(found: list[FieldProblem]) -> list[FieldProblem]:
    """One message per field: the first found is the most basic one."""
    seen: set[str] = set()
    kept = []
    for problem in found:
        if problem.field not in seen:
            seen.add(problem.field)
            kept.append(problem)
    return kept

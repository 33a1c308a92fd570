"""Customer accounts and their contacts: create, edit, (de)activate, look up and search.

Front doors hand in plain input dataclasses and get back frozen views, never live ORM
objects, so nothing they hold can lazy-load or write behind the service's back. Every
change writes an audit event in the same transaction as the change itself.

Search keys (``name_key``, ``email_key``) all come from :func:`normalize_search_key`, and
search expresses "starts with" as a key range so the b-tree indexes answer it on SQLite
(BINARY) and PostgreSQL (collation "C") alike.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, select, union
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker
from sqlalchemy.sql.elements import KeyedColumnElement

from w365desk.clock import Clock
from w365desk.db.models import Account, AccountStatus, Contact, ContactStatus
from w365desk.services.audit import contains_card_number, record_audit
from w365desk.services.errors import (
    ConflictError,
    FieldProblem,
    NotFoundError,
    ValidationError,
)

SEARCH_KEY_MAX_LENGTH = 200
AUTO_NUMBER_PREFIX = "ACC-"
AUTO_NUMBER_DIGITS = 6
NUMBER_MAX_LENGTH = 32
DEFAULT_CURRENCY = "USD"
_IN_CHUNK = 500
_AUTO_NUMBER_ATTEMPTS = 3

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


def normalize_search_key(text: str) -> str:
    """The one normalization behind every search key and every search query.

    Unicode-compatibility folded, case-folded, whitespace collapsed and stripped, NUL
    dropped (PostgreSQL cannot hold it), and cut to the key column's length.
    """
    text = text.replace("\x00", "")
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(folded.split())[:SEARCH_KEY_MAX_LENGTH]


def normalize_account_number(text: str) -> str:
    """Account numbers are stored and compared upper-case, without surrounding spaces."""
    return text.replace("\x00", "").strip().upper()


def prefix_upper_bound(prefix: str) -> str | None:
    """The smallest string greater than every string starting with ``prefix``.

    ``key >= prefix AND key < bound`` is then exactly "key starts with prefix" under a
    byte-wise (code point) ordering. None means there is no upper bound.
    """
    chars = list(prefix)
    while chars:
        code = ord(chars[-1]) + 1
        if 0xD800 <= code <= 0xDFFF:  # surrogates cannot be encoded; skip past them
            code = 0xE000
        if code <= 0x10FFFF:
            chars[-1] = chr(code)
            return "".join(chars)
        chars.pop()
    return None


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


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class ContactView:
    id: int
    account_id: int
    first_name: str
    last_name: str
    full_name: str
    email: str | None
    phone: str | None
    role: str | None
    is_billing: bool
    status: ContactStatus
    created_at: datetime
    updated_at: datetime

    @property
    def is_active(self) -> bool:
        return self.status is ContactStatus.ACTIVE


@dataclass(frozen=True)
class AccountView:
    id: int
    number: str
    name: str
    primary_email: str | None
    phone: str | None
    currency: str
    address_line1: str | None
    address_line2: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    country: str | None
    status: AccountStatus
    gateway_customer_profile_id: str | None
    created_at: datetime
    updated_at: datetime
    contacts: tuple[ContactView, ...]

    @property
    def is_active(self) -> bool:
        return self.status is AccountStatus.ACTIVE

    @property
    def active_contacts(self) -> tuple[ContactView, ...]:
        return tuple(contact for contact in self.contacts if contact.is_active)

    @property
    def billing_contact(self) -> ContactView | None:
        return next((c for c in self.contacts if c.is_billing and c.is_active), None)


@dataclass(frozen=True)
class AccountSummary:
    """One line of an account list or search result."""

    id: int
    number: str
    name: str
    primary_email: str | None
    phone: str | None
    city: str | None
    state: str | None
    currency: str
    status: AccountStatus

    @property
    def is_active(self) -> bool:
        return self.status is AccountStatus.ACTIVE


def _contact_view(contact: Contact) -> ContactView:
    return ContactView(
        id=contact.id,
        account_id=contact.account_id,
        first_name=contact.first_name,
        last_name=contact.last_name,
        full_name=contact.full_name,
        email=contact.email,
        phone=contact.phone,
        role=contact.role,
        is_billing=contact.is_billing,
        status=ContactStatus(contact.status),
        created_at=contact.created_at,
        updated_at=contact.updated_at,
    )


def _account_view(account: Account, contacts: Sequence[Contact]) -> AccountView:
    return AccountView(
        id=account.id,
        number=account.number,
        name=account.name,
        primary_email=account.primary_email,
        phone=account.phone,
        currency=account.currency,
        address_line1=account.address_line1,
        address_line2=account.address_line2,
        city=account.city,
        state=account.state,
        postal_code=account.postal_code,
        country=account.country,
        status=AccountStatus(account.status),
        gateway_customer_profile_id=account.gateway_customer_profile_id,
        created_at=account.created_at,
        updated_at=account.updated_at,
        contacts=tuple(_contact_view(c) for c in sorted(contacts, key=lambda c: c.id)),
    )


def _summary(account: Account) -> AccountSummary:
    return AccountSummary(
        id=account.id,
        number=account.number,
        name=account.name,
        primary_email=account.primary_email,
        phone=account.phone,
        city=account.city,
        state=account.state,
        currency=account.currency,
        status=AccountStatus(account.status),
    )


# --------------------------------------------------------------------------- queries


class AccountOrder(enum.StrEnum):
    NAME = "name"
    NUMBER = "number"
    NEWEST = "newest"


def _starts_with(column: KeyedColumnElement[Any], prefix: str) -> ColumnElement[bool]:
    """``column`` starts with ``prefix``, as a range the column's b-tree index can scan.

    LIKE would need escaping for % and _ and, on PostgreSQL, a pattern-ops index; a
    range is exact under byte-wise ordering and treats every character literally.
    """
    bound = prefix_upper_bound(prefix)
    lower = column >= prefix
    return and_(lower, column < bound) if bound is not None else lower


def build_search_statement(
    query: str, *, limit: int, include_inactive: bool = False
) -> Select[tuple[Account]]:
    """The search as one statement: a UNION of indexed lookups, ordered by name.

    Each branch (name prefix, exact number, account email prefix, contact email prefix)
    is its own indexed select; an OR across different columns would defeat the indexes.
    Prefix branches stop after ``limit`` rows in their own index order, so a very common
    prefix (every "billing@…") costs ``limit`` rows, not thousands. An exact number
    match is listed first, then everything else by name.
    """
    key = normalize_search_key(query)
    number = normalize_account_number(query)
    active_only = [] if include_inactive else [Account.status == AccountStatus.ACTIVE]

    by_number = select(Account.id).where(Account.number == number, *active_only)
    by_name = (
        select(Account.id)
        .where(_starts_with(Account.name_key, key), *active_only)
        .order_by(Account.name_key)
        .limit(limit)
        .subquery("by_name")
    )
    by_email = (
        select(Account.id)
        .where(_starts_with(Account.email_key, key), *active_only)
        .order_by(Account.email_key)
        .limit(limit)
        .subquery("by_email")
    )
    by_contact = (
        select(Contact.account_id.label("id"))
        .join(Account, Account.id == Contact.account_id)
        .where(_starts_with(Contact.email_key, key), *active_only)
        .order_by(Contact.email_key)
        .limit(limit)
        .subquery("by_contact")
    )
    matched = union(
        by_number,
        select(by_name.c.id),
        select(by_email.c.id),
        select(by_contact.c.id),
    ).subquery("matched")
    return (
        select(Account)
        .join(matched, Account.id == matched.c.id)
        .order_by(
            case((Account.number == number, 0), else_=1),
            Account.name_key,
            Account.id,
        )
        .limit(limit)
    )


def _status_filter(status: AccountStatus | None) -> list[ColumnElement[bool]]:
    return [] if status is None else [Account.status == status]


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


# --------------------------------------------------------------------------- the service

_ACCOUNT_FIELDS = tuple(f.name for f in fields(AccountInput) if f.name != "number")
_CONTACT_FIELDS = ("first_name", "last_name", "email", "phone", "role", "is_billing")


class AccountsService:
    """Account and contact use cases; one transaction each, every change audited."""

    def __init__(self, session_factory: sessionmaker[Session], clock: Clock, actor: str) -> None:
        self._session_factory = session_factory
        self._clock = clock
        self._actor = actor

    # ----------------------------------------------------------------- accounts

    def create_account(
        self, data: AccountInput, contacts: Sequence[ContactInput] = ()
    ) -> AccountView:
        """Create an account (number allocated when not given) with its first contacts.

        Raises :class:`ValidationError` for bad input (contact fields are named like
        ``contacts[0].email``) and :class:`ConflictError` for a number already in use.
        """
        account_data = data.validate()
        contact_data = self._validate_contacts(contacts)
        attempts = 1 if account_data.number else _AUTO_NUMBER_ATTEMPTS
        for _attempt in range(attempts):
            try:
                return self._insert_account(account_data, contact_data)
            except IntegrityError as error:
                if not is_account_number_conflict(error):
                    raise
                if account_data.number:
                    raise ConflictError(
                        duplicate_number_message(account_data.number), field="number"
                    ) from None
        raise ConflictError(
            "Could not allocate a new account number because other desktops were creating "
            "accounts at the same moment. Please try again.",
            field="number",
        )

    def _validate_contacts(self, contacts: Sequence[ContactInput]) -> list[ContactInput]:
        found: list[FieldProblem] = []
        cleaned: list[ContactInput] = []
        billing_seen = False
        for index, contact in enumerate(contacts):
            found += [
                FieldProblem(f"contacts[{index}].{p.field}", p.message) for p in contact.problems()
            ]
            clean = contact.normalized()
            if clean.is_billing and billing_seen:
                found.append(
                    FieldProblem(
                        f"contacts[{index}].is_billing",
                        "Only one contact can be the billing contact.",
                    )
                )
            billing_seen = billing_seen or clean.is_billing
            cleaned.append(clean)
        if found:
            raise ValidationError.from_problems(found)
        return cleaned

    def _insert_account(self, data: AccountInput, contacts: list[ContactInput]) -> AccountView:
        now = self._clock.now()
        with self._session_factory.begin() as session:
            if data.number:
                if existing_account_numbers(session, [data.number]):
                    raise ConflictError(duplicate_number_message(data.number), field="number")
                number = data.number
            else:
                number = allocate_account_numbers(session, 1)[0]
            account = Account(number=number, created_at=now, updated_at=now)
            _apply_account_fields(account, data)
            account.status = AccountStatus.ACTIVE
            session.add(account)
            session.flush()
            self._audit(
                session,
                "account.create",
                "account",
                account.id,
                {"number": number, "fields": _present(data, _ACCOUNT_FIELDS)},
            )
            created = [self._new_contact(session, account, contact, now) for contact in contacts]
            session.flush()
            return _account_view(account, created)

    def update_account(
        self,
        account_id: int,
        data: AccountInput,
        *,
        expected_updated_at: datetime | None = None,
    ) -> AccountView:
        """Replace the account's details with ``data`` (number kept when ``data.number`` is None).

        With ``expected_updated_at`` (the ``updated_at`` of the view being edited) an edit
        made meanwhile by someone else is refused with :class:`ConflictError` instead of
        being silently overwritten. Nothing changed means nothing written.
        """
        clean = data.validate()
        try:
            with self._session_factory.begin() as session:
                account = self._lock_account(session, account_id)
                if expected_updated_at is not None and account.updated_at != expected_updated_at:
                    raise ConflictError(
                        f"Account {account.number} was changed by someone else since you "
                        "opened it. Reopen it to see their changes, then edit again."
                    )
                changes = _changes(account, clean, _ACCOUNT_FIELDS)
                if clean.number and clean.number != account.number:
                    if existing_account_numbers(session, [clean.number]):
                        raise ConflictError(duplicate_number_message(clean.number), field="number")
                    changes["number"] = {"from": account.number, "to": clean.number}
                if changes:
                    old_number = account.number
                    _apply_account_fields(account, clean)
                    if clean.number:
                        account.number = clean.number
                    account.updated_at = self._clock.now()
                    session.flush()
                    self._audit(
                        session,
                        "account.update",
                        "account",
                        account.id,
                        {"number": old_number, "changes": changes},
                    )
                return _account_view(account, account.contacts)
        except IntegrityError as error:
            if clean.number and is_account_number_conflict(error):
                raise ConflictError(
                    duplicate_number_message(clean.number), field="number"
                ) from None
            raise

    def deactivate_account(self, account_id: int) -> AccountView:
        """Hide the account from lists, searches and charging; history stays intact."""
        return self._set_account_status(account_id, AccountStatus.INACTIVE, "account.deactivate")

    def reactivate_account(self, account_id: int) -> AccountView:
        return self._set_account_status(account_id, AccountStatus.ACTIVE, "account.reactivate")

    def _set_account_status(
        self, account_id: int, status: AccountStatus, action: str
    ) -> AccountView:
        with self._session_factory.begin() as session:
            account = self._lock_account(session, account_id)
            if account.status != status:
                previous = AccountStatus(account.status)
                account.status = status
                account.updated_at = self._clock.now()
                session.flush()
                self._audit(
                    session,
                    action,
                    "account",
                    account.id,
                    {
                        "number": account.number,
                        "changes": {"status": {"from": previous, "to": status}},
                    },
                )
            return _account_view(account, account.contacts)

    # ----------------------------------------------------------------- contacts

    def add_contact(self, account_id: int, data: ContactInput) -> ContactView:
        """Add a contact; with ``is_billing`` it replaces the current billing contact."""
        clean = data.validate()
        with self._session_factory.begin() as session:
            account = self._lock_account(session, account_id)
            contact = self._new_contact(session, account, clean, self._clock.now())
            return _contact_view(contact)

    def update_contact(self, contact_id: int, data: ContactInput) -> ContactView:
        """Replace the contact's details; ``is_billing`` True makes them the billing contact."""
        clean = data.validate()
        with self._session_factory.begin() as session:
            contact, account = self._lock_contact(session, contact_id)
            if clean.is_billing and contact.status != ContactStatus.ACTIVE:
                raise ConflictError(
                    f"{contact.full_name} is inactive and cannot be the billing contact. "
                    "Reactivate them first.",
                    field="is_billing",
                )
            changes = _changes(contact, clean, _CONTACT_FIELDS)
            if changes:
                now = self._clock.now()
                if clean.is_billing and not contact.is_billing:
                    self._clear_billing(session, account, keep=contact, now=now)
                _apply_contact_fields(contact, clean)
                contact.email_key = _email_key(clean.email)
                contact.updated_at = now
                session.flush()
                self._audit(
                    session,
                    "contact.update",
                    "contact",
                    contact.id,
                    {"account_id": account.id, "changes": changes},
                )
            return _contact_view(contact)

    def deactivate_contact(self, contact_id: int) -> ContactView:
        """Retire a contact; a billing contact stops being the billing contact."""
        with self._session_factory.begin() as session:
            contact, _account = self._lock_contact(session, contact_id)
            if contact.status != ContactStatus.INACTIVE:
                changes: dict[str, Any] = {
                    "status": {"from": ContactStatus(contact.status), "to": ContactStatus.INACTIVE}
                }
                if contact.is_billing:
                    changes["is_billing"] = {"from": True, "to": False}
                contact.status = ContactStatus.INACTIVE
                contact.is_billing = False
                contact.updated_at = self._clock.now()
                session.flush()
                self._audit(
                    session,
                    "contact.deactivate",
                    "contact",
                    contact.id,
                    {"account_id": contact.account_id, "changes": changes},
                )
            return _contact_view(contact)

    def reactivate_contact(self, contact_id: int) -> ContactView:
        with self._session_factory.begin() as session:
            contact, _account = self._lock_contact(session, contact_id)
            if contact.status != ContactStatus.ACTIVE:
                contact.status = ContactStatus.ACTIVE
                contact.updated_at = self._clock.now()
                session.flush()
                self._audit(
                    session,
                    "contact.reactivate",
                    "contact",
                    contact.id,
                    {
                        "account_id": contact.account_id,
                        "changes": {
                            "status": {"from": ContactStatus.INACTIVE, "to": ContactStatus.ACTIVE}
                        },
                    },
                )
            return _contact_view(contact)

    def set_billing_contact(self, account_id: int, contact_id: int | None) -> AccountView:
        """Make one active contact the account's billing contact (None: no billing contact)."""
        with self._session_factory.begin() as session:
            account = self._lock_account(session, account_id)
            now = self._clock.now()
            previous = next((c for c in account.contacts if c.is_billing), None)
            target: Contact | None = None
            if contact_id is not None:
                target = next((c for c in account.contacts if c.id == contact_id), None)
                if target is None:
                    if session.get(Contact, contact_id) is None:
                        raise NotFoundError("contact", contact_id)
                    raise ConflictError(
                        f"Contact {contact_id} belongs to another account, not {account.number}."
                    )
                if target.status != ContactStatus.ACTIVE:
                    raise ConflictError(
                        f"{target.full_name} is inactive and cannot be the billing contact. "
                        "Reactivate them first."
                    )
            if previous is not target:
                self._clear_billing(session, account, keep=target, now=now)
                if target is not None:
                    target.is_billing = True
                    target.updated_at = now
                session.flush()
                self._audit(
                    session,
                    "account.set_billing_contact",
                    "account",
                    account.id,
                    {
                        "number": account.number,
                        "changes": {
                            "billing_contact_id": {
                                "from": previous.id if previous else None,
                                "to": target.id if target else None,
                            }
                        },
                    },
                )
            return _account_view(account, account.contacts)

    def _new_contact(
        self, session: Session, account: Account, data: ContactInput, now: datetime
    ) -> Contact:
        if data.is_billing:
            self._clear_billing(session, account, keep=None, now=now)
        contact = Contact(
            account_id=account.id,
            status=ContactStatus.ACTIVE,
            email_key=_email_key(data.email),
            created_at=now,
            updated_at=now,
        )
        _apply_contact_fields(contact, data)
        session.add(contact)
        session.flush()
        self._audit(
            session,
            "contact.create",
            "contact",
            contact.id,
            {"account_id": account.id, "fields": _present(data, _CONTACT_FIELDS)},
        )
        return contact

    def _clear_billing(
        self, session: Session, account: Account, *, keep: Contact | None, now: datetime
    ) -> None:
        # The database allows one billing contact per account (uq_contact_one_billing);
        # the account row lock taken by every contact use case keeps two desktops from
        # colliding on it, and the flush writes the clearing before any new flag is set.
        for other in session.scalars(
            select(Contact).where(Contact.account_id == account.id, Contact.is_billing)
        ):
            if other is not keep:
                other.is_billing = False
                other.updated_at = now
        session.flush()

    # ----------------------------------------------------------------- reading

    def get_account(self, account_id: int) -> AccountView:
        """The account with all its contacts (active and inactive, oldest first)."""
        with self._session_factory() as session:
            account = session.get(Account, account_id, options=[selectinload(Account.contacts)])
            if account is None:
                raise NotFoundError("account", account_id)
            return _account_view(account, account.contacts)

    def get_account_by_number(self, number: str) -> AccountView:
        normalized = normalize_account_number(number)
        with self._session_factory() as session:
            account = session.scalar(
                select(Account)
                .where(Account.number == normalized)
                .options(selectinload(Account.contacts))
            )
            if account is None:
                raise NotFoundError("account", normalized)
            return _account_view(account, account.contacts)

    def list_accounts(
        self,
        *,
        status: AccountStatus | None = AccountStatus.ACTIVE,
        limit: int = 100,
        offset: int = 0,
        order: AccountOrder = AccountOrder.NAME,
    ) -> list[AccountSummary]:
        """A page of accounts; ``status`` None lists every account."""
        ordering = {
            AccountOrder.NAME: (Account.name_key, Account.id),
            AccountOrder.NUMBER: (Account.number,),
            AccountOrder.NEWEST: (Account.created_at.desc(), Account.id.desc()),
        }[AccountOrder(order)]
        statement = (
            select(Account)
            .where(*_status_filter(status))
            .order_by(*ordering)
            .limit(_positive(limit, "limit"))
            .offset(max(offset, 0))
        )
        return self._summaries(statement)

    def count_accounts(self, *, status: AccountStatus | None = AccountStatus.ACTIVE) -> int:
        with self._session_factory() as session:
            statement = select(func.count()).select_from(Account).where(*_status_filter(status))
            return int(session.scalar(statement) or 0)

    def search(
        self, query: str, *, limit: int = 50, include_inactive: bool = False
    ) -> list[AccountSummary]:
        """Accounts whose name or email (the account's, or any of its contacts', including
        former contacts) starts with ``query``, case-insensitively, or whose number is
        exactly ``query``.

        An exact number match comes first, then the rest by name. A blank query lists
        the first ``limit`` accounts by name. When more than ``limit`` accounts match, the
        page holds the first ``limit`` name matches plus up to ``limit`` email matches
        taken in email order, cut to ``limit`` by name: a list that comes back full means
        "type more", not "this is everything".
        """
        limit = _positive(limit, "limit")
        if not normalize_search_key(query):
            status = None if include_inactive else AccountStatus.ACTIVE
            return self.list_accounts(status=status, limit=limit)
        return self._summaries(
            build_search_statement(query, limit=limit, include_inactive=include_inactive)
        )

    def _summaries(self, statement: Select[tuple[Account]]) -> list[AccountSummary]:
        with self._session_factory() as session:
            return [_summary(account) for account in session.scalars(statement)]

    # ----------------------------------------------------------------- helpers

    def _lock_account(self, session: Session, account_id: int) -> Account:
        # FOR UPDATE on PostgreSQL serializes edits to one account; SQLite has a single
        # writer anyway and SQLAlchemy leaves the clause out there.
        account = session.get(Account, account_id, with_for_update=True)
        if account is None:
            raise NotFoundError("account", account_id)
        return account

    def _lock_contact(self, session: Session, contact_id: int) -> tuple[Contact, Account]:
        # Always lock the account before its contacts, as every contact use case does,
        # so two desktops can never wait on each other in opposite order.
        account_id = session.scalar(select(Contact.account_id).where(Contact.id == contact_id))
        if account_id is None:
            raise NotFoundError("contact", contact_id)
        account = self._lock_account(session, account_id)
        contact = session.get(Contact, contact_id, with_for_update=True)
        if contact is None:
            raise NotFoundError("contact", contact_id)
        return contact, account

    def _audit(
        self,
        session: Session,
        action: str,
        entity_type: str,
        entity_id: int,
        details: dict[str, Any],
    ) -> None:
        record_audit(
            session,
            clock=self._clock,
            actor=self._actor,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            details=details,
        )


def _positive(value: int, name: str) -> int:
    if value < 1:
        raise ValueError(f"{name} must be at least 1")
    return value


def _email_key(email: str | None) -> str | None:
    return normalize_search_key(email) if email else None


def _apply_account_fields(account: Account, data: AccountInput) -> None:
    for name in _ACCOUNT_FIELDS:
        setattr(account, name, getattr(data, name))
    account.name_key = normalize_search_key(data.name)
    account.email_key = _email_key(data.primary_email)


def _apply_contact_fields(contact: Contact, data: ContactInput) -> None:
    for name in _CONTACT_FIELDS:
        setattr(contact, name, getattr(data, name))


def _present(data: object, names: Sequence[str]) -> dict[str, Any]:
    """The fields that hold a value, for a "created with" audit record."""
    values = {name: getattr(data, name) for name in names}
    return {name: value for name, value in values.items() if value not in (None, "")}


def _changes(record: object, data: object, names: Sequence[str]) -> dict[str, Any]:
    """``{field: {"from": old, "to": new}}`` for every field ``data`` changes."""
    changes: dict[str, Any] = {}
    for name in names:
        old, new = getattr(record, name), getattr(data, name)
        if old != new:
            changes[name] = {"from": old, "to": new}
    return changes

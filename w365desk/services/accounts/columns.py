"""What account and contact rows store for a validated input, and what an edit changes.

The editors, the CSV importer (plain dicts for one bulk insert) and the demo seeder all
store accounts and contacts through ``account_column_values``/``contact_column_values``,
so their rows (search keys included) can never disagree.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from w365desk.db.models import Account, Contact
from w365desk.services.accounts.inputs import AccountInput, ContactInput
from w365desk.services.accounts.search import normalize_search_key

ACCOUNT_FIELDS = tuple(f.name for f in fields(AccountInput) if f.name != "number")
CONTACT_FIELDS = ("first_name", "last_name", "email", "phone", "role", "is_billing")
# One C-level call per row: the importer builds these for thousands of rows at a time.
_account_field_values = operator.attrgetter(*ACCOUNT_FIELDS)
_contact_field_values = operator.attrgetter(*CONTACT_FIELDS)


def _email_key(email: str | None) -> str | None:
    return normalize_search_key(email) if email else None


def account_column_values(data: AccountInput) -> dict[str, Any]:
    """What an account row stores for ``data`` (validated): its fields and search keys.

    The number, status and timestamps are the caller's, since each path decides them
    differently.
    """
    values = dict(zip(ACCOUNT_FIELDS, _account_field_values(data), strict=True))
    values["name_key"] = normalize_search_key(data.name)
    values["email_key"] = _email_key(data.primary_email)
    return values


def contact_column_values(data: ContactInput) -> dict[str, Any]:
    """What a contact row stores for ``data`` (validated): its fields and search key.

    The account, status and timestamps are the caller's; see :func:`account_column_values`.
    """
    values = dict(zip(CONTACT_FIELDS, _contact_field_values(data), strict=True))
    values["email_key"] = _email_key(data.email)
    return values


def apply(record: Account | Contact, values: dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(record, name, value)


def present(data: object, names: Sequence[str]) -> dict[str, Any]:
    """The fields that hold a value, for a "created with" audit record."""
    values = {name: getattr(data, name) for name in names}
    return {name: value for name, value in values.items() if value not in (None, "")}


def changes(record: object, data: object, names: Sequence[str]) -> dict[str, Any]:
    """``{field: {"from": old, "to": new}}`` for every field ``data`` changes."""
    found: dict[str, Any] = {}
    for name in names:
        old, new = getattr(record, name), getattr(data, name)
        if old != new:
            found[name] = {"from": old, "to": new}
    return found

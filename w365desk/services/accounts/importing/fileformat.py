"""The account CSV file format: its columns, which are required, and how values read.

The file is UTF-8 (with or without a byte-order mark) with Excel-style quoting; its first
line is the header. Column names are case- and space-insensitive, so "Account Name" works:

    account_number,account_name,email,phone,currency,address_line1,address_line2,city,
    state,postal_code,country,contact_first_name,contact_last_name,contact_email,
    contact_phone,contact_role,contact_is_billing

Only ``account_name`` is required as a column; any other column may be left out. Each
row describes an account and, optionally, one of its contacts. Several rows with the
same ``account_number`` add several contacts to that account: the first of them carries
the account's details, later ones may leave the account columns blank or repeat them
exactly. A row without an ``account_number`` creates an account with an allocated
number. ``contact_is_billing`` takes yes/no, true/false, y/n, 1/0 or x (blank is no).

Every row is checked before anything is written. If any row is bad, nothing is imported
and the report lists every problem (up to a cap) with the line number in the file where
the row starts, counted in physical lines so quoted multi-line values do not skew it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Column name -> AccountInput field.
ACCOUNT_COLUMNS: Mapping[str, str] = {
    "account_number": "number",
    "account_name": "name",
    "email": "primary_email",
    "phone": "phone",
    "currency": "currency",
    "address_line1": "address_line1",
    "address_line2": "address_line2",
    "city": "city",
    "state": "state",
    "postal_code": "postal_code",
    "country": "country",
}
# Column name -> ContactInput field.
CONTACT_COLUMNS: Mapping[str, str] = {
    "contact_first_name": "first_name",
    "contact_last_name": "last_name",
    "contact_email": "email",
    "contact_phone": "phone",
    "contact_role": "role",
}
BILLING_COLUMN = "contact_is_billing"
IMPORT_COLUMNS: tuple[str, ...] = (*ACCOUNT_COLUMNS, *CONTACT_COLUMNS, BILLING_COLUMN)
REQUIRED_COLUMNS: tuple[str, ...] = ("account_name",)

# What each column holds, in the words the import help and the README use.
COLUMN_MEANINGS: Mapping[str, str] = {
    "account_number": "The account's number. Leave blank to have one allocated (ACC-000123).",
    "account_name": "The customer's name. Required on the first row of each account.",
    "email": "The account's billing email address.",
    "phone": "The account's phone number.",
    "currency": "A 3-letter ISO code such as USD (blank: USD).",
    "address_line1": "Billing address, first line.",
    "address_line2": "Billing address, second line.",
    "city": "City.",
    "state": "State or province.",
    "postal_code": "ZIP or postal code.",
    "country": "Country.",
    "contact_first_name": "A contact at the customer: first name.",
    "contact_last_name": "The contact's last name.",
    "contact_email": "The contact's email address.",
    "contact_phone": "The contact's phone number.",
    "contact_role": "The contact's role, such as Accounts Payable.",
    "contact_is_billing": "yes if this contact is the account's billing contact (one per account).",
}

# A complete, importable example: two accounts, the first with two contacts.
EXAMPLE_CSV = (
    "account_number,account_name,email,city,state,contact_first_name,contact_last_name,"
    "contact_email,contact_is_billing\n"
    "NW-1,Northwind Traders,ap@northwind.example,Seattle,WA,Nancy,Davolio,"
    "nancy@northwind.example,yes\n"
    "NW-1,,,,,Andrew,Fuller,andrew@northwind.example,no\n"
    ",Contoso Ltd,billing@contoso.example,Austin,TX,,,,\n"
)

_TRUE = frozenset({"1", "y", "yes", "true", "x"})
_FALSE = frozenset({"", "0", "n", "no", "false"})
ACCOUNT_COLUMN_OF = {attr: column for column, attr in ACCOUNT_COLUMNS.items()}
CONTACT_COLUMN_OF = {attr: column for column, attr in CONTACT_COLUMNS.items()}
CONTACT_COLUMN_OF["is_billing"] = BILLING_COLUMN


def normalize_column_name(name: str) -> str:
    """ "Account Name", " account-name " and "ACCOUNT_NAME" all become "account_name"."""
    return re.sub(r"[\s\-]+", "_", name.strip().lstrip("\ufeff").strip()).lower()


def parse_billing(value: str) -> bool | None:
    folded = value.strip().casefold()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    return None

"""Importing accounts and contacts from a CSV file, all or nothing.

``fileformat`` (the columns and how values read), ``decoding`` (bytes to text),
``records`` (CSV records and the header, with line numbers), ``planning`` (rows to
accounts, every problem found), ``writing`` (bulk inserts and audit), ``report`` (what
the import did or why not) and ``importer`` (the use case that runs them in order).
"""

from w365desk.services.accounts.importing.fileformat import (
    ACCOUNT_COLUMNS,
    BILLING_COLUMN,
    COLUMN_MEANINGS,
    CONTACT_COLUMNS,
    EXAMPLE_CSV,
    IMPORT_COLUMNS,
    REQUIRED_COLUMNS,
    normalize_column_name,
)
from w365desk.services.accounts.importing.importer import AccountImporter
from w365desk.services.accounts.importing.matching import ExistingMatch, OnExisting
from w365desk.services.accounts.importing.report import ImportProblem, ImportReport

__all__ = [
    "ACCOUNT_COLUMNS",
    "BILLING_COLUMN",
    "COLUMN_MEANINGS",
    "CONTACT_COLUMNS",
    "EXAMPLE_CSV",
    "IMPORT_COLUMNS",
    "REQUIRED_COLUMNS",
    "AccountImporter",
    "ExistingMatch",
    "ImportProblem",
    "ImportReport",
    "OnExisting",
    "normalize_column_name",
]

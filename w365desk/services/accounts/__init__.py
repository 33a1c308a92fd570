"""Customer accounts and their contacts.

``editing`` (create, edit, deactivate accounts), ``contacts`` (contacts and the billing
contact), ``queries`` (get, list, count, search), ``inputs`` and ``views`` (what front
doors hand in and get back), ``search`` (search keys and the indexed statement),
``numbers`` (account numbers as rows), ``columns`` (stored columns for an input),
``locking`` (row locks in one order) and ``importing/`` (CSV import).
"""

from w365desk.services.accounts.contacts import ContactEditor
from w365desk.services.accounts.editing import AccountEditor
from w365desk.services.accounts.importing import AccountImporter, ImportProblem, ImportReport
from w365desk.services.accounts.inputs import DEFAULT_CURRENCY, AccountInput, ContactInput
from w365desk.services.accounts.queries import AccountOrder, AccountQueries
from w365desk.services.accounts.views import AccountSummary, AccountView, ContactView

__all__ = [
    "DEFAULT_CURRENCY",
    "AccountEditor",
    "AccountImporter",
    "AccountInput",
    "AccountOrder",
    "AccountQueries",
    "AccountSummary",
    "AccountView",
    "ContactEditor",
    "ContactInput",
    "ContactView",
    "ImportProblem",
    "ImportReport",
]

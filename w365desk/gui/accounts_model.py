"""The account list's table model: every account, paged and sorted by the database."""

from __future__ import annotations

import dataclasses
from typing import Any

from w365desk.gui.changes import Operations
from w365desk.gui.paged_model import Column, PagedTableModel
from w365desk.services.accounts import AccountQueries, AccountSummary
from w365desk.services.accounts.queries import AccountListQuery, AccountSort

COLUMNS: tuple[Column[AccountSummary], ...] = (
    Column("Number", lambda a: a.number, AccountSort.NUMBER),
    Column("Name", lambda a: a.name, AccountSort.NAME),
    Column("Billing contact", lambda a: a.billing_contact_name, AccountSort.BILLING_CONTACT),
    Column("Email", lambda a: a.primary_email or "", AccountSort.EMAIL),
    Column("Phone", lambda a: a.phone or "", AccountSort.PHONE),
    Column("City", lambda a: ", ".join(p for p in (a.city, a.state) if p), AccountSort.CITY),
    Column("Default payment method", lambda a: a.default_payment_summary, AccountSort.PAYMENT),
    Column("Status", lambda a: "Active" if a.is_active else "Inactive", AccountSort.STATUS),
)


def _sorted(query: AccountListQuery, key: Any, descending: bool) -> AccountListQuery:
    return dataclasses.replace(query, sort=key, descending=descending)


class AccountsTableModel(PagedTableModel[AccountListQuery, AccountSummary]):
    def __init__(self, queries: AccountQueries, operations: Operations, parent: Any = None) -> None:
        super().__init__(
            operations,
            COLUMNS,
            queries.count,
            queries.rows,
            AccountListQuery(),
            sorted_by=_sorted,
            dimmed=lambda account: not account.is_active,
            parent=parent,
        )

    def account_at(self, row: int) -> AccountSummary | None:
        return self.row_at(row)

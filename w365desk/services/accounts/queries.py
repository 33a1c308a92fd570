"""Reading accounts: one by id or number, pages of the list, counts and search.

Reads use lock-free transactions (``reading_session``), so a search never waits behind
an import, and return frozen views.
"""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from w365desk.db.engine import reading_session
from w365desk.db.models import Account, AccountStatus
from w365desk.services.accounts.inputs import normalize_account_number
from w365desk.services.accounts.search import build_search_statement, normalize_search_key
from w365desk.services.accounts.views import (
    AccountSummary,
    AccountView,
    to_account_summary,
    to_account_view,
)
from w365desk.services.errors import NotFoundError


class AccountOrder(enum.StrEnum):
    """How :meth:`AccountQueries.list_accounts` orders a page."""

    NAME = "name"
    NUMBER = "number"
    NEWEST = "newest"


class AccountQueries:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

    def get_account(self, account_id: int) -> AccountView:
        """The account with all its contacts (active and inactive, oldest first)."""
        with reading_session(self._session_factory) as session:
            account = session.get(Account, account_id, options=[selectinload(Account.contacts)])
            if account is None:
                raise NotFoundError("account", account_id)
            return to_account_view(account, account.contacts)

    def get_account_by_number(self, number: str) -> AccountView:
        normalized = normalize_account_number(number)
        with reading_session(self._session_factory) as session:
            account = session.scalar(
                select(Account)
                .where(Account.number == normalized)
                .options(selectinload(Account.contacts))
            )
            if account is None:
                raise NotFoundError("account", normalized)
            return to_account_view(account, account.contacts)

    def list_accounts(
        self,
        *,
        status: AccountStatus | None = AccountStatus.ACTIVE,
        limit: int = 100,
        offset: int = 0,
        order: AccountOrder = AccountOrder.NAME,
    ) -> list[AccountSummary]:
        """A page of accounts; ``status`` None lists every account."""
        ordering: tuple[Any, ...] = {
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
        with reading_session(self._session_factory) as session:
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

    def _summaries(self, statement: Select[Account]) -> list[AccountSummary]:
        with reading_session(self._session_factory) as session:
            return [to_account_summary(account) for account in session.scalars(statement)]


def _positive(value: int, name: str) -> int:
    if value < 1:
        raise ValueError(f"{name} must be at least 1")
    return value


def _status_filter(status: AccountStatus | None) -> list[ColumnElement[bool]]:
    return [] if status is None else [Account.status == status]

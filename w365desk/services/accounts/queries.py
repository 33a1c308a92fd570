"""Reading accounts: one by id or number, and the account list over every row.

The list is a query (``AccountListQuery``: search text, inactive or not, sort column and
direction) that the database counts, sorts and pages over all rows — with indexes for
every sort column, so the first page of a million accounts costs what the first page of
ten does. A page far into the list is read from its nearer end (the reverse order), so
the last rows are as quick as the first.

Reads use lock-free transactions (``reading_session``), so a search never waits behind
an import, and return frozen views.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload, sessionmaker

from w365desk.db.engine import reading_session
from w365desk.db.models import Account, AccountStatus
from w365desk.services.accounts.inputs import normalize_account_number
from w365desk.services.accounts.search import (
    SearchTerms,
    exact_number,
    matching_condition,
    parse_search,
)
from w365desk.services.accounts.views import (
    AccountSummary,
    AccountView,
    to_account_view,
)
from w365desk.services.errors import NotFoundError

MAX_PAGE = 1000


class AccountSort(enum.StrEnum):
    """The columns the account list sorts by (each has an index)."""

    NUMBER = "number"
    NAME = "name"
    BILLING_CONTACT = "billing_contact"
    EMAIL = "email"
    PHONE = "phone"
    CITY = "city"
    PAYMENT = "payment"
    STATUS = "status"


# Kept for callers of list_accounts(order=...).
class AccountOrder(enum.StrEnum):
    NAME = "name"
    NUMBER = "number"
    NEWEST = "newest"


_SORT_KEYS: dict[AccountSort, InstrumentedAttribute[Any]] = {
    AccountSort.NUMBER: Account.number,
    AccountSort.NAME: Account.name_key,
    AccountSort.BILLING_CONTACT: Account.billing_contact_name,
    AccountSort.EMAIL: Account.email_key,
    AccountSort.PHONE: Account.phone,
    AccountSort.CITY: Account.city,
    AccountSort.PAYMENT: Account.default_payment_summary,
    AccountSort.STATUS: Account.status,
}

_SUMMARY_COLUMNS = (
    Account.id,
    Account.number,
    Account.name,
    Account.primary_email,
    Account.phone,
    Account.city,
    Account.state,
    Account.currency,
    Account.status,
    Account.billing_contact_name,
    Account.default_payment_summary,
)


@dataclass(frozen=True)
class AccountListQuery:
    """Which accounts the list shows, and in which order."""

    text: str = ""
    include_inactive: bool = False
    sort: AccountSort = AccountSort.NAME
    descending: bool = False


def _summary(row: Any) -> AccountSummary:
    return AccountSummary(
        id=row.id,
        number=row.number,
        name=row.name,
        primary_email=row.primary_email,
        phone=row.phone,
        city=row.city,
        state=row.state,
        currency=row.currency,
        status=AccountStatus(row.status),
        billing_contact_name=row.billing_contact_name,
        default_payment_summary=row.default_payment_summary,
    )


class AccountQueries:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

    # ------------------------------------------------------------------ one account

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

    # ------------------------------------------------------------------ the list

    def count(self, query: AccountListQuery) -> int:
        """How many accounts the list holds: the true count, over every row."""
        with reading_session(self._session_factory) as session:
            conditions = self._filter(session, query)
            statement = select(func.count()).select_from(Account).where(*conditions)
            return int(session.scalar(statement) or 0)

    def rows(
        self, query: AccountListQuery, offset: int, limit: int, total: int | None = None
    ) -> list[AccountSummary]:
        """Rows ``offset`` to ``offset + limit`` of the list, in its order.

        When the search text is exactly an account number, that account comes first
        (staff who type a number want that account), then the rest in the list's order.
        ``total``, when the caller knows the list's count, spares counting again for a
        page far down the list.
        """
        offset, limit = max(offset, 0), _page_size(limit)
        with reading_session(self._session_factory) as session:
            exact = self._exact_match(session, query)
            found: list[AccountSummary] = []
            if exact is not None:
                if offset == 0:
                    found.append(_summary(exact))
                    limit -= 1
                else:
                    offset -= 1
            if limit > 0:
                excluded = [Account.id != exact.id] if exact is not None else []
                known = total - (1 if exact is not None else 0) if total is not None else None
                found += self._page(session, query, offset, limit, excluded, known)
            return found

    def position(self, query: AccountListQuery, account_id: int) -> int | None:
        """Where ``account_id`` stands in the list (its row), or None when it is not in it."""
        with reading_session(self._session_factory) as session:
            conditions = self._filter(session, query)
            target = session.execute(
                select(*_SUMMARY_COLUMNS, _SORT_KEYS[query.sort].label("sort_key")).where(
                    Account.id == account_id, *conditions
                )
            ).one_or_none()
            if target is None:
                return None
            exact = self._exact_match(session, query)
            if exact is not None:
                if exact.id == account_id:
                    return 0
                conditions.append(Account.id != exact.id)
            before = _before(session, query, target.sort_key, account_id)
            ahead = session.scalar(
                select(func.count()).select_from(Account).where(*conditions, before)
            )
            return int(ahead or 0) + (1 if exact is not None else 0)

    # Convenience reads built on the list.

    def search(
        self, query: str, *, limit: int = 50, include_inactive: bool = False
    ) -> list[AccountSummary]:
        """The first ``limit`` accounts matching ``query`` (see ``search.py``), by name,
        an exact account number first. A blank query lists accounts by name."""
        return self.rows(
            AccountListQuery(text=query, include_inactive=include_inactive),
            0,
            _positive(limit, "limit"),
        )

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
            select(*_SUMMARY_COLUMNS)
            .where(*_status_filter(status))
            .order_by(*ordering)
            .limit(_positive(limit, "limit"))
            .offset(max(offset, 0))
        )
        with reading_session(self._session_factory) as session:
            return [_summary(row) for row in session.execute(statement)]

    def count_accounts(self, *, status: AccountStatus | None = AccountStatus.ACTIVE) -> int:
        with reading_session(self._session_factory) as session:
            statement = select(func.count()).select_from(Account).where(*_status_filter(status))
            return int(session.scalar(statement) or 0)

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _terms(query: AccountListQuery) -> SearchTerms:
        return parse_search(query.text)

    def _filter(self, session: Session, query: AccountListQuery) -> list[ColumnElement[bool]]:
        status = None if query.include_inactive else AccountStatus.ACTIVE
        dialect = session.get_bind().dialect.name
        status_filter = _status_filter(status)
        terms = self._terms(query)
        if dialect == "sqlite":
            # Nearly every account is active, but SQLite (no ANALYZE on a desktop) takes
            # an equality on an indexed column as narrow: it would read every active
            # row by the status index and sort them all (0.3 s at a million) instead of
            # walking the sort column's index and stopping at the page. A search gains
            # too: the text index gives the set of matches, the sort index the order.
            status_filter = [func.likely(condition) for condition in status_filter]
        return [*status_filter, matching_condition(dialect, terms)]

    def _exact_match(self, session: Session, query: AccountListQuery) -> Any | None:
        number = exact_number(self._terms(query))
        if number is None:
            return None
        return session.execute(
            select(*_SUMMARY_COLUMNS).where(
                Account.number == number, *_status_filter(_status_of(query))
            )
        ).one_or_none()

    def _page(
        self,
        session: Session,
        query: AccountListQuery,
        offset: int,
        limit: int,
        excluded: Sequence[ColumnElement[bool]],
        known_total: int | None = None,
    ) -> list[AccountSummary]:
        """One page, in two steps: the ids in order (narrow rows, so sorting many matches
        stays cheap), then those rows' columns."""
        conditions = [*self._filter(session, query), *excluded]
        key = _SORT_KEYS[query.sort]
        ids = select(Account.id).where(*conditions)
        reverse = False
        if offset > 2 * MAX_PAGE:
            # Far into the list: read from the nearer end (counting first, unless known).
            total = known_total
            if total is None:
                total = int(
                    session.scalar(select(func.count()).select_from(Account).where(*conditions))
                    or 0
                )
            if offset >= total:
                return []
            if offset > total // 2:
                reverse = True
                limit = min(limit, total - offset)
                offset = total - offset - limit
        descending = query.descending != reverse
        page = list(
            session.scalars(ids.order_by(*_ordering(key, descending)).limit(limit).offset(offset))
        )
        if reverse:
            page.reverse()
        if not page:
            return []
        by_id = {
            row.id: _summary(row)
            for row in session.execute(select(*_SUMMARY_COLUMNS).where(Account.id.in_(page)))
        }
        return [by_id[account_id] for account_id in page]


def _ordering(key: InstrumentedAttribute[Any], descending: bool) -> tuple[Any, ...]:
    if descending:
        return key.desc(), Account.id.desc()
    return key.asc(), Account.id.asc()


def _nulls_first(session: Session, descending: bool) -> bool:
    """Where the database puts NULL keys: SQLite first when ascending, PostgreSQL last."""
    ascending_first = session.get_bind().dialect.name == "sqlite"
    return ascending_first != descending


def _before(
    session: Session, query: AccountListQuery, sort_key: Any, account_id: int
) -> ColumnElement[bool]:
    """Rows that the list puts ahead of the row with ``sort_key`` and ``account_id``."""
    key = _SORT_KEYS[query.sort]
    id_before = Account.id > account_id if query.descending else Account.id < account_id
    nulls_first = _nulls_first(session, query.descending)
    if sort_key is None:
        if nulls_first:
            return and_(key.is_(None), id_before)
        return or_(key.is_not(None), and_(key.is_(None), id_before))
    key_before = key > sort_key if query.descending else key < sort_key
    same_key_before = and_(key == sort_key, id_before)
    if nulls_first:
        return or_(key.is_(None), key_before, same_key_before)
    return or_(key_before, same_key_before)


def _status_of(query: AccountListQuery) -> AccountStatus | None:
    return None if query.include_inactive else AccountStatus.ACTIVE


def _page_size(limit: int) -> int:
    return min(_positive(limit, "limit"), MAX_PAGE)


def _positive(value: int, name: str) -> int:
    if value < 1:
        raise ValueError(f"{name} must be at least 1")
    return value


def _status_filter(status: AccountStatus | None) -> list[ColumnElement[bool]]:
    return [] if status is None else [Account.status == status]

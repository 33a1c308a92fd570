"""Reading stored payment methods: one, an account's, and the list over every row.

The list filters by what staff see (Active, Expired, Pending, Inactive; "expiring within
N days") and is counted, sorted and paged by the database like the account list.
"""

from __future__ import annotations

import calendar
import enum
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, not_, select
from sqlalchemy.orm import Session, sessionmaker

from w365desk.clock import Clock
from w365desk.db.engine import reading_session
from w365desk.db.models import Account, PaymentKind, PaymentProfile, ProfileStatus
from w365desk.services.errors import NotFoundError
from w365desk.services.payment_profiles.views import PaymentProfileView, to_profile_view

MAX_PAGE = 1000


class ProfileFilter(enum.StrEnum):
    ALL = "all"
    ACTIVE = "active"
    EXPIRED = "expired"
    PENDING = "pending"
    INACTIVE = "inactive"


class ProfileSort(enum.StrEnum):
    ACCOUNT = "account"
    HOLDER = "holder"
    METHOD = "method"
    LAST4 = "last4"
    EXPIRY = "expiry"
    STATUS = "status"
    DEFAULT = "default"
    SOURCE = "source"
    CREATED_BY = "created_by"
    CREATED_AT = "created_at"


_SORT_KEYS: dict[ProfileSort, tuple[Any, ...]] = {
    ProfileSort.ACCOUNT: (Account.name_key,),
    ProfileSort.HOLDER: (PaymentProfile.billing_last_name, PaymentProfile.billing_first_name),
    ProfileSort.METHOD: (PaymentProfile.kind, PaymentProfile.brand),
    ProfileSort.LAST4: (PaymentProfile.last4,),
    ProfileSort.EXPIRY: (PaymentProfile.exp_year, PaymentProfile.exp_month),
    ProfileSort.STATUS: (PaymentProfile.status,),
    ProfileSort.DEFAULT: (PaymentProfile.is_default,),
    ProfileSort.SOURCE: (PaymentProfile.source,),
    ProfileSort.CREATED_BY: (PaymentProfile.created_by,),
    ProfileSort.CREATED_AT: (PaymentProfile.created_at,),
}


@dataclass(frozen=True)
class ProfileListQuery:
    status: ProfileFilter = ProfileFilter.ALL
    # Only active cards whose expiry month ends within this many days from today.
    expiring_within_days: int | None = None
    account_id: int | None = None
    sort: ProfileSort = ProfileSort.CREATED_AT
    descending: bool = True


def _month_index(year: Any, month: Any) -> Any:
    return year * 12 + month


def _expired(today: date) -> ColumnElement[bool]:
    """A card whose expiry month is over."""
    return and_(
        PaymentProfile.kind == PaymentKind.CARD,
        PaymentProfile.exp_year.is_not(None),
        _month_index(PaymentProfile.exp_year, PaymentProfile.exp_month)
        < _month_index(today.year, today.month),
    )


def _conditions(
    query: ProfileListQuery, today: date, session: Session
) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if query.account_id is not None:
        found.append(PaymentProfile.account_id == query.account_id)
    active: ColumnElement[bool] = PaymentProfile.status == ProfileStatus.ACTIVE
    if session.get_bind().dialect.name == "sqlite":
        # Most stored methods are active; without ANALYZE SQLite would take this as
        # narrow and sort every active row instead of walking the sort column's index.
        active = func.likely(active)
    if query.status is ProfileFilter.ACTIVE:
        found += [active, not_(_expired(today))]
    elif query.status is ProfileFilter.EXPIRED:
        found += [active, _expired(today)]
    elif query.status is ProfileFilter.PENDING:
        found.append(PaymentProfile.status == ProfileStatus.PENDING)
    elif query.status is ProfileFilter.INACTIVE:
        found.append(PaymentProfile.status == ProfileStatus.INACTIVE)
    if query.expiring_within_days is not None:
        last = today + timedelta(days=max(query.expiring_within_days, 0))
        # Good through the last day of the expiry month: expiring within N days means
        # the month ends on or before today + N, and has not ended yet.
        month_index = _month_index(PaymentProfile.exp_year, PaymentProfile.exp_month)
        last_month = last.year * 12 + last.month
        if last.day < calendar.monthrange(last.year, last.month)[1]:
            last_month -= 1  # that month does not end in time
        found += [
            active,
            PaymentProfile.kind == PaymentKind.CARD,
            month_index >= _month_index(today.year, today.month),
            month_index <= last_month,
        ]
    return found


class PaymentProfileQueries:
    def __init__(self, session_factory: sessionmaker[Session], clock: Clock) -> None:
        self._session_factory = session_factory
        self._clock = clock

    def get(self, profile_id: int) -> PaymentProfileView:
        with reading_session(self._session_factory) as session:
            row = session.execute(
                select(PaymentProfile, Account.number, Account.name)
                .join(Account, Account.id == PaymentProfile.account_id)
                .where(PaymentProfile.id == profile_id)
            ).one_or_none()
            if row is None:
                raise NotFoundError("payment profile", profile_id)
            return to_profile_view(row[0], row[1], row[2], self._today())

    def for_account(self, account_id: int) -> list[PaymentProfileView]:
        """An account's payment methods: the default first, then newest first."""
        query = ProfileListQuery(account_id=account_id, sort=ProfileSort.CREATED_AT)
        rows = self.rows(query, 0, MAX_PAGE)
        return sorted(rows, key=lambda view: not view.is_default)

    def count(self, query: ProfileListQuery) -> int:
        with reading_session(self._session_factory) as session:
            # Every condition is on the profile itself: no join to count.
            statement = (
                select(func.count())
                .select_from(PaymentProfile)
                .where(*_conditions(query, self._today(), session))
            )
            return int(session.scalar(statement) or 0)

    def rows(
        self, query: ProfileListQuery, offset: int, limit: int, total: int | None = None
    ) -> list[PaymentProfileView]:
        """Rows ``offset`` to ``offset + limit`` of the list; a page in the far half of
        the list is read from its end (``total``: the count, when the caller knows it)."""
        limit, offset = min(max(limit, 1), MAX_PAGE), max(offset, 0)
        today = self._today()
        if total is not None and offset >= total:
            return []
        reverse = total is not None and offset > total // 2
        if total is not None and reverse:
            limit = min(limit, total - offset)
            offset = total - offset - limit
        descending = query.descending != reverse
        keys = _SORT_KEYS[query.sort]
        ordering = [key.desc() if descending else key.asc() for key in keys]
        ordering.append(PaymentProfile.id.desc() if descending else PaymentProfile.id.asc())
        with reading_session(self._session_factory) as session:
            ids = list(
                session.scalars(
                    select(PaymentProfile.id)
                    .join(Account, Account.id == PaymentProfile.account_id)
                    .where(*_conditions(query, today, session))
                    .order_by(*ordering)
                    .limit(limit)
                    .offset(offset)
                )
            )
            if reverse:
                ids.reverse()
            if not ids:
                return []
            found = {
                row[0].id: to_profile_view(row[0], row[1], row[2], today)
                for row in session.execute(
                    select(PaymentProfile, Account.number, Account.name)
                    .join(Account, Account.id == PaymentProfile.account_id)
                    .where(PaymentProfile.id.in_(ids))
                )
            }
            return [found[profile_id] for profile_id in ids]

    def position(self, query: ProfileListQuery, profile_id: int) -> int | None:
        """The row ``profile_id`` stands at in the list (None: not in it)."""
        # Payment profiles number in the thousands per office, not millions: a scan of
        # ids in order is cheap, and exact whatever the sort.
        today = self._today()
        keys = _SORT_KEYS[query.sort]
        ordering = [key.desc() if query.descending else key.asc() for key in keys]
        ordering.append(PaymentProfile.id.desc() if query.descending else PaymentProfile.id.asc())
        with reading_session(self._session_factory) as session:
            ids = session.scalars(
                select(PaymentProfile.id)
                .join(Account, Account.id == PaymentProfile.account_id)
                .where(*_conditions(query, today, session))
                .order_by(*ordering)
            )
            for index, found in enumerate(ids):
                if found == profile_id:
                    return index
        return None

    def _today(self) -> date:
        return self._clock.now().date()

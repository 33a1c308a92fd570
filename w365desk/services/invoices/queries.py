"""An account's invoices, newest first, with what is still owed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from w365desk.db.engine import reading_session
from w365desk.db.models import Invoice, InvoiceStatus


@dataclass(frozen=True)
class InvoiceView:
    id: int
    number: str
    issue_date: date
    due_date: date
    currency: str
    total: Decimal
    amount_paid: Decimal
    status: InvoiceStatus
    description: str | None

    @property
    def balance(self) -> Decimal:
        return self.total - self.amount_paid

    def overdue(self, today: date) -> bool:
        return self.status in (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID) and (
            self.due_date < today
        )


class InvoiceQueries:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

    def for_account(self, account_id: int) -> list[InvoiceView]:
        with reading_session(self._session_factory) as session:
            rows = session.scalars(
                select(Invoice)
                .where(Invoice.account_id == account_id)
                .order_by(Invoice.issue_date.desc(), Invoice.id.desc())
            )
            return [
                InvoiceView(
                    row.id,
                    row.number,
                    row.issue_date,
                    row.due_date,
                    row.currency,
                    row.total,
                    row.amount_paid,
                    InvoiceStatus(row.status),
                    row.description,
                )
                for row in rows
            ]

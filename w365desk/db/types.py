"""Column types that keep money exact and time zone-aware on every backend."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Dialect, Integer, Numeric
from sqlalchemy.types import TypeDecorator, TypeEngine

CENT = Decimal("0.01")
MAX_MONEY = Decimal("999999999999.99")  # what NUMERIC(14, 2) holds


class Money(TypeDecorator[Decimal]):
    """A currency amount with two decimal places, always a ``Decimal`` in Python.

    Floats are refused at the boundary: a float amount is a bug, not a value. So are
    amounts with more than two decimal places and amounts beyond ``NUMERIC(14, 2)``.

    SQLite has no decimal type, so there the column holds whole cents as an INTEGER:
    a float column would round-trip single values but make ``SUM`` drift (a million
    rows of 1000.03 add up to 1000029999.98). SQL comparisons, ``SUM`` and ``+``/``-``
    stay exact in cents; read money only through this type (ORM or typed Core columns),
    never from raw SQL text on SQLite, and do not divide amounts in SQL.
    """

    impl = Numeric(14, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Integer())
        return dialect.type_descriptor(Numeric(14, 2))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, bool | float) or not isinstance(value, Decimal | int):
            raise TypeError(f"money must be Decimal or int, not {type(value).__name__}")
        amount = Decimal(value)
        if not amount.is_finite():
            raise ValueError(f"money must be a finite amount, not {amount}")
        if abs(amount) > MAX_MONEY:
            raise ValueError(f"money is out of range (at most {MAX_MONEY}): {amount}")
        if amount != amount.quantize(CENT):
            raise ValueError(f"money has more than two decimal places: {amount}")
        amount = amount.quantize(CENT)
        return int(amount.scaleb(2)) if dialect.name == "sqlite" else amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            # Integer cents; a float only arises from SQL arithmetic such as AVG.
            cents = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
            return cents.scaleb(-2).quantize(CENT)
        return Decimal(value).quantize(CENT)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python.

    Naive datetimes are refused: a time without a zone is ambiguous evidence.
    SQLite stores the UTC wall time; PostgreSQL stores ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

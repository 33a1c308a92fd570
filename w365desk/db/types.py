"""Column types that keep money exact and time zone-aware on every backend."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Dialect, Integer, Numeric
from sqlalchemy.sql import operators
from sqlalchemy.sql.operators import OperatorType
from sqlalchemy.types import TypeDecorator, TypeEngine

CENT = Decimal("0.01")
MAX_MONEY = Decimal("999999999999.99")  # what NUMERIC(14, 2) holds
FACTOR_OPERATORS = frozenset({operators.mul, operators.truediv, operators.floordiv})


class Money(TypeDecorator[Decimal]):
    """A currency amount with two decimal places, always a ``Decimal`` in Python.

    Floats are refused at the boundary: a float amount is a bug, not a value. So are
    amounts with more than two decimal places and amounts beyond ``NUMERIC(14, 2)``.

    SQLite has no decimal type, so there the column holds whole cents as an INTEGER:
    a float column would round-trip single values but make ``SUM`` drift (a million
    rows of 1000.03 add up to 1000029999.98). Comparisons, ``SUM``, ``+``/``-`` and
    ``amount * factor`` work in SQL as expected. Read money only through this type (ORM
    or typed Core columns), never from raw SQL text, which shows cents on SQLite; SQL
    functions that SQLAlchemy does not type from their argument need it said, e.g.
    ``func.avg(Invoice.total, type_=Money())``.
    """

    impl = Numeric(14, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Integer())
        return dialect.type_descriptor(Numeric(14, 2))

    class Comparator(TypeDecorator.Comparator[Decimal], Numeric.Comparator[Decimal]):
        def _adapt_expression(
            self, op: OperatorType, other_comparator: TypeEngine.Comparator[Any]
        ) -> tuple[OperatorType, TypeEngine[Any]]:
            # An amount times (or divided by) a factor is still an amount, read back as such.
            if op in FACTOR_OPERATORS:
                return op, self.type
            return super()._adapt_expression(op, other_comparator)

    comparator_factory = Comparator

    def coerce_compared_value(self, op: OperatorType | None, value: Any) -> TypeEngine[Any]:
        # In ``amount * 3`` the 3 is a factor, not an amount: bound as Money it would be
        # 300 cents on SQLite. Sums, differences and comparisons keep the Money type.
        if op in FACTOR_OPERATORS:
            return Numeric(asdecimal=True)
        return self

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
            # Integer cents; a float only arises from SQL arithmetic such as ``* 1.5`` or AVG.
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

"""Column types that keep money exact and time zone-aware on every backend."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import DateTime, Dialect, Float, Integer, Numeric, func, literal, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import operators
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.functions import GenericFunction
from sqlalchemy.sql.operators import OperatorType
from sqlalchemy.types import TypeDecorator, TypeEngine

CENT = Decimal("0.01")
MAX_MONEY = Decimal("999999999999.99")  # what NUMERIC(14, 2) holds
# A ratio of two amounts is kept to this many significant digits, so that SQLite's
# float division and PostgreSQL's exact numeric division come back as the same Decimal.
RATIO_DIGITS = 12
FACTOR_OPERATORS = frozenset({operators.mul, operators.truediv})
# Operators whose other side is only compared with an amount, never stored (``between``
# arrives as ``and_``).
COMPARISON_OPERATORS = frozenset(
    {
        operators.eq,
        operators.ne,
        operators.lt,
        operators.le,
        operators.gt,
        operators.ge,
        operators.in_op,
        operators.not_in_op,
        operators.and_,
        operators.is_distinct_from,
        operators.is_not_distinct_from,
    }
)
_SQLITE_INT_LIMIT = 2**63


def exact_amount(value: Any) -> Decimal:
    """``value`` as an amount this program can store exactly, or a specific error.

    Floats are refused: a float amount is a bug, not a value. So are amounts with more
    than two decimal places and amounts beyond ``NUMERIC(14, 2)``.
    """
    amount = _finite_decimal(value)
    if abs(amount) > MAX_MONEY:
        raise ValueError(f"money is out of range (at most {MAX_MONEY}): {amount}")
    if amount != amount.quantize(CENT):
        raise ValueError(f"money has more than two decimal places: {amount}")
    return amount.quantize(CENT)


def _finite_decimal(value: Any) -> Decimal:
    if isinstance(value, bool | float) or not isinstance(value, Decimal | int):
        raise TypeError(f"money must be Decimal or int, not {type(value).__name__}")
    amount = Decimal(value)
    if not amount.is_finite():
        raise ValueError(f"money must be a finite amount, not {amount}")
    return amount


def _check_factor(value: Any) -> None:
    """Refuse a Python value that cannot multiply or divide an amount exactly."""
    if isinstance(value, bool | float) or not isinstance(value, Decimal | int):
        raise TypeError(
            f"an amount can only be multiplied or divided by a Decimal or an int, not "
            f'{type(value).__name__} (write Decimal("0.07"), not 0.07)'
        )


def _clause(value: Any) -> Any:
    return value.__clause_element__() if hasattr(value, "__clause_element__") else value


def _is_sql(value: Any) -> bool:
    return isinstance(_clause(value), ColumnElement)


def _is_amount(value: Any) -> bool:
    """True for a SQL expression typed as Money (a column, a sum, a difference, ...)."""
    return isinstance(getattr(_clause(value), "type", None), Money)


class Money(TypeDecorator[Decimal]):
    """A currency amount with two decimal places, always a ``Decimal`` in Python.

    Values stored are checked by :func:`exact_amount`: no floats, no fractions of a cent,
    nothing beyond ``NUMERIC(14, 2)``.

    SQLite has no decimal type, so there the column holds whole cents as an INTEGER:
    a float column would round-trip single values but make ``SUM`` drift (a million
    rows of 1000.03 add up to 1000029999.98). Read money only through this type (ORM
    or typed Core columns), never from raw SQL text, which shows cents on SQLite.

    In SQL expressions, the same results on both backends:

    * ``amount + amount``, ``amount - amount``, ``-amount``, ``amount % amount``: amounts;
      a Python value there is an amount too (``total % Decimal("0.25")``).
    * ``amount * n``, ``n * amount``, ``amount / n`` (``n`` a Decimal, an int or a numeric
      column): amounts, rounded half to even to the cent when read. Floats are refused.
    * ``amount / amount``: a :class:`Ratio` (``paid / total`` is 0.4, not 0.00).
    * Dividing by a column or expression that is zero gives NULL (None) on both backends,
      not an error on PostgreSQL only; dividing by a literal 0 raises ZeroDivisionError.
    * Comparisons (``==``, ``<``, ``between``, ``in_`` ...) take any Decimal or int, also
      with fractions of a cent: ``total > Decimal("10.005")`` compares exactly.
    * ``amount * amount``, ``amount // x``, ``amount % column`` and ``n / amount`` mean nothing
      for money and raise ``TypeError`` when the expression is built.

    SQL functions: ``func.sum``, ``func.min``, ``func.max`` and ``func.coalesce`` take the
    type of their first argument; ``func.abs``, ``func.avg``, ``func.nullif`` and
    ``func.round`` do too, because this module registers them so (``func.round(amount, 2)``
    rounds to the cent on SQLite's cents as well). A Python amount passed to a function
    must be typed, or it reaches SQLite as units while the column holds cents: write
    ``func.coalesce(Invoice.amount_paid, amount_literal(Decimal("5.00")))``. Any other
    function returning an amount needs ``type_=Money()``, and one returning a ratio
    ``type_=Ratio()``.
    """

    impl = Numeric(14, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Integer())
        return dialect.type_descriptor(Numeric(14, 2))

    class Comparator(TypeDecorator.Comparator[Decimal], Numeric.Comparator[Decimal]):
        def operate(self, op: OperatorType, *other: Any, **kwargs: Any) -> ColumnElement[Any]:
            if op is operators.truediv:
                (divisor,) = other
                return super().operate(op, _divisor(divisor), **kwargs)
            if op is operators.mul:
                (factor,) = other
                if _is_amount(factor):
                    raise TypeError(
                        "an amount times an amount is not an amount; multiply by a number"
                    )
                if not _is_sql(factor):
                    _check_factor(factor)
            elif op is operators.floordiv:
                raise TypeError(
                    "amount // x has no meaning for money; divide with / and round "
                    "with func.round(amount, places)"
                )
            elif op is operators.mod and _is_sql(other[0]) and not _is_amount(other[0]):
                # A Python value here is an amount (bound as Money, like in + and -).
                raise TypeError("an amount modulo a plain number has no meaning for money")
            return super().operate(op, *other, **kwargs)

        def reverse_operate(
            self, op: OperatorType, other: Any, **kwargs: Any
        ) -> ColumnElement[Any]:
            if op is operators.mul:
                _check_factor(other)
            elif op in (operators.truediv, operators.floordiv, operators.mod):
                raise TypeError(
                    "a number divided by an amount is not money; divide the amount by the "
                    "number, or two amounts for a ratio"
                )
            return super().reverse_operate(op, other, **kwargs)

        def _adapt_expression(
            self, op: OperatorType, other_comparator: TypeEngine.Comparator[Any]
        ) -> tuple[OperatorType, TypeEngine[Any]]:
            if op is operators.truediv and isinstance(other_comparator.type, Money):
                return op, Ratio()
            # An amount times (or divided by) a factor is still an amount, read back as such.
            if op in FACTOR_OPERATORS:
                return op, self.type
            return super()._adapt_expression(op, other_comparator)

    comparator_factory = Comparator

    def coerce_compared_value(self, op: OperatorType | None, value: Any) -> TypeEngine[Any]:
        # In ``amount * 3`` the 3 is a factor, not an amount: bound as Money it would be
        # 300 cents on SQLite. Sums and differences keep the Money type (and its checks,
        # as their results may be stored); a value only compared may have any precision.
        if op in FACTOR_OPERATORS:
            return Numeric(asdecimal=True)
        if op in COMPARISON_OPERATORS:
            return _ComparedAmount()
        return self

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = exact_amount(value)
        return int(amount.scaleb(2)) if dialect.name == "sqlite" else amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            # Integer cents; a float only arises from SQL arithmetic such as ``* 1.5`` or AVG.
            cents = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
            return cents.scaleb(-2).quantize(CENT)
        return Decimal(value).quantize(CENT)


class _ComparedAmount(Money):
    """A Python value compared with an amount: exact, but not limited to whole cents."""

    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = _finite_decimal(value)
        if dialect.name != "sqlite":
            return amount
        cents = amount.scaleb(2)
        # A fraction of a cent compares as a REAL; SQLite compares it with the INTEGER
        # cents numerically, so 1001 > 1000.5 as 10.01 > 10.005.
        if cents == cents.to_integral_value() and abs(cents) < _SQLITE_INT_LIMIT:
            return int(cents)
        return float(cents)


def _divisor(value: Any) -> Any:
    if not _is_sql(value):
        _check_factor(value)
        if value == 0:
            raise ZeroDivisionError("an amount divided by zero")
        return value
    divisor = _clause(value)
    # PostgreSQL raises on division by zero where SQLite answers NULL; NULLIF makes both NULL.
    return func.nullif(divisor, 0, type_=divisor.type)


class Ratio(TypeDecorator[Decimal]):
    """A plain number from dividing two amounts, as a ``Decimal`` of RATIO_DIGITS digits.

    SQLite divides the cents as floats, PostgreSQL exactly; rounded to RATIO_DIGITS
    significant digits both give the same Decimal (a float holds about 16).
    """

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            # Float, not Numeric: SQLAlchemy's Numeric would cut the float to 10 places first.
            return dialect.type_descriptor(Float())
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        number = _finite_decimal(value)
        return float(number) if dialect.name == "sqlite" else number

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if not number:
            return Decimal(0)
        places = Decimal(1).scaleb(number.adjusted() - RATIO_DIGITS + 1)
        return number.quantize(places, rounding=ROUND_HALF_EVEN)


def amount_literal(value: Decimal | int) -> BindParameter[Decimal]:
    """A Python amount inside a SQL expression that nothing else types, e.g. a function
    argument: ``func.coalesce(Invoice.amount_paid, amount_literal(Decimal("0.00")))``."""
    return literal(exact_amount(value), Money())


# -- SQL functions that keep amounts amounts -------------------------------------------------


class _AmountFunction(GenericFunction[Any]):
    """A SQL function that returns an amount when its first argument is one.

    Registered under SQLAlchemy's ``func`` names; with any other first argument it
    behaves exactly like the plain function (untyped unless ``type_`` is given).
    """

    _register = False
    inherit_cache = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args and _is_amount(args[0]) and "type_" not in kwargs:
            kwargs["type_"] = Money()
        super().__init__(*args, **kwargs)


class _AbsOfAmount(_AmountFunction):
    name = identifier = "abs"
    inherit_cache = True


class _AverageOfAmounts(_AmountFunction):
    name = identifier = "avg"
    inherit_cache = True


class _AmountUnlessEqual(_AmountFunction):
    name = identifier = "nullif"
    inherit_cache = True


class _RoundedAmount(_AmountFunction):
    """``func.round(amount, places)``: on SQLite the amount is cents, so the places shift."""

    name = identifier = "round"
    inherit_cache = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args and _is_amount(args[0]):
            places = args[1] if len(args) > 1 else 0
            if len(args) > 2 or isinstance(places, bool) or not isinstance(places, int):
                raise TypeError("round() of an amount takes its decimal places as a Python int")
            # Literal text, so the places are part of the statement (and its cache key)
            # and the SQLite compiler below can shift them.
            args = (args[0], literal_column(str(places), Integer()))
        super().__init__(*args, **kwargs)


@compiles(_RoundedAmount, "sqlite")
def _round_cents(element: _RoundedAmount, compiler: SQLCompiler, **kw: Any) -> str:
    arguments = element.clauses.clauses
    if not arguments or not _is_amount(arguments[0]):
        return compiler.visit_function(element, **kw)
    amount = compiler.process(arguments[0], **kw)
    places = int(arguments[1].name)  # the literal_column text set in __init__
    if places >= 2:
        return f"round({amount}, {places - 2})"
    # round(x, -n) is round(x, 0) in SQLite, so tens of cents are rounded by scaling.
    scale = 10 ** (2 - places)
    return f"(round({amount} / {scale}.0) * {scale})"


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
        moment: datetime = value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)

"""Money and UTCDateTime: exact amounts and aware UTC timestamps on every backend."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Engine, Integer, MetaData, Table, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import StatementError

from w365desk.db.engine import make_engine
from w365desk.db.types import MAX_MONEY, Money, Ratio, UTCDateTime, amount_literal

metadata = MetaData()
probe = Table(
    "type_probe",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("amount", Money()),
    Column("at", UTCDateTime()),
)

MONEY_VALUES = [
    Decimal("0.00"),
    Decimal("0.01"),
    Decimal("0.10"),
    Decimal("1.10"),
    Decimal("19.99"),
    Decimal("12345678901.99"),
    MAX_MONEY,
    -MAX_MONEY,
    Decimal("-0.01"),
    Decimal("-12345678901.99"),
]


@pytest.fixture
def probe_engine(database_url: str) -> Iterator[Engine]:
    """A database with only the probe table, its PostgreSQL session in a non-UTC zone.

    New York on the session proves the UTC that comes back is converted, not assumed.
    """
    connect_args = {}
    if make_url(database_url).get_backend_name() == "postgresql":
        connect_args["options"] = "-c timezone=America/New_York"
    engine = make_engine(database_url, connect_args=connect_args)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def _store(engine: Engine, **values: Any) -> int:
    with engine.begin() as connection:
        return connection.execute(insert(probe).returning(probe.c.id), values).scalar_one()


def _load(engine: Engine, row_id: int, column: str) -> Any:
    with engine.connect() as connection:
        return connection.execute(select(probe.c[column]).where(probe.c.id == row_id)).scalar_one()


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(probe)).scalar_one()


# -- Money -----------------------------------------------------------------------------------


def test_money_round_trips_exactly(probe_engine: Engine) -> None:
    ids = [_store(probe_engine, amount=value) for value in MONEY_VALUES]
    loaded = [_load(probe_engine, row_id, "amount") for row_id in ids]
    assert loaded == MONEY_VALUES
    assert all(isinstance(value, Decimal) for value in loaded)
    assert [str(value) for value in loaded] == [str(value) for value in MONEY_VALUES]


def test_whole_amounts_come_back_with_cents(probe_engine: Engine) -> None:
    assert str(_load(probe_engine, _store(probe_engine, amount=7), "amount")) == "7.00"
    assert str(_load(probe_engine, _store(probe_engine, amount=Decimal("5")), "amount")) == "5.00"
    trailing = _store(probe_engine, amount=Decimal("2.500"))  # three places, but whole cents
    assert str(_load(probe_engine, trailing, "amount")) == "2.50"


def test_money_sums_and_compares_exactly_in_sql(probe_engine: Engine) -> None:
    # As floats these rows sum to 900000000021.2949...: a cent short once rounded.
    amounts = [Decimal("0.10")] * 3 + [Decimal("3000000000.07")] * 300
    with probe_engine.begin() as connection:
        connection.execute(insert(probe), [{"amount": amount} for amount in amounts])

    with probe_engine.connect() as connection:
        total = connection.execute(select(func.sum(probe.c.amount))).scalar_one()
        large = connection.execute(
            select(func.sum(probe.c.amount)).where(probe.c.amount > Decimal("0.10"))
        ).scalar_one()
        small = connection.execute(
            select(func.count()).where(probe.c.amount <= Decimal("0.10"))
        ).scalar_one()
        doubled = connection.execute(
            select(probe.c.amount + probe.c.amount).where(probe.c.amount == Decimal("0.10"))
        ).scalars()
        doubled_values = list(doubled)

    assert total == sum(amounts) == Decimal("900000000021.30")
    assert large == Decimal("900000000021.00")
    assert small == 3
    assert doubled_values == [Decimal("0.20")] * 3


def test_money_arithmetic_in_sql_gives_amounts(probe_engine: Engine) -> None:
    """Factors are plain numbers, not amounts: ``amount * 2`` doubles, on either backend."""
    row = _store(probe_engine, amount=Decimal("1.03"))
    amount = probe.c.amount
    expressions = {
        "times two": amount * 2,
        "two times": 2 * amount,
        "times a rate": amount * Decimal("1.5"),
        "plus one": amount + 1,
        "minus cents": amount - Decimal("0.50"),
        "sum times three": func.sum(amount) * 3,
    }
    with probe_engine.connect() as connection:
        results = {
            name: connection.execute(select(expression).where(probe.c.id == row)).scalar_one()
            for name, expression in expressions.items()
        }
    assert results == {
        "times two": Decimal("2.06"),
        "two times": Decimal("2.06"),
        "times a rate": Decimal("1.54"),  # 1.545, rounded half to even
        "plus one": Decimal("2.03"),
        "minus cents": Decimal("0.53"),
        "sum times three": Decimal("3.09"),
    }


@pytest.mark.parametrize("bad", [0.1, 10.0, True, "1.00", b"100"])
def test_money_refuses_anything_but_decimal_or_int(probe_engine: Engine, bad: Any) -> None:
    with pytest.raises(StatementError) as raised:
        _store(probe_engine, amount=bad)
    assert isinstance(raised.value.orig, TypeError)
    assert "money must be Decimal or int" in str(raised.value.orig)
    assert _count(probe_engine) == 0


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (Decimal("0.001"), "more than two decimal places"),
        (Decimal("19.995"), "more than two decimal places"),
        (MAX_MONEY + Decimal("0.01"), "out of range"),
        (-MAX_MONEY - Decimal("0.01"), "out of range"),
        (Decimal("1E+20"), "out of range"),
        (Decimal("NaN"), "finite"),
        (Decimal("-Infinity"), "finite"),
    ],
)
def test_money_refuses_amounts_it_cannot_hold_exactly(
    probe_engine: Engine, bad: Decimal, reason: str
) -> None:
    with pytest.raises(StatementError) as raised:
        _store(probe_engine, amount=bad)
    assert isinstance(raised.value.orig, ValueError)
    assert reason in str(raised.value.orig)
    assert _count(probe_engine) == 0


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()])
def test_money_refuses_float_before_any_database_is_involved(dialect: Any) -> None:
    with pytest.raises(TypeError, match="not float"):
        Money().process_bind_param(0.1, dialect)


def test_money_is_whole_cents_in_sqlite_and_numeric_in_postgresql() -> None:
    money = Money()
    assert money.process_bind_param(Decimal("12.34"), sqlite.dialect()) == 1234
    assert money.process_bind_param(Decimal("12.34"), postgresql.dialect()) == Decimal("12.34")
    assert money.process_result_value(1234, sqlite.dialect()) == Decimal("12.34")
    assert money.process_result_value(Decimal("12.34"), postgresql.dialect()) == Decimal("12.34")
    # AVG and friends hand SQLite's float back; it is still read as cents.
    assert money.process_result_value(1234.5, sqlite.dialect()) == Decimal("12.34")


# -- Money in SQL expressions: the same Decimal from SQLite's cents and PostgreSQL's numeric ----

ledger = Table(
    "ledger_probe",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("paid", Money()),
    Column("total", Money()),
    Column("parts", Integer),
)

# paid, total, parts: a third, a zero total, a zero count, a negative amount.
LEDGER_ROWS = [
    (Decimal("40.00"), Decimal("100.00"), 3),
    (Decimal("1.00"), Decimal("3.00"), 0),
    (Decimal("10.00"), Decimal("0.00"), 2),
    (Decimal("-0.05"), Decimal("10.05"), 4),
]

paid, total, parts = ledger.c.paid, ledger.c.total, ledger.c.parts

# Expected per ledger row, written as the exact text of the Decimal each backend must return.
PER_ROW_EXPRESSIONS: dict[str, tuple[Any, list[str | None]]] = {
    "paid / total is a ratio": (
        paid / total,
        ["0.400000000000", "0.333333333333", None, "-0.00497512437811"],
    ),
    "a ratio times 100": (
        paid / total * 100,
        ["40.0000000000", "33.3333333333", None, "-0.497512437811"],
    ),
    "total / 3": (total / 3, ["33.33", "1.00", "0.00", "3.35"]),
    "total / 2, half to even": (total / 2, ["50.00", "1.50", "0.00", "5.02"]),
    "total / a count column": (total / parts, ["33.33", None, "0.00", "2.51"]),
    "total / 1.5": (total / Decimal("1.5"), ["66.67", "2.00", "0.00", "6.70"]),
    "abs of a difference": (func.abs(paid - total), ["60.00", "2.00", "10.00", "10.10"]),
    "round(total * rate, 2)": (
        func.round(total * Decimal("0.07"), 2),
        ["7.00", "0.21", "0.00", "0.70"],
    ),
    "round(total * rate) to whole units": (
        func.round(total * Decimal("0.07")),
        ["7.00", "0.00", "0.00", "1.00"],
    ),
    "round(total, 1), half away from zero": (
        func.round(total, 1),
        ["100.00", "3.00", "0.00", "10.10"],
    ),
    "round(paid, 1) of a negative amount": (
        func.round(paid, 1),
        ["40.00", "1.00", "10.00", "-0.10"],
    ),
    "round(total, -1) to tens": (func.round(total, -1), ["100.00", "0.00", "0.00", "10.00"]),
    "coalesce and nullif with amounts written in Python": (
        func.coalesce(
            func.nullif(paid, amount_literal(Decimal("1.00"))), amount_literal(Decimal("5.00"))
        ),
        ["40.00", "5.00", "10.00", "-0.05"],
    ),
    "amount % amount": (total % paid, ["20.00", "0.00", "0.00", "0.00"]),
    "amount % a quarter": (total % Decimal("0.25"), ["0.00", "0.00", "0.00", "0.05"]),
}

AGGREGATE_EXPRESSIONS: dict[str, tuple[Any, str | None]] = {
    "sum / sum is a ratio": (func.sum(paid) / func.sum(total), "0.450685537373"),
    "avg of amounts, half to even": (func.avg(total), "28.26"),
    "min": (func.min(paid), "-0.05"),
    "max": (func.max(total), "100.00"),
    "sum times a rate, rounded": (func.round(func.sum(total) * Decimal("0.07"), 2), "7.91"),
}


@pytest.fixture
def ledger_engine(probe_engine: Engine) -> Engine:
    _fill_ledger(probe_engine)
    return probe_engine


def _fill_ledger(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(ledger),
            [{"paid": p, "total": t, "parts": n} for p, t, n in LEDGER_ROWS],
        )


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    assert isinstance(value, Decimal), f"{value!r} is not a Decimal"
    return str(value)


def _evaluate(engine: Engine) -> dict[str, Any]:
    """Every expression's results, as text, so equal means the very same Decimal."""
    results: dict[str, Any] = {}
    with engine.connect() as connection:
        for name, (expression, _expected) in PER_ROW_EXPRESSIONS.items():
            rows = connection.execute(select(expression).order_by(ledger.c.id)).scalars()
            results[name] = [_as_text(value) for value in rows]
        for name, (expression, _expected) in AGGREGATE_EXPRESSIONS.items():
            results[name] = _as_text(connection.execute(select(expression)).scalar_one())
    return results


def test_money_expressions_give_the_expected_decimals(ledger_engine: Engine) -> None:
    expected = {name: values for name, (_expression, values) in PER_ROW_EXPRESSIONS.items()}
    expected |= {name: value for name, (_expression, value) in AGGREGATE_EXPRESSIONS.items()}
    assert _evaluate(ledger_engine) == expected


def test_sqlite_and_postgresql_give_the_very_same_decimals(
    tmp_path: Path, postgres_server_database: str | None
) -> None:
    if postgres_server_database is None:
        pytest.skip("W365DESK_TEST_DATABASE_URL is not set")
    engines = [
        make_engine(f"sqlite:///{(tmp_path / 'side_by_side.sqlite3').as_posix()}"),
        make_engine(postgres_server_database),
    ]
    try:
        for engine in engines:
            metadata.drop_all(engine)
            metadata.create_all(engine)
            _fill_ledger(engine)
        on_sqlite, on_postgresql = (_evaluate(engine) for engine in engines)
    finally:
        metadata.drop_all(engines[1])
        for engine in engines:
            engine.dispose()
    assert on_sqlite == on_postgresql


def test_sql_functions_of_amounts_are_typed_as_amounts() -> None:
    typed = [
        func.abs(paid - total),
        func.avg(total),
        func.round(total, 2),
        func.nullif(total, 0),
        func.sum(total),
        func.min(total),
        func.max(total),
        func.coalesce(total, amount_literal(0)),
        total * 2,
        total / parts,
    ]
    assert [type(expression.type) for expression in typed] == [Money] * len(typed)
    assert isinstance((paid / total).type, Ratio)
    # Functions of anything else are left as SQLAlchemy makes them.
    assert not isinstance(func.abs(parts).type, Money)
    assert not isinstance(func.round(parts, 2).type, Money)
    assert (
        str(func.round(parts, 2).compile(dialect=sqlite.dialect()))
        == "round(ledger_probe.parts, ?)"
    )


def test_amounts_compare_exactly_with_fractions_of_a_cent(ledger_engine: Engine) -> None:
    """A comparison value is not stored, so it may have any precision; it is not rounded."""

    def totals(condition: Any) -> list[Decimal]:
        with ledger_engine.connect() as connection:
            statement = select(total).where(condition).order_by(total)
            return list(connection.execute(statement).scalars())

    assert totals(total > Decimal("10.045")) == [Decimal("10.05"), Decimal("100.00")]
    assert totals(total > Decimal("10.055")) == [Decimal("100.00")]
    assert totals(total < Decimal("3.005")) == [Decimal("0.00"), Decimal("3.00")]
    assert totals(total >= Decimal("3.001")) == [Decimal("10.05"), Decimal("100.00")]
    assert totals(total == Decimal("3.001")) == []
    assert totals(total == Decimal("3.000")) == [Decimal("3.00")]
    assert totals(total.between(Decimal("2.995"), Decimal("10.0499"))) == [Decimal("3.00")]
    assert totals(total.in_([Decimal("10.05"), Decimal("3.005")])) == [Decimal("10.05")]
    assert totals(total > 10) == [Decimal("10.05"), Decimal("100.00")]
    assert totals(total < Decimal("1E+20")) == sorted(t for _p, t, _n in LEDGER_ROWS)


def test_storing_a_fraction_of_a_cent_through_arithmetic_is_still_refused(
    ledger_engine: Engine,
) -> None:
    with pytest.raises(StatementError) as raised, ledger_engine.begin() as connection:
        connection.execute(update(ledger).values(total=total + Decimal("0.005")))
    assert "more than two decimal places" in str(raised.value.orig)
    with ledger_engine.connect() as connection:
        stored = connection.execute(select(total).order_by(ledger.c.id)).scalars().all()
    assert stored == [t for _p, t, _n in LEDGER_ROWS]


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: total * total, TypeError, "an amount times an amount"),
        (lambda: total * 0.07, TypeError, "not float"),
        (lambda: 0.07 * total, TypeError, "not float"),
        (lambda: total / 1.5, TypeError, "not float"),
        (lambda: total * True, TypeError, "not bool"),
        (lambda: total / 0, ZeroDivisionError, "divided by zero"),
        (lambda: total // 2, TypeError, "no meaning for money"),
        (lambda: total % parts, TypeError, "no meaning for money"),
        (lambda: 100 / total, TypeError, "not money"),
        (lambda: func.round(total, "2"), TypeError, "Python int"),
        (lambda: amount_literal(Decimal("0.005")), ValueError, "more than two decimal places"),
        (lambda: amount_literal(0.5), TypeError, "not float"),
    ],
)
def test_meaningless_money_arithmetic_is_refused_when_written(
    build: Callable[[], Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        build()


# -- UTCDateTime -----------------------------------------------------------------------------

UTC_MINUS_5 = timezone(timedelta(hours=-5), "UTC-05:00")
PLUS_5_45 = timezone(timedelta(hours=5, minutes=45), "Kathmandu")


def test_utc_timestamps_round_trip_aware_and_exact(probe_engine: Engine) -> None:
    moment = datetime(2026, 3, 1, 12, 30, 45, 123456, tzinfo=UTC)
    loaded = _load(probe_engine, _store(probe_engine, at=moment), "at")
    assert loaded == moment
    assert loaded.tzinfo is UTC


@pytest.mark.parametrize("zone", [UTC_MINUS_5, PLUS_5_45])
def test_other_zones_are_stored_and_returned_as_utc(probe_engine: Engine, zone: timezone) -> None:
    local = datetime(2026, 3, 1, 23, 15, tzinfo=zone)
    loaded = _load(probe_engine, _store(probe_engine, at=local), "at")
    assert loaded == local  # the same instant...
    assert loaded.tzinfo is UTC  # ...expressed in UTC
    assert loaded.replace(tzinfo=None) == (local - zone.utcoffset(local)).replace(tzinfo=None)


def test_timestamps_order_by_instant_not_by_wall_clock(probe_engine: Engine) -> None:
    # 23:00 at UTC-5 is later than 01:00 UTC the same day, though its wall clock reads earlier.
    later = _store(probe_engine, at=datetime(2026, 3, 1, 23, 0, tzinfo=UTC_MINUS_5))
    earlier = _store(probe_engine, at=datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    cutoff = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    with probe_engine.connect() as connection:
        ordered = connection.execute(select(probe.c.id).order_by(probe.c.at)).scalars().all()
        after_cutoff = connection.execute(select(probe.c.id).where(probe.c.at > cutoff)).scalars()
        after_cutoff_ids = list(after_cutoff)
    assert ordered == [earlier, later]
    assert after_cutoff_ids == [later]


@pytest.mark.parametrize(
    "bad", [datetime(2026, 3, 1, 12, 0), datetime(2026, 3, 1).date(), "2026-03-01T12:00:00Z"]
)
def test_utc_datetime_refuses_naive_or_non_datetime_values(probe_engine: Engine, bad: Any) -> None:
    with pytest.raises(StatementError) as raised:
        _store(probe_engine, at=bad)
    assert isinstance(raised.value.orig, ValueError)
    assert "timezone-aware" in str(raised.value.orig)
    assert _count(probe_engine) == 0


# -- Properties (SQLite, where money travels as integer cents) -----------------------------

amounts = st.decimals(
    min_value=-MAX_MONEY, max_value=MAX_MONEY, places=2, allow_nan=False, allow_infinity=False
)

# Small enough that forty of them stay inside NUMERIC(14, 2).
summable = st.decimals(
    min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False
)


@pytest.fixture
def sqlite_probe(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{(tmp_path / 'property.sqlite3').as_posix()}")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


# One engine serves every example; rows are told apart by id, so sharing it is sound.
SHARED_ENGINE = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@SHARED_ENGINE
@given(amount=amounts)
def test_any_money_value_round_trips_on_sqlite(sqlite_probe: Engine, amount: Decimal) -> None:
    loaded = _load(sqlite_probe, _store(sqlite_probe, amount=amount), "amount")
    assert loaded == amount
    assert loaded.as_tuple().exponent == -2


@SHARED_ENGINE
@given(values=st.lists(summable, min_size=1, max_size=40))
def test_sql_sum_of_money_is_the_exact_sum_on_sqlite(
    sqlite_probe: Engine, values: list[Decimal]
) -> None:
    with sqlite_probe.begin() as connection:
        connection.execute(probe.delete())
        connection.execute(insert(probe), [{"amount": value} for value in values])
    with sqlite_probe.connect() as connection:
        total = connection.execute(select(func.sum(probe.c.amount))).scalar_one()
    assert total == sum(values)

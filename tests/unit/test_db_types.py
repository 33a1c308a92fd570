"""Money and UTCDateTime: exact amounts and aware UTC timestamps on every backend."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Engine, Integer, MetaData, Table, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import StatementError

from w365desk.db.engine import make_engine
from w365desk.db.types import MAX_MONEY, Money, UTCDateTime

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

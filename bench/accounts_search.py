"""Account search latency on a large SQLite database, through ``AccountQueries.search``.

Loads ``--rows`` accounts (default 1,000,000), each with one contact, into a temporary
SQLite database made by the real migrations, then times the service's ``search()`` for
random name prefixes (3-5 characters, taken from real names so they match) and for exact
account numbers: the median over ``--queries`` of each. The same queries run against a
``--baseline-rows`` database (default 10,000) built the same way in the same run, so the
ratio shows how search scales on this (noisy, shared) machine.

The load is a plain executemany in chunks inside one transaction per table (values
converted once by the real column types), not the ORM unit of work. The secondary search
indexes are dropped before the load and rebuilt after it (``--index-build after``, the
default): loading 300k rows took 9.1 s that way against 12.9 s with the indexes kept up
row by row (1.4x); ``--compare-index-build ROWS`` measures it again.

A third figure, not in the RESULT line, times very common prefixes ("a", "billing", …)
whose matches run into the hundreds of thousands: each search branch stops after the
result limit, so these should cost about as much as any other prefix.

Run from the repository root:

    .venv/bin/python bench/accounts_search.py [--rows N]

Last line: ``RESULT rows=<n> prefix_ms=<median> number_ms=<median>``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, text

from w365desk.db.engine import make_engine, make_session_factory
from w365desk.db.migrate import upgrade
from w365desk.db.models import Account, AccountStatus, Contact, ContactStatus
from w365desk.services.accounts import AccountQueries
from w365desk.services.accounts.search import normalize_search_key

CHUNK = 20_000
SEARCH_LIMIT = 50
# The indexes search relies on, other than the unique number index (a constraint).
SEARCH_INDEXES = {
    "ix_account_name_key": "account (name_key)",
    "ix_account_email_key": "account (email_key)",
    "ix_contact_email_key": "contact (email_key)",
}

_WORDS_1 = (
    "Acme", "Apex", "Atlas", "Aurora", "Beacon", "Birch", "Blue", "Bright", "Cardinal",
    "Cascade", "Cedar", "Central", "Civic", "Coastal", "Cobalt", "Compass", "Copper",
    "Crescent", "Crown", "Crystal", "Delta", "Eagle", "Echo", "Elm", "Emerald", "Empire",
    "Evergreen", "Falcon", "First", "Frontier", "Galaxy", "Garnet", "Gateway", "Glacier",
    "Global", "Golden", "Granite", "Green", "Harbor", "Harvest", "Hawk", "Heritage", "Highland",
    "Horizon", "Hudson", "Iron", "Ivory", "Jade", "Juniper", "Keystone", "Lake", "Legacy",
    "Liberty", "Lighthouse", "Lincoln", "Maple", "Meadow", "Meridian", "Metro", "Midwest",
    "Mission", "Monarch", "Mountain", "North", "Oak", "Ocean", "Olympic", "Omega", "Orchard",
    "Pacific", "Paramount", "Patriot", "Peak", "Pine", "Pinnacle", "Pioneer", "Prairie",
    "Premier", "Prime", "Quantum", "Quarry", "Rapid", "Raven", "Redwood", "Ridge", "River",
    "Rock", "Royal", "Sage", "Sapphire", "Sierra", "Silver", "Skyline", "Solar", "Spring",
    "Star", "Sterling", "Stone", "Summit", "Sun", "Timber", "Titan", "Trinity", "Union",
    "United", "Valley", "Vanguard", "Vista", "Western", "Willow", "Zenith"
)  # fmt: skip
_WORDS_2 = (
    "Accounting", "Architects", "Auto", "Bakery", "Builders", "Cafe", "Capital", "Care",
    "Clinic", "Construction", "Consulting", "Dental", "Design", "Distribution", "Electric",
    "Energy", "Engineering", "Farms", "Financial", "Fitness", "Foods", "Freight", "Furniture",
    "Group", "Hardware", "Health", "Holdings", "Home", "Hospitality", "Industries", "Insurance",
    "Labs", "Landscaping", "Law", "Logistics", "Management", "Manufacturing", "Marine", "Media",
    "Medical", "Motors", "Networks", "Office", "Optical", "Outfitters", "Partners", "Pharmacy",
    "Plumbing", "Printing", "Properties", "Realty", "Recycling", "Restaurant", "Retail",
    "Roofing", "Security", "Services", "Software", "Solutions", "Storage", "Supply", "Systems",
    "Technologies", "Therapy", "Tools", "Trading", "Transport", "Travel", "Veterinary",
    "Ventures", "Wellness", "Wholesale", "Works"
)  # fmt: skip
_SUFFIXES = ("", "", "LLC", "Inc", "Co", "Ltd", "Group", "PLLC")
_MAILBOXES = ("billing", "ap", "accounts", "invoices", "office", "admin", "finance")
_FIRST = (
    "maria", "james", "linda", "robert", "wei", "priya", "carlos", "aisha", "david", "emily",
    "jorge", "megan"
)  # fmt: skip
_LAST = (
    "johnson", "garcia", "lee", "patel", "nguyen", "chen", "miller", "davis", "wilson", "clark",
    "young", "king"
)  # fmt: skip


@dataclass(frozen=True)
class Dataset:
    engine: Engine
    names: list[str]
    numbers: list[str]
    load_seconds: float


# Column order of the tuples below; the statements are built from these names.
ACCOUNT_COLUMNS = (
    "number", "name", "name_key", "primary_email", "email_key", "currency", "status",
    "created_at", "updated_at",
)  # fmt: skip
CONTACT_COLUMNS = (
    "account_id", "first_name", "last_name", "email", "email_key", "is_billing", "status",
    "created_at", "updated_at",
)  # fmt: skip


def _stored(engine: Engine, table: Table, column: str, value: Any) -> Any:
    """``value`` as the column type stores it, converted once instead of once per row."""
    processor = table.c[column].type.bind_processor(engine.dialect)
    return processor(value) if processor else value


def _insert_sql(table: Table, columns: tuple[str, ...]) -> str:
    return (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})"
    )


def _account_rows(
    start: int, stop: int, rng: random.Random, constants: dict[str, Any]
) -> list[tuple[Any, ...]]:
    rows = []
    for index in range(start, stop):
        name = f"{rng.choice(_WORDS_1)} {rng.choice(_WORDS_2)} {rng.choice(_SUFFIXES)}".strip()
        email = f"{rng.choice(_MAILBOXES)}@c{index}.example.com"
        rows.append(
            (
                f"ACC-{index:07d}",
                name,
                normalize_search_key(name),
                email,
                email,
                "USD",
                constants["account_status"],
                constants["now"],
                constants["now"],
            )
        )
    return rows


def _contact_rows(
    start: int, stop: int, rng: random.Random, constants: dict[str, Any]
) -> list[tuple[Any, ...]]:
    rows = []
    for index in range(start, stop):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        email = f"{first}.{last}@c{index}.example.com"
        rows.append(
            (
                index,
                first.title(),
                last.title(),
                email,
                email,
                constants["true"],
                constants["contact_status"],
                constants["now"],
                constants["now"],
            )
        )
    return rows


def _chunks(total: int) -> Iterator[tuple[int, int]]:
    for start in range(1, total + 1, CHUNK):
        yield start, min(start + CHUNK, total + 1)


def build_dataset(path: Path, rows: int, *, seed: int, index_build: str) -> Dataset:
    engine = make_engine(f"sqlite:///{path.as_posix()}")
    upgrade(engine)
    rng = random.Random(seed)
    account_table, contact_table = Account.__table__, Contact.__table__
    assert isinstance(account_table, Table) and isinstance(contact_table, Table)
    now = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    # Values go through the real column types once, so the rows are stored exactly as
    # the program stores them, without paying type processing a million times.
    constants = {
        "now": _stored(engine, account_table, "created_at", now),
        "account_status": _stored(engine, account_table, "status", AccountStatus.ACTIVE),
        "contact_status": _stored(engine, contact_table, "status", ContactStatus.ACTIVE),
        "true": _stored(engine, contact_table, "is_billing", True),
    }
    started = time.perf_counter()
    with engine.begin() as conn:
        # A throw-away database: durability during the load buys nothing.
        conn.exec_driver_sql("PRAGMA synchronous=OFF")
        if index_build == "after":
            for index in SEARCH_INDEXES:
                conn.exec_driver_sql(f"DROP INDEX {index}")
    with engine.begin() as conn:
        statement = _insert_sql(account_table, ACCOUNT_COLUMNS)
        for start, stop in _chunks(rows):
            conn.exec_driver_sql(statement, _account_rows(start, stop, rng, constants))
    with engine.begin() as conn:
        statement = _insert_sql(contact_table, CONTACT_COLUMNS)
        for start, stop in _chunks(rows):
            conn.exec_driver_sql(statement, _contact_rows(start, stop, rng, constants))
    if index_build == "after":
        with engine.begin() as conn:
            for index, target in SEARCH_INDEXES.items():
                conn.exec_driver_sql(f"CREATE INDEX {index} ON {target}")
    # No ANALYZE: desktops never run it, so the planner sees what it sees in the field.
    load_seconds = time.perf_counter() - started
    with engine.connect() as conn:
        names = list(conn.execute(text("SELECT name FROM account")).scalars())
        numbers = list(conn.execute(text("SELECT number FROM account")).scalars())
    return Dataset(engine, names, numbers, load_seconds)


def _median_ms(queries: list[str], search: Callable[[str], Any]) -> float:
    timings = []
    for query in queries:
        started = time.perf_counter()
        result = search(query)
        timings.append((time.perf_counter() - started) * 1000)
        if not result:
            raise AssertionError(f"search for {query!r} found nothing; the bench is broken")
    return statistics.median(timings)


COMMON_QUERIES = ("a", "s", "billing", "ap", "office@", "maria.", "acc")


def measure(dataset: Dataset, queries: int, seed: int) -> tuple[float, float, float]:
    rng = random.Random(seed)
    prefixes = [rng.choice(dataset.names)[: rng.randint(3, 5)] for _ in range(queries)]
    numbers = [rng.choice(dataset.numbers).lower() for _ in range(queries)]
    service = AccountQueries(make_session_factory(dataset.engine))

    def search(query: str) -> Any:
        return service.search(query, limit=SEARCH_LIMIT)

    for query in prefixes[:10] + numbers[:10]:  # warm the page cache and the pool
        search(query)
    common = [COMMON_QUERIES[i % len(COMMON_QUERIES)] for i in range(max(queries // 4, 7))]
    return _median_ms(prefixes, search), _median_ms(numbers, search), _median_ms(common, search)


def compare_index_build(workdir: Path, rows: int) -> None:
    for strategy in ("before", "after"):
        dataset = build_dataset(
            workdir / f"compare-{strategy}.sqlite3", rows, seed=1, index_build=strategy
        )
        dataset.engine.dispose()
        print(f"index build {strategy:>6} load: {rows} rows in {dataset.load_seconds:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--baseline-rows", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--index-build", choices=("before", "after"), default="after")
    parser.add_argument(
        "--compare-index-build",
        type=int,
        metavar="ROWS",
        default=0,
        help="first time loading ROWS rows with indexes built before vs after the load",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="w365desk-bench-") as workdir_name:
        workdir = Path(workdir_name)
        # Everything this run writes stays in the temporary directory.
        os.environ["W365DESK_DATA_DIR"] = str(workdir / "data")
        if args.compare_index_build:
            compare_index_build(workdir, args.compare_index_build)

        baseline = build_dataset(
            workdir / "baseline.sqlite3", args.baseline_rows, seed=2, index_build=args.index_build
        )
        base_prefix, base_number, base_common = measure(baseline, args.queries, seed=3)
        baseline.engine.dispose()
        print(
            f"baseline rows={args.baseline_rows} prefix_ms={base_prefix:.3f} "
            f"number_ms={base_number:.3f} common_prefix_ms={base_common:.3f}"
        )

        large = build_dataset(
            workdir / "large.sqlite3", args.rows, seed=4, index_build=args.index_build
        )
        print(
            f"loaded {args.rows} accounts + {args.rows} contacts in {large.load_seconds:.1f} s "
            f"(indexes built {args.index_build} the load)"
        )
        prefix_ms, number_ms, common_ms = measure(large, args.queries, seed=5)
        large.engine.dispose()
        print(f"rows={args.rows} common_prefix_ms={common_ms:.3f}")
        print(
            f"scaling {args.rows}/{args.baseline_rows} rows: prefix x{prefix_ms / base_prefix:.2f}"
            f", number x{number_ms / base_number:.2f}, common prefix x{common_ms / base_common:.2f}"
            " (1.00 = no slower on the larger database)"
        )
        print(f"RESULT rows={args.rows} prefix_ms={prefix_ms:.3f} number_ms={number_ms:.3f}")


if __name__ == "__main__":
    main()

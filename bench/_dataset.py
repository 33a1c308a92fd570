"""A large, realistic database for the benchmarks, loaded fast and stored exactly as the
program stores it.

Accounts (each with one billing contact, a phone number and a city) and, optionally, one
stored card each, in a database made by the real migrations. SQLite is loaded with plain
executemany in chunks inside one transaction per table, values converted once by the real
column types; the secondary indexes and the text index are built after the load (loading
300k rows took 9.1 s that way against 12.9 s with the b-tree indexes kept up row by row).
PostgreSQL is loaded through SQLAlchemy's batched inserts.

No ANALYZE: desktops never run it, so the planner sees what it sees in the field.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Table, insert, text

from w365desk.db.derived import payment_summary
from w365desk.db.migrate import upgrade
from w365desk.db.models import (
    Account,
    AccountStatus,
    Contact,
    ContactStatus,
    PaymentKind,
    PaymentProfile,
    ProfileSource,
    ProfileStatus,
)
from w365desk.db.search_index import (
    POSTGRESQL_DDL,
    POSTGRESQL_DROP,
    SQLITE_DDL,
    SQLITE_DROP,
    SQLITE_REBUILD,
    normalize_search_key,
    search_document,
)

CHUNK = 20_000
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)

# The b-tree indexes dropped for the load and built after it (SQLite).
SECONDARY_INDEXES = {
    "ix_account_name_key": "account (name_key)",
    "ix_account_email_key": "account (email_key)",
    "ix_account_city": "account (city)",
    "ix_account_phone": "account (phone)",
    "ix_account_status": "account (status)",
    "ix_account_billing_contact_name": "account (billing_contact_name)",
    "ix_account_default_payment_summary": "account (default_payment_summary)",
    "ix_contact_email_key": "contact (email_key)",
    "ix_contact_account_id": "contact (account_id)",
}

WORDS_1 = (
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
WORDS_2 = (
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
SUFFIXES = ("", "", "LLC", "Inc", "Co", "Ltd", "Group", "PLLC")
MAILBOXES = ("billing", "ap", "accounts", "invoices", "office", "admin", "finance")
FIRST = (
    "maria", "james", "linda", "robert", "wei", "priya", "carlos", "aisha", "david", "emily",
    "jorge", "megan"
)  # fmt: skip
LAST = (
    "johnson", "garcia", "lee", "patel", "nguyen", "chen", "miller", "davis", "wilson", "clark",
    "young", "king"
)  # fmt: skip
CITIES = ("Seattle", "Portland", "Boise", "Denver", "Austin", "Phoenix", "Madison", "Raleigh")
BRANDS = ("Visa", "MasterCard", "AmericanExpress", "Discover")


@dataclass(frozen=True)
class Dataset:
    engine: Engine
    rows: int
    names: list[str]
    numbers: list[str]
    phones: list[str]
    load_seconds: float


def phone_for(index: int) -> str:
    return f"+1 ({200 + index % 700:03d}) {index // 10_000 % 1000:03d}-{index % 10_000:04d}"


def _stored(engine: Engine, table: Table, column: str, value: Any) -> Any:
    """``value`` as the column type stores it, converted once instead of once per row."""
    processor = table.c[column].type.bind_processor(engine.dialect)
    return processor(value) if processor else value


def _chunks(total: int) -> Iterator[tuple[int, int]]:
    for start in range(1, total + 1, CHUNK):
        yield start, min(start + CHUNK, total + 1)


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _account_row(index: int, rng: random.Random, c: dict[str, Any], cards: bool) -> dict[str, Any]:
    name = f"{rng.choice(WORDS_1)} {rng.choice(WORDS_2)} {rng.choice(SUFFIXES)}".strip()
    email = f"{rng.choice(MAILBOXES)}@c{index}.example.com"
    first, last = rng.choice(FIRST).title(), rng.choice(LAST).title()
    phone = phone_for(index)
    number = f"ACC-{index:07d}"
    contact_email = f"{first.lower()}.{last.lower()}@c{index}.example.com"
    summary = ""
    if cards:
        summary = payment_summary(
            kind="card",
            brand=BRANDS[index % len(BRANDS)],
            last4=f"{index % 10_000:04d}",
            exp_month=index % 12 + 1,
            exp_year=2027 + index % 5,
        )
    return {
        "number": number,
        "name": name,
        "name_key": normalize_search_key(name),
        "primary_email": email,
        "email_key": email,
        "phone": phone,
        "city": rng.choice(CITIES),
        "currency": "USD",
        "status": c["account_status"],
        "created_at": c["now"],
        "updated_at": c["now"],
        "search_text": search_document(
            name=name,
            number=number,
            emails=[email, contact_email],
            phones=[phone],
            contact_names=[f"{first} {last}"],
        ),
        "billing_contact_name": f"{first} {last}",
        "default_payment_summary": summary,
        "_contact": (first, last, contact_email),
    }


def build_dataset(url: str, rows: int, *, seed: int, cards: bool = False) -> Dataset:
    """Migrate the (empty) database at ``url`` and load ``rows`` accounts into it."""
    from w365desk.db.engine import make_engine

    engine = make_engine(url)
    upgrade(engine)
    sqlite = engine.dialect.name == "sqlite"
    rng = random.Random(seed)
    accounts, contacts, profiles = _table(Account), _table(Contact), _table(PaymentProfile)
    constants = {
        "now": _stored(engine, accounts, "created_at", NOW),
        "account_status": _stored(engine, accounts, "status", AccountStatus.ACTIVE),
        "contact_status": _stored(engine, contacts, "status", ContactStatus.ACTIVE),
        "true": _stored(engine, contacts, "is_billing", True),
    }
    names: list[str] = []
    numbers: list[str] = []
    started = time.perf_counter()
    with engine.begin() as conn:
        if sqlite:
            # A throw-away database: durability during the load buys nothing.
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
            for statement in SQLITE_DROP:
                conn.exec_driver_sql(statement)
            for index in SECONDARY_INDEXES:
                conn.exec_driver_sql(f"DROP INDEX {index}")
        else:
            for statement in POSTGRESQL_DROP:
                conn.exec_driver_sql(statement)
    for start, stop in _chunks(rows):
        batch = [_account_row(i, rng, constants, cards) for i in range(start, stop)]
        names += [row["name"] for row in batch]
        numbers += [row["number"] for row in batch]
        contact_rows = [
            {
                "account_id": i,
                "first_name": row["_contact"][0],
                "last_name": row["_contact"][1],
                "email": row["_contact"][2],
                "email_key": row["_contact"][2],
                "is_billing": constants["true"] if sqlite else True,
                "status": constants["contact_status"],
                "created_at": constants["now"],
                "updated_at": constants["now"],
            }
            for i, row in zip(range(start, stop), batch, strict=True)
        ]
        for row in batch:
            del row["_contact"]
        profile_rows = []
        if cards:
            profile_rows = [
                {
                    "account_id": i,
                    "customer_profile_id": f"{900_000_000 + i}",
                    "payment_profile_id": f"{800_000_000 + i}",
                    "kind": _stored(engine, profiles, "kind", PaymentKind.CARD),
                    "brand": BRANDS[i % len(BRANDS)],
                    "last4": f"{i % 10_000:04d}",
                    "exp_month": i % 12 + 1,
                    "exp_year": 2027 + i % 5,
                    "status": _stored(engine, profiles, "status", ProfileStatus.ACTIVE),
                    "is_default": constants["true"] if sqlite else True,
                    "source": _stored(engine, profiles, "source", ProfileSource.DIRECT_ENTRY),
                    "created_by": "bench",
                    "created_at": constants["now"],
                    "updated_at": constants["now"],
                }
                for i in range(start, stop)
            ]
        with engine.begin() as conn:
            if sqlite:
                for table, data in (
                    (accounts, batch),
                    (contacts, contact_rows),
                    (profiles, profile_rows),
                ):
                    if data:
                        columns = list(data[0])
                        sql = (
                            f"INSERT INTO {table.name} ({', '.join(columns)}) "
                            f"VALUES ({', '.join('?' for _ in columns)})"
                        )
                        conn.exec_driver_sql(sql, [tuple(row[c] for c in columns) for row in data])
            else:
                conn.execute(insert(accounts), _typed(batch))
                conn.execute(insert(contacts), contact_rows)
                if profile_rows:
                    conn.execute(insert(profiles), _typed_profiles(profile_rows))
    with engine.begin() as conn:
        if sqlite:
            for index, target in SECONDARY_INDEXES.items():
                conn.exec_driver_sql(f"CREATE INDEX {index} ON {target}")
            for statement in SQLITE_DDL:
                conn.exec_driver_sql(statement)
            conn.exec_driver_sql(SQLITE_REBUILD)
        else:
            for statement in POSTGRESQL_DDL:
                conn.exec_driver_sql(statement)
    load_seconds = time.perf_counter() - started
    phones = [phone_for(i) for i in range(1, rows + 1)]
    return Dataset(engine, rows, names, numbers, phones, load_seconds)


def _typed(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in rows:
        row["status"] = AccountStatus.ACTIVE
        row["created_at"] = row["updated_at"] = NOW
    return rows


def _typed_profiles(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in rows:
        row.update(
            kind=PaymentKind.CARD,
            status=ProfileStatus.ACTIVE,
            source=ProfileSource.DIRECT_ENTRY,
            created_at=NOW,
            updated_at=NOW,
        )
    return rows


def fresh_postgres_url(server_url: str, name: str) -> tuple[str, Any]:
    """A new empty database ``name`` on the server ``server_url`` names, and a dropper."""
    from sqlalchemy.engine import make_url

    from w365desk.db.engine import make_engine

    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(server_url).set(database=name).render_as_string(hide_password=False), drop

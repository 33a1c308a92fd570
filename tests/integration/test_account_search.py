"""Account search: what it finds, what it treats literally, and that it uses the indexes."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from w365desk.clock import FrozenClock
from w365desk.services.account_inputs import AccountInput, ContactInput
from w365desk.services.account_search import (
    build_search_statement,
    normalize_search_key,
    prefix_upper_bound,
)
from w365desk.services.account_views import AccountSummary
from w365desk.services.accounts import AccountsService


@pytest.fixture
def service(session_factory: sessionmaker[Session]) -> AccountsService:
    return AccountsService(session_factory, FrozenClock(), "alice")


def _names(results: Sequence[AccountSummary]) -> list[str]:
    return [r.name for r in results]


def test_prefix_upper_bound() -> None:
    assert prefix_upper_bound("ab") == "ac"
    assert prefix_upper_bound("a\U0010ffff") == "b"
    assert prefix_upper_bound("\U0010ffff") is None
    assert prefix_upper_bound("a\ud7ff") == "a\ue000"  # skips the surrogate block
    assert prefix_upper_bound("") is None


def test_search_key_normalization() -> None:
    assert normalize_search_key("  ACME\t  Corp\n") == "acme corp"
    assert normalize_search_key("Straße") == "strasse"
    assert normalize_search_key("\uff21\uff23\uff2d\uff25") == "acme"  # full-width letters fold too


def test_name_prefix_is_case_insensitive_and_ordered_by_name(service: AccountsService) -> None:
    for name in ["acme rockets", "ACME Anvils", "Acme  Zeppelins", "Acmeville", "Bacme"]:
        service.create_account(AccountInput(name=name))
    assert _names(service.search("ACME")) == [
        "ACME Anvils",
        "acme rockets",
        "Acme Zeppelins",
        "Acmeville",
    ]
    assert _names(service.search("  acme   r")) == ["acme rockets"]
    assert service.search("cme") == []  # prefix, not substring


def test_exact_number_matches_and_comes_first(service: AccountsService) -> None:
    target = service.create_account(AccountInput(name="Zulu Ltd", number="ACME-7"))
    widgets = service.create_account(AccountInput(name="Acme-7 Widgets"))
    service.create_account(AccountInput(name="Other", number="ACME-77"))
    results = service.search("acme-7")
    assert _names(results) == ["Zulu Ltd", "Acme-7 Widgets"]  # ACME-77 is not an exact match
    assert results[0].number == target.number
    assert [r.id for r in service.search(widgets.number.lower())] == [widgets.id]


def test_email_prefix_through_account_or_any_contact(service: AccountsService) -> None:
    direct = service.create_account(
        AccountInput(name="Direct Co", primary_email="Payables@Direct.example.com")
    )
    via_contact = service.create_account(
        AccountInput(name="Via Contact Co"),
        contacts=[
            ContactInput("Pat", "Kim", email="pat.kim@viacontact.test"),
            ContactInput("Payton", "Ng", email="PAYTON@viacontact.test"),
        ],
    )
    service.create_account(AccountInput(name="Unrelated", primary_email="ap@else.example.com"))
    assert [r.id for r in service.search("PAY")] == [direct.id, via_contact.id]
    assert [r.id for r in service.search("pat.kim@via")] == [via_contact.id]
    assert [r.id for r in service.search("payables@direct.example.com")] == [direct.id]


def test_inactive_accounts_are_excluded_unless_asked_for(service: AccountsService) -> None:
    active = service.create_account(AccountInput(name="Globex East", primary_email="e@g.test"))
    gone = service.create_account(
        AccountInput(name="Globex West"), contacts=[ContactInput("Hank", email="hank@g.test")]
    )
    service.deactivate_account(gone.id)
    assert [r.id for r in service.search("globex")] == [active.id]
    assert [r.id for r in service.search(gone.number)] == []
    assert [r.id for r in service.search("hank@")] == []
    assert [r.id for r in service.search("globex", include_inactive=True)] == [active.id, gone.id]
    assert [r.id for r in service.search("hank@", include_inactive=True)] == [gone.id]
    assert service.search("globex", include_inactive=True)[1].is_active is False


def test_limit_keeps_the_first_by_name(service: AccountsService) -> None:
    for index in reversed(range(12)):
        service.create_account(
            AccountInput(name=f"Initech {index:02d}", primary_email=f"initech{index}@x.test")
        )
    results = service.search("initech", limit=5)
    assert _names(results) == [f"Initech {i:02d}" for i in range(5)]
    assert len(service.search("initech")) == 12
    with pytest.raises(ValueError, match="limit"):
        service.search("initech", limit=0)


def test_special_characters_are_literal(service: AccountsService) -> None:
    for name in [
        "100% Pure Juice",
        "1000 Widgets",
        "Under_score Ltd",
        "Underwood Ltd",
        "O'Brien & Sons",
        "OBrien Hardware",
        'Quote "Co"',
    ]:
        service.create_account(AccountInput(name=name))
    assert _names(service.search("100%")) == ["100% Pure Juice"]
    assert service.search("%") == []
    assert service.search("_") == []
    assert _names(service.search("under_")) == ["Under_score Ltd"]
    assert _names(service.search("o'b")) == ["O'Brien & Sons"]
    assert _names(service.search("o'brien & s")) == ["O'Brien & Sons"]
    assert _names(service.search('quote "')) == ['Quote "Co"']
    assert service.search("'; DROP TABLE account; --") == []
    # A NUL pasted into the search box is dropped (PostgreSQL could not even compare it).
    assert _names(service.search("100\x00%")) == ["100% Pure Juice"]
    assert len(service.search("\x00")) == 7
    assert len(service.list_accounts()) == 7


def test_unicode_names(service: AccountsService) -> None:
    for name in ["Überlingen GmbH", "Straße Partners", "東京商事", "Ærø Shipping", "Zoë Café"]:
        service.create_account(AccountInput(name=name))
    assert _names(service.search("über")) == ["Überlingen GmbH"]
    assert _names(service.search("ÜBERL")) == ["Überlingen GmbH"]
    assert _names(service.search("STRASSE")) == ["Straße Partners"]
    assert _names(service.search("東京")) == ["東京商事"]
    assert _names(service.search("æRØ")) == ["Ærø Shipping"]
    assert _names(service.search("zoë c")) == ["Zoë Café"]


def test_blank_query_lists_accounts_by_name(service: AccountsService) -> None:
    for name in ["b", "a", "c"]:
        service.create_account(AccountInput(name=name))
    assert _names(service.search("   ", limit=2)) == ["a", "b"]


def _seed_for_plans(service: AccountsService) -> None:
    # Enough rows that the planner's choice is the one real data would get.
    for index in range(30):
        service.create_account(
            AccountInput(name=f"Company {index}", primary_email=f"ap{index}@c.test"),
            contacts=[ContactInput("C", email=f"c{index}@c.test")],
        )


def _search_sql(engine: Engine, include_inactive: bool) -> str:
    statement = build_search_statement("comp", limit=50, include_inactive=include_inactive)
    return str(statement.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))


@pytest.mark.parametrize("include_inactive", [False, True])
def test_every_branch_uses_an_index(
    engine: Engine, service: AccountsService, include_inactive: bool
) -> None:
    _seed_for_plans(service)
    sql = _search_sql(engine, include_inactive)
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("ANALYZE"))
            plan = [row[3] for row in conn.execute(text(f"EXPLAIN QUERY PLAN {sql}"))]
            number_index = r"sqlite_autoindex_account_\d"
            full_scan = r"SCAN (account|contact)\b"
        else:
            # With sequential scans priced out, a range the index cannot serve (say, a
            # collation mismatch) would still show up as a Seq Scan.
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            plan = [row[0] for row in conn.execute(text(f"EXPLAIN {sql}"))]
            number_index = r"uq_account_number"
            full_scan = r".*Seq Scan on (account|contact)\b"
    plan_text = "\n".join(plan)
    assert [line for line in plan if re.match(full_scan, line.strip())] == [], plan_text
    for index in ("ix_account_name_key", "ix_account_email_key", "ix_contact_email_key"):
        assert re.search(rf"\b{index}\b", plan_text), plan_text
    assert re.search(number_index, plan_text), plan_text


def test_search_keys_compare_bytewise_on_postgresql(engine: Engine) -> None:
    """The prefix range is only exact under byte-wise ordering (collation "C").

    A linguistic collation ignores punctuation at first, so "obrien" would fall between
    "o'b" and "o'c"; the database's default collation cannot be relied on for this.
    """
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite compares text byte-wise (BINARY) unless told otherwise")
    with engine.connect() as conn:
        collations = conn.execute(
            text(
                "SELECT table_name, column_name, collation_name "
                "FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND column_name IN ('name_key', 'email_key') ORDER BY table_name, column_name"
            )
        ).all()
    assert [tuple(row) for row in collations] == [
        ("account", "email_key", "C"),
        ("account", "name_key", "C"),
        ("contact", "email_key", "C"),
    ]

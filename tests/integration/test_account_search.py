"""Account search: what it finds, what it treats literally, and that it uses the indexes."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

import pytest
from sqlalchemy import Engine, select, text

from w365desk.db.models import Account
from w365desk.services.accounts.inputs import AccountInput, ContactInput
from w365desk.services.accounts.search import (
    matching_condition,
    normalize_search_key,
    parse_search,
    prefix_upper_bound,
)
from w365desk.services.accounts.views import AccountSummary
from w365desk.services.actors import Actor
from w365desk.services.bundle import Services

STAFF = Actor.staff("alice")


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


def test_name_prefix_is_case_insensitive_and_ordered_by_name(services: Services) -> None:
    for name in ["acme rockets", "ACME Anvils", "Acme  Zeppelins", "Acmeville", "Bacme"]:
        services.accounts.create_account(AccountInput(name=name), actor=STAFF)
    assert _names(services.account_queries.search("ACME")) == [
        "ACME Anvils",
        "acme rockets",
        "Acme Zeppelins",
        "Acmeville",
        "Bacme",
    ]
    assert _names(services.account_queries.search("acmev")) == ["Acmeville"]
    assert _names(services.account_queries.search("  acme   r")) == ["acme rockets"]
    # Any part of a word finds it, not only the start.
    assert _names(services.account_queries.search("cme")) == [
        "ACME Anvils",
        "acme rockets",
        "Acme Zeppelins",
        "Acmeville",
        "Bacme",
    ]
    assert _names(services.account_queries.search("ville")) == ["Acmeville"]


def test_any_part_of_a_name_number_email_phone_or_contact_finds_the_account(
    services: Services,
) -> None:
    holdings = services.accounts.create_account(
        AccountInput(
            name="Contoso Holdings Inc.",
            number="CH-2041",
            primary_email="ap@contoso.example",
            phone="+1 (206) 555-0142",
        ),
        contacts=[
            ContactInput("Dana", "Whitfield", email="dana.w@contoso.example", phone="425.555.0199")
        ],
        actor=STAFF,
    )
    other = services.accounts.create_account(
        AccountInput(name="Fabrikam Inc", phone="206-555-0100"), actor=STAFF
    )
    find = services.account_queries.search

    assert [r.id for r in find("inc")] == [holdings.id, other.id]
    assert [r.id for r in find("holdings")] == [holdings.id]
    assert [r.id for r in find("OLDIN")] == [holdings.id]
    assert [r.id for r in find("2041")] == [holdings.id]  # part of the number
    assert [r.id for r in find("contoso.example")] == [holdings.id]
    assert [r.id for r in find("whitfield")] == [holdings.id]  # a contact's name
    assert [r.id for r in find("dana whit")] == [holdings.id]  # every word must match
    assert find("dana fabrikam") == []
    # A phone number by its digits, whatever the punctuation, in either direction.
    assert [r.id for r in find("2065550142")] == [holdings.id]
    assert [r.id for r in find("(206) 555-0142")] == [holdings.id]
    assert [r.id for r in find("555-0199")] == [holdings.id]  # the contact's phone
    assert [r.id for r in find("206.555.01")] == [holdings.id, other.id]
    assert [r.id for r in find("5550100")] == [other.id]


def test_search_follows_every_change_in_the_same_transaction(services: Services) -> None:
    account = services.accounts.create_account(AccountInput(name="Northwind"), actor=STAFF)
    find = services.account_queries.search
    assert find("tailwind") == []
    services.accounts.update_account(account.id, AccountInput(name="Tailwind Traders"), actor=STAFF)
    assert [r.name for r in find("tailwind")] == ["Tailwind Traders"]
    assert find("northwind") == []
    contact = services.contacts.add_contact(
        account.id, ContactInput("Mira", "Okafor", phone="503 555 0111"), actor=STAFF
    )
    assert [r.id for r in find("okafor")] == [account.id]
    assert [r.id for r in find("5035550111")] == [account.id]
    services.contacts.update_contact(contact.id, ContactInput("Mira", "Hale"), actor=STAFF)
    assert [r.id for r in find("hale")] == [account.id]
    # A former name of a contact is gone; a former contact still finds the account.
    assert find("okafor") == []
    services.contacts.deactivate_contact(contact.id, actor=STAFF)
    assert [r.id for r in find("mira hale")] == [account.id]


def test_exact_number_matches_and_comes_first(services: Services) -> None:
    target = services.accounts.create_account(
        AccountInput(name="Zulu Ltd", number="ACME-7"), actor=STAFF
    )
    widgets = services.accounts.create_account(AccountInput(name="Acme-7 Widgets"), actor=STAFF)
    services.accounts.create_account(AccountInput(name="Other", number="ACME-77"), actor=STAFF)
    results = services.account_queries.search("acme-7")
    # The exact number first; then everything containing the text ("ACME-77" too) by name.
    assert _names(results) == ["Zulu Ltd", "Acme-7 Widgets", "Other"]
    assert results[0].number == target.number
    assert [r.id for r in services.account_queries.search(widgets.number.lower())] == [widgets.id]


def test_email_prefix_through_account_or_any_contact(services: Services) -> None:
    direct = services.accounts.create_account(
        AccountInput(name="Direct Co", primary_email="Payables@Direct.example.com"), actor=STAFF
    )
    via_contact = services.accounts.create_account(
        AccountInput(name="Via Contact Co"),
        contacts=[
            ContactInput("Pat", "Kim", email="pat.kim@viacontact.test"),
            ContactInput("Payton", "Ng", email="PAYTON@viacontact.test"),
        ],
        actor=STAFF,
    )
    services.accounts.create_account(
        AccountInput(name="Unrelated", primary_email="ap@else.example.com"), actor=STAFF
    )
    assert [r.id for r in services.account_queries.search("PAY")] == [direct.id, via_contact.id]
    assert [r.id for r in services.account_queries.search("pat.kim@via")] == [via_contact.id]
    assert [r.id for r in services.account_queries.search("payables@direct.example.com")] == [
        direct.id
    ]


def test_inactive_accounts_are_excluded_unless_asked_for(services: Services) -> None:
    active = services.accounts.create_account(
        AccountInput(name="Globex East", primary_email="e@g.test"), actor=STAFF
    )
    gone = services.accounts.create_account(
        AccountInput(name="Globex West"),
        contacts=[ContactInput("Hank", email="hank@g.test")],
        actor=STAFF,
    )
    services.accounts.deactivate_account(gone.id, actor=STAFF)
    assert [r.id for r in services.account_queries.search("globex")] == [active.id]
    assert [r.id for r in services.account_queries.search(gone.number)] == []
    assert [r.id for r in services.account_queries.search("hank@")] == []
    assert [r.id for r in services.account_queries.search("globex", include_inactive=True)] == [
        active.id,
        gone.id,
    ]
    assert [r.id for r in services.account_queries.search("hank@", include_inactive=True)] == [
        gone.id
    ]
    assert services.account_queries.search("globex", include_inactive=True)[1].is_active is False


def test_limit_keeps_the_first_by_name(services: Services) -> None:
    for index in reversed(range(12)):
        services.accounts.create_account(
            AccountInput(name=f"Initech {index:02d}", primary_email=f"initech{index}@x.test"),
            actor=STAFF,
        )
    results = services.account_queries.search("initech", limit=5)
    assert _names(results) == [f"Initech {i:02d}" for i in range(5)]
    assert len(services.account_queries.search("initech")) == 12
    with pytest.raises(ValueError, match="limit"):
        services.account_queries.search("initech", limit=0)


def test_special_characters_are_literal(services: Services) -> None:
    for name in [
        "100% Pure Juice",
        "1000 Widgets",
        "Under_score Ltd",
        "Underwood Ltd",
        "O'Brien & Sons",
        "OBrien Hardware",
        'Quote "Co"',
    ]:
        services.accounts.create_account(AccountInput(name=name), actor=STAFF)
    assert _names(services.account_queries.search("100%")) == ["100% Pure Juice"]
    assert services.account_queries.search("%") == []
    assert services.account_queries.search("_") == []
    assert _names(services.account_queries.search("under_")) == ["Under_score Ltd"]
    assert _names(services.account_queries.search("o'b")) == ["O'Brien & Sons"]
    assert _names(services.account_queries.search("o'brien & s")) == ["O'Brien & Sons"]
    assert _names(services.account_queries.search('quote "')) == ['Quote "Co"']
    assert services.account_queries.search("'; DROP TABLE account; --") == []
    # A NUL pasted into the search box is dropped (PostgreSQL could not even compare it).
    assert _names(services.account_queries.search("100\x00%")) == ["100% Pure Juice"]
    assert len(services.account_queries.search("\x00")) == 7
    assert len(services.account_queries.list_accounts()) == 7


def test_unicode_names(services: Services) -> None:
    for name in ["Überlingen GmbH", "Straße Partners", "東京商事", "Ærø Shipping", "Zoë Café"]:
        services.accounts.create_account(AccountInput(name=name), actor=STAFF)
    assert _names(services.account_queries.search("über")) == ["Überlingen GmbH"]
    assert _names(services.account_queries.search("ÜBERL")) == ["Überlingen GmbH"]
    assert _names(services.account_queries.search("STRASSE")) == ["Straße Partners"]
    assert _names(services.account_queries.search("東京")) == ["東京商事"]
    assert _names(services.account_queries.search("æRØ")) == ["Ærø Shipping"]
    assert _names(services.account_queries.search("zoë c")) == ["Zoë Café"]


def test_blank_query_lists_accounts_by_name(services: Services) -> None:
    for name in ["b", "a", "c"]:
        services.accounts.create_account(AccountInput(name=name), actor=STAFF)
    assert _names(services.account_queries.search("   ", limit=2)) == ["a", "b"]


def _seed_for_plans(services: Services) -> None:
    # Enough rows (imported in bulk) that the planner's choice is the one real data gets.
    rows = "".join(
        f"Company {index},ap{index}@c.test,+1 206 555 {index:04d},C{index},c{index}@c.test\n"
        for index in range(3000)
    )
    report = services.importer.import_accounts_csv(
        io.StringIO("account_name,email,phone,contact_first_name,contact_email\n" + rows),
        actor=STAFF,
    )
    assert report.ok, report.problems


def _plan(engine: Engine, query: str) -> list[str]:
    terms = parse_search(query)
    statement = select(Account.id).where(matching_condition(engine.dialect.name, terms))
    compiled = statement.compile(dialect=engine.dialect)
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text("ANALYZE"))
            values = tuple(compiled.params[name] for name in compiled.positiontup or ())
            explain = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", values)
            return [row[3] for row in explain]
        # With sequential scans priced out, a condition the index cannot serve would
        # still show up as a Seq Scan.
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        sql = str(statement.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
        return [row[0] for row in conn.execute(text(f"EXPLAIN {sql}"))]


def _full_scans(engine: Engine, plan: list[str]) -> list[str]:
    pattern = r"SCAN (account|contact)\b" if engine.dialect.name == "sqlite" else r".*Seq Scan"
    return [line for line in plan if re.match(pattern, line.strip())]


def test_a_fragment_is_looked_up_in_the_text_index(engine: Engine, services: Services) -> None:
    _seed_for_plans(services)
    for query in ("ompan", "c3@c.te", "555-0100", "company 2"):
        plan = _plan(engine, query)
        assert _full_scans(engine, plan) == [], "\n".join(plan)
        index = "account_search" if engine.dialect.name == "sqlite" else "ix_account_search_trgm"
        assert any(index in line for line in plan), "\n".join(plan)


def test_a_query_too_short_for_the_text_index_uses_the_key_indexes(
    engine: Engine, services: Services
) -> None:
    _seed_for_plans(services)
    plan = _plan(engine, "co")
    plan_text = "\n".join(plan)
    assert _full_scans(engine, plan) == [], plan_text
    for index in ("ix_account_name_key", "ix_account_email_key", "ix_contact_email_key"):
        assert re.search(rf"\b{index}\b", plan_text), plan_text


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

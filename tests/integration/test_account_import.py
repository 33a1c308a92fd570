"""CSV import on a real database: the happy path, every kind of problem, all or nothing."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from w365desk.clock import FrozenClock
from w365desk.db.models import Account, AuditEvent, Contact
from w365desk.services.accounts.importing import (
    EXAMPLE_CSV,
    AccountImporter,
    ImportReport,
    OnExisting,
)
from w365desk.services.accounts.inputs import AccountInput, ContactInput
from w365desk.services.actors import Actor
from w365desk.services.bundle import Services

HEADER = (
    "account_number,account_name,email,phone,currency,address_line1,address_line2,city,"
    "state,postal_code,country,contact_first_name,contact_last_name,contact_email,"
    "contact_phone,contact_role,contact_is_billing"
)


IMPORTER = Actor.staff("importer")


@pytest.fixture
def importer(services: Services) -> AccountImporter:
    return services.importer


def _counts(session_factory: sessionmaker[Session]) -> tuple[int, int, int]:
    with session_factory() as session:
        accounts, contacts, events = (
            int(session.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Account, Contact, AuditEvent)
        )
        return accounts, contacts, events


def _problems(report: ImportReport) -> list[tuple[int | None, str]]:
    return [(problem.line, problem.message) for problem in report.problems]


def test_happy_path_with_multi_contact_accounts_bom_and_quoting(
    importer: AccountImporter,
    services: Services,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    # Header in Excel's spelling; CRLF line endings; a quoted multi-line address and a
    # doubled quote; the second and third rows add contacts to the first account.
    text = (
        "Account Number, Account Name ,EMAIL,Phone,Currency,Address Line1,Address Line2,"
        "City,State,Postal Code,Country,Contact First Name,Contact Last Name,Contact Email,"
        "Contact Phone,Contact Role,Contact Is Billing\r\n"
        'nw-1,"Northwind ""East"" Traders",ap@northwind.example.com,+1 206 555 0100,usd,'
        '"1 Pike St","Suite 9\r\nBuilding B",Seattle,WA,98101,US,Nancy,Davolio,'
        "nancy@northwind.example.com,,AP Manager,Yes\r\n"
        "NW-1,,,,,,,,,,,Andrew,Fuller,andrew@northwind.example.com,,CFO,no\r\n"
        'NW-1,"Northwind ""East"" Traders",,,,,,,,,,Janet,Leverling,,,,\r\n'
        ",Contoso Ltd,,,,,,Austin,TX,,,,,,,,\r\n"
        ",,,,,,,,,,,,,,,,\r\n"
        "\r\n"
        "CN-2,Contoso West,,,,,,,,,,Kim,Abercrombie,kim@contoso.test,,,x\r\n"
    )
    path = tmp_path / "accounts.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))

    report = importer.import_accounts_csv(path, actor=IMPORTER)

    assert report.ok, _problems(report)
    assert (report.rows_read, report.accounts_created, report.contacts_created) == (5, 3, 4)
    northwind = services.account_queries.get_account_by_number("NW-1")
    assert northwind.name == 'Northwind "East" Traders'
    assert northwind.currency == "USD"
    assert northwind.address_line2 == "Suite 9 Building B"
    assert [c.full_name for c in northwind.contacts] == [
        "Nancy Davolio",
        "Andrew Fuller",
        "Janet Leverling",
    ]
    assert northwind.billing_contact is not None
    assert northwind.billing_contact.first_name == "Nancy"
    assert northwind.contacts[0].role == "AP Manager"
    west = services.account_queries.get_account_by_number("cn-2")
    assert west.billing_contact is not None and west.billing_contact.first_name == "Kim"

    # Search keys are filled like for accounts made by hand.
    assert [a.number for a in services.account_queries.search("northwind")] == ["NW-1"]
    assert [a.number for a in services.account_queries.search("andrew@north")] == ["NW-1"]
    contoso = [a for a in services.account_queries.search("contoso") if a.number not in {"CN-2"}]
    assert len(contoso) == 1 and contoso[0].number.startswith("ACC-")

    with session_factory() as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["account.import"] + ["account.create"] * 3
    assert {e.actor for e in events} == {"importer"}
    summary = json.loads(events[0].details or "")
    assert summary["file"] == "accounts.csv"
    assert (summary["accounts"], summary["contacts"]) == (3, 4)
    assert len(summary["sha256"]) == 64
    per_account = {
        json.loads(e.details or "")["number"]: json.loads(e.details or "") for e in events[1:]
    }
    assert per_account["NW-1"]["line"] == 2
    assert per_account["CN-2"]["line"] == 9
    assert len(per_account["NW-1"]["contacts"]) == 3


def _columns(row: Account | Contact) -> dict[str, object]:
    """A row's stored values, without what differs by nature (ids, number, times)."""
    own = {"id", "number", "account_id", "created_at", "updated_at"}
    mapper = inspect(row).mapper
    values = {a.key: getattr(row, a.key) for a in mapper.column_attrs if a.key not in own}
    if isinstance(row, Account):  # the search document holds the number too
        values["search_text"] = row.search_text.replace(row.number.casefold(), "<number>")
    return values


def _stored_columns(
    session_factory: sessionmaker[Session], number: str
) -> tuple[dict[str, object], list[dict[str, object]]]:
    """An account's row and its contacts' rows, compared column by column."""
    with session_factory() as session:
        account = session.scalars(select(Account).where(Account.number == number)).one()
        contacts = session.scalars(
            select(Contact).where(Contact.account_id == account.id).order_by(Contact.id)
        ).all()
        return _columns(account), [_columns(contact) for contact in contacts]


def test_imported_rows_hold_exactly_what_the_service_stores(
    importer: AccountImporter, services: Services, session_factory: sessionmaker[Session]
) -> None:
    report = importer.import_accounts_csv(
        io.StringIO(
            "account_number,account_name,email,city,contact_first_name,contact_last_name,"
            "contact_email,contact_is_billing\n"
            "IMP-1,  Ærø   Fjord Café ,AP@Ærø.Example.COM,Ærøskøbing,Ann,Lee,,yes\n"
            "IMP-1,,,,Bob,Ray,Bob.Ray@Example.COM,\n"
            "IMP-2,No Email Ltd,,,Cy,,,\n"
        ),
        actor=IMPORTER,
    )
    assert report.ok, _problems(report)
    services.accounts.create_account(
        AccountInput(
            name="  Ærø   Fjord Café ",
            number="SVC-1",
            primary_email="AP@Ærø.Example.COM",
            city="Ærøskøbing",
        ),
        contacts=[
            ContactInput("Ann", "Lee", is_billing=True),
            ContactInput("Bob", "Ray", email="Bob.Ray@Example.COM"),
        ],
        actor=IMPORTER,
        allow_duplicates=True,  # the same customer twice, on purpose
    )
    services.accounts.create_account(
        AccountInput(name="No Email Ltd", number="SVC-2"),
        contacts=[ContactInput("Cy")],
        actor=IMPORTER,
        allow_duplicates=True,
    )

    for imported, typed in (("IMP-1", "SVC-1"), ("IMP-2", "SVC-2")):
        assert _stored_columns(session_factory, imported) == _stored_columns(session_factory, typed)
    account, contacts = _stored_columns(session_factory, "IMP-2")
    # A missing email has no search key at all, never an empty one.
    assert account["email_key"] is None and contacts[0]["email_key"] is None
    account, contacts = _stored_columns(session_factory, "IMP-1")
    assert account["name_key"] == "ærø fjord café"
    assert account["email_key"] == "ap@ærø.example.com"
    assert [c["email_key"] for c in contacts] == [None, "bob.ray@example.com"]


def test_text_stream_with_bom_and_only_the_required_column(
    importer: AccountImporter, services: Services
) -> None:
    report = importer.import_accounts_csv(
        io.StringIO("\ufeffaccount_name\nSolo\nDuo\n"), actor=IMPORTER
    )
    assert report.ok and report.accounts_created == 2
    assert [a.name for a in services.account_queries.list_accounts()] == ["Duo", "Solo"]


def test_allocated_numbers_never_collide_with_numbers_in_the_file(
    importer: AccountImporter, services: Services
) -> None:
    report = importer.import_accounts_csv(
        io.StringIO("account_number,account_name\n,First\nACC-000001,Typed\n,Second\n"),
        actor=IMPORTER,
    )
    assert report.ok, _problems(report)
    numbers = {a.name: a.number for a in services.account_queries.list_accounts()}
    assert numbers["Typed"] == "ACC-000001"
    assert len(set(numbers.values())) == 3


def test_line_numbers_count_physical_lines_across_quoted_newlines(
    importer: AccountImporter, session_factory: sessionmaker[Session]
) -> None:
    text = (
        "account_number,account_name,address_line1,email\n"  # line 1
        'A-1,Alpha,"line one\nline two\nline three",ap@alpha.test\n'  # lines 2-4
        "A-2,Beta,,not-an-email\n"  # line 5
        'A-3,"Gamma\nCorp",,\n'  # lines 6-7
        "A-4,,,\n"  # line 8
    )
    report = importer.import_accounts_csv(io.StringIO(text), actor=IMPORTER)
    assert _problems(report) == [
        (5, "Email address must contain exactly one '@', like name@example.com."),
        (8, "Account name is required on the first row of account A-4."),
    ]
    assert [p.column for p in report.problems] == ["email", "account_name"]
    assert str(report.problems[0]).startswith("Line 5: Email address")
    assert _counts(session_factory) == (0, 0, 0)


def test_every_problem_is_reported_with_its_line(
    importer: AccountImporter, services: Services, session_factory: sessionmaker[Session]
) -> None:
    services.accounts.create_account(AccountInput(name="Existing", number="OLD-1"), actor=IMPORTER)
    before = _counts(session_factory)
    rows = [
        HEADER,  # 1
        "OLD-1,Existing Again,,,,,,,,,,,,,,,",  # 2 a stored number: a match, not a problem
        ",,,,,,,,,,,Orphan,Contact,,,,",  # 3 no account
        "B-1,Beta,ap@beta,,,,,,,,,,,,,,",  # 4 bad account email
        "B-1,Beta Renamed,,,,,,,,,,,,,,,",  # 5 conflicting account data
        "C-1,Gamma,,,dollars,,,,,,,,,,,,",  # 6 bad currency
        "D-1,Delta,,,,,,,,,,,,,,,maybe",  # 7 bad billing flag
        "D-1,,,,,,,,,,,,,,,,yes",  # 8 billing without contact
        "E-1,Epsilon,,,,,,,,,,Ann,Lee,ann@e.test,,,yes",  # 9
        "E-1,,,,,,,,,,,Bob,Ray,ann@E.test,,,no",  # 10 duplicate contact email
        "E-1,,,,,,,,,,,Cat,Poe,cat@e.test,,,yes",  # 11 second billing contact
        "F-1,Foxtrot,,,,,,,,,,,,bad@,,,",  # 12 contact email without a name
        "G-1,Golf,,,",  # 13 too few values
        "H-1,Hotel,,,,4111 1111 1111 1111,,,,,,,,,,,",  # 14 card number in an address
        'I-1,"India" Ltd,,,,,,,,,,,,,,,',  # 15 stray quote
        "J 1,Juliet,,,,,,,,,,,,,,,",  # 16 bad number
    ]
    report = importer.import_accounts_csv(io.StringIO("\n".join(rows) + "\n"), actor=IMPORTER)
    assert _problems(report) == [
        (
            3,
            "Account name is required. To add a contact to an account above, repeat its "
            "account_number.",
        ),
        (4, "Email domain 'beta' needs a dot, like example.com."),
        (
            5,
            "Conflicting account data for B-1: account_name is 'Beta Renamed' here but 'Beta' "
            "on line 4. Leave it blank or repeat it exactly on later rows of the same account.",
        ),
        (6, "Currency must be a 3-letter ISO code such as USD."),
        (7, "contact_is_billing must be yes or no (or true/false, 1/0); got 'maybe'."),
        (8, "contact_is_billing is set but the row has no contact."),
        (10, "Contact email 'ann@E.test' is already listed for account E-1 on line 9."),
        (
            11,
            "Account E-1 already has a billing contact on line 9; an account has one billing "
            "contact.",
        ),
        (12, "Contact needs a first or last name."),
        (12, "Email address needs a domain after the '@', like example.com."),
        (
            13,
            "This row has 5 values but the header has 17 columns. Check for a missing or "
            "extra comma, or an unquoted comma.",
        ),
        (
            14,
            "Address line 1 looks like a payment card number. Card numbers are never stored "
            "in account records; add a payment method instead.",
        ),
        (
            15,
            "A quoted value must be followed by a comma or the end of the line; a quote "
            'inside a value is written twice ("").',
        ),
        (
            16,
            "Account number may only contain letters, digits and . _ / - and must start "
            "with a letter or digit.",
        ),
    ]
    assert report.problems[0].column == "account_name"
    assert report.problems[-1].column == "account_number"
    assert all("4111" not in str(problem) for problem in report.problems)
    assert (report.accounts_created, report.contacts_created) == (0, 0)
    assert _counts(session_factory) == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", [(1, "The file is empty; the first line must be the header row.")]),
        ("account_name\n", [(None, "The file has a header but no rows to import.")]),
        (
            "account_name,city,colour\nA,B,C\n",
            [
                (
                    1,
                    "Unknown column 'colour' (column 3). Known columns: account_number, "
                    "account_name, email, phone, currency, address_line1, address_line2, city, "
                    "state, postal_code, country, contact_first_name, contact_last_name, "
                    "contact_email, contact_phone, contact_role, contact_is_billing.",
                )
            ],
        ),
        (
            "Account Name,account_name\nA,A\n",
            [(1, "Column account_name appears twice (columns 1 and 2).")],
        ),
        ("city,state\nX,Y\n", [(1, "The header has no account_name column; it is required.")]),
        (
            'account_name,city\nA,B\n"Unclosed,Town\nC,D\n',
            [(3, "A quoted value that starts on this line is never closed with '\"'.")],
        ),
        (
            "account_name,,\nA,,\nB,,x\n",
            [(3, "Column 3 has a value but no name in the header row.")],
        ),
    ],
)
def test_file_level_problems(
    importer: AccountImporter,
    session_factory: sessionmaker[Session],
    text: str,
    expected: list[tuple[int | None, str]],
) -> None:
    report = importer.import_accounts_csv(io.StringIO(text), actor=IMPORTER)
    assert _problems(report) == expected
    assert _counts(session_factory) == (0, 0, 0)


def test_a_file_that_is_not_utf8_is_named_with_its_line(
    importer: AccountImporter, tmp_path: Path
) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("account_name\nAcme\nCaf\xe9 Corp\n".encode("latin-1"))
    report = importer.import_accounts_csv(path, actor=IMPORTER)
    assert _problems(report) == [
        (
            3,
            "The file is not UTF-8 text (byte 0xE9 cannot be read). In Excel, save it as "
            '"CSV UTF-8 (Comma delimited)".',
        )
    ]


def test_binary_streams_and_missing_files(importer: AccountImporter, tmp_path: Path) -> None:
    report = importer.import_accounts_csv(
        io.BytesIO(b"\xef\xbb\xbfaccount_name\nBytes Co\n"), actor=IMPORTER
    )
    assert report.ok and report.accounts_created == 1
    bad = importer.import_accounts_csv(io.BytesIO(b"account_name\n\xff\n"), actor=IMPORTER)
    assert [p.line for p in bad.problems] == [2]
    missing = importer.import_accounts_csv(tmp_path / "nowhere.csv", actor=IMPORTER)
    assert _problems(missing) == [
        (None, "The file nowhere.csv could not be read (No such file or directory).")
    ]


def test_a_bad_last_row_leaves_nothing_half_imported(
    importer: AccountImporter, session_factory: sessionmaker[Session]
) -> None:
    good_rows = [f"N-{i},Company {i},,,,,,,,,,First,Last,p{i}@c.test,,,yes" for i in range(300)]
    text = "\n".join([HEADER, *good_rows, "N-999,Broken,not-an-email,,,,,,,,,,,,,,"]) + "\n"
    report = importer.import_accounts_csv(io.StringIO(text), actor=IMPORTER)
    assert _problems(report) == [
        (302, "Email address must contain exactly one '@', like name@example.com.")
    ]
    assert report.rows_read == 301
    assert _counts(session_factory) == (0, 0, 0)

    # The same file without the broken row goes in completely.
    fixed = importer.import_accounts_csv(
        io.StringIO("\n".join([HEADER, *good_rows]) + "\n"), actor=IMPORTER
    )
    assert (fixed.accounts_created, fixed.contacts_created) == (300, 300)
    assert _counts(session_factory) == (300, 300, 301)


def test_problem_list_is_capped_but_counts_the_rest(
    session_factory: sessionmaker[Session],
) -> None:
    importer = AccountImporter(session_factory, FrozenClock(), max_problems=3)
    text = "account_name,email\n" + "".join(f"A{i},bad{i}\n" for i in range(5))
    report = importer.import_accounts_csv(io.StringIO(text), actor=IMPORTER)
    assert [p.line for p in report.problems] == [2, 3, 4]
    assert report.problems_not_listed == 2
    assert not report.ok


def test_dry_run_checks_everything_and_writes_nothing(
    importer: AccountImporter, session_factory: sessionmaker[Session]
) -> None:
    text = "account_number,account_name,contact_first_name\nX-1,Xray,Ann\nX-1,,Bob\n"
    report = importer.import_accounts_csv(io.StringIO(text), dry_run=True, actor=IMPORTER)
    assert report.ok and report.dry_run
    assert (report.accounts_created, report.contacts_created) == (1, 2)
    assert _counts(session_factory) == (0, 0, 0)


def test_the_documented_example_imports_as_described(importer: AccountImporter) -> None:
    """The example the import dialog and the README show is a file that imports."""
    report = importer.import_accounts_csv(io.StringIO(EXAMPLE_CSV), actor=IMPORTER, dry_run=True)
    assert report.ok, _problems(report)
    assert (report.accounts_created, report.contacts_created) == (2, 2)


def test_importing_the_same_file_twice_never_doubles_the_accounts(
    importer: AccountImporter, services: Services, session_factory: sessionmaker[Session]
) -> None:
    text = (
        "account_number,account_name,email,city,contact_first_name,contact_email\n"
        "NW-1,Northwind,ap@northwind.example,Seattle,Nancy,nancy@northwind.example\n"
        ",Contoso Holdings,billing@contoso.example,Austin,Cy,cy@contoso.example\n"
        ",Fresh Co,fresh@fresh.example,Boise,,\n"
    )
    first = importer.import_accounts_csv(io.StringIO(text), actor=IMPORTER)
    assert first.ok and first.accounts_created == 3 and first.matches == ()
    before = _counts(session_factory)

    again = importer.import_accounts_csv(io.StringIO(text), actor=IMPORTER)
    assert again.awaiting_decision and not again.ok
    assert [(m.line, m.account_number, m.reason) for m in again.matches] == [
        (2, "NW-1", "the same account number"),
        (3, again.matches[1].account_number, "the same name and email"),
        (4, again.matches[2].account_number, "the same name and email"),
    ]
    assert "is already account NW-1 (Northwind)" in str(again.matches[0])
    assert _counts(session_factory) == before  # nothing written while asking

    skipped = importer.import_accounts_csv(
        io.StringIO(text), actor=IMPORTER, on_existing=OnExisting.SKIP
    )
    assert skipped.ok and (skipped.accounts_created, skipped.accounts_skipped) == (0, 3)
    assert _counts(session_factory) == before


def test_update_fills_existing_accounts_in_from_the_file(
    importer: AccountImporter, services: Services
) -> None:
    importer.import_accounts_csv(
        io.StringIO(
            "account_number,account_name,city,contact_first_name,contact_email\n"
            "NW-1,Northwind,Seattle,Nancy,nancy@northwind.example\n"
        ),
        actor=IMPORTER,
    )
    updated = importer.import_accounts_csv(
        io.StringIO(
            "account_number,account_name,city,phone,contact_first_name,contact_email\n"
            "NW-1,Northwind Traders,,+1 206 555 0100,Nancy,nancy@northwind.example\n"
            "NW-1,,,,Andrew,andrew@northwind.example\n"
            "LT-2,Litware,Denver,,,\n"
        ),
        actor=IMPORTER,
        on_existing=OnExisting.UPDATE,
    )
    assert updated.ok, _problems(updated)
    assert (updated.accounts_updated, updated.accounts_created, updated.contacts_created) == (
        1,
        1,
        1,
    )
    northwind = services.account_queries.get_account_by_number("NW-1")
    # Given columns replace what is stored; blank ones keep it.
    assert (northwind.name, northwind.city, northwind.phone) == (
        "Northwind Traders",
        "Seattle",
        "+1 206 555 0100",
    )
    assert sorted(c.email or "" for c in northwind.contacts) == [
        "andrew@northwind.example",
        "nancy@northwind.example",
    ]
    assert [r.number for r in services.account_queries.search("andrew@north")] == ["NW-1"]

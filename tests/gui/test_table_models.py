"""Every table model under Qt's QAbstractItemModelTester (pytest-qt's ``qtmodeltester``),
over real services: the paged lists while their pages arrive, are re-sorted and reset,
and the account page's short lists."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QObject, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from window_support import shown_rows

from w365desk.app import AppContext
from w365desk.gui.account_window import (
    CONTACT_COLUMNS,
    HISTORY_COLUMNS,
    INVOICE_COLUMNS,
    read_account_page,
)
from w365desk.gui.accounts_model import AccountsTableModel
from w365desk.gui.changes import DataChanges, Operations
from w365desk.gui.list_model import ListTableModel
from w365desk.gui.paged_model import PAGE_SIZE
from w365desk.gui.profiles_page import ProfilesTableModel
from w365desk.gui.workers import BackgroundRunner
from w365desk.services.accounts import AccountInput, ContactInput
from w365desk.services.accounts.queries import AccountListQuery, AccountSort
from w365desk.services.payment_profiles import BillingEntry, CardEntry, ProfileListQuery

BILLING = BillingEntry("Dana", "Ng", address="1 Main St", city="Seattle", state="WA", zip="98101")


@pytest.fixture
def operations(qapp: object) -> Iterator[Operations]:
    owner = QObject()
    runner = BackgroundRunner(owner)
    yield Operations(runner, DataChanges(owner))
    runner.wait_for_done()


def _accounts(app: AppContext, count: int) -> None:
    for index in range(count):
        app.services.accounts.create_account(
            AccountInput(name=f"Customer {index:03d}", number=f"C-{index:03d}"),
            [ContactInput("Dana", f"Ng {index}", is_billing=True)],
            actor=app.actor,
            allow_duplicates=True,
        )


def test_the_accounts_model_keeps_the_rules_while_pages_arrive_and_it_is_resorted(
    qtmodeltester: ModelTester, qtbot: QtBot, app_context: AppContext, operations: Operations
) -> None:
    _accounts(app_context, PAGE_SIZE + 30)
    model = AccountsTableModel(app_context.services.account_queries, operations)
    qtmodeltester.check(model, force_py=True)  # empty, then watched through every change
    with qtbot.waitSignal(model.counted, timeout=10_000):
        model.reload()
    assert model.rowCount() == PAGE_SIZE + 30
    qtbot.waitUntil(lambda: shown_rows(model) is not None, timeout=10_000)
    model.sort(model.column_of(AccountSort.NUMBER), Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: model.rowCount() and model.index(0, 0).data() == "C-129")
    model.set_query(AccountListQuery(text="customer 012"))
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=10_000)
    qtbot.waitUntil(lambda: shown_rows(model) is not None)


def test_the_accounts_model_shows_what_staff_read(
    qtbot: QtBot, app_context: AppContext, operations: Operations
) -> None:
    app_context.services.accounts.create_account(
        AccountInput(name="Northwind", number="ACC-7", primary_email="ap@northwind.example",
                     phone="+1 206 555 0100", city="Seattle", state="WA"),
        [ContactInput("Dana", "Ng", is_billing=True)],
        actor=app_context.actor,
    )  # fmt: skip
    model = AccountsTableModel(app_context.services.account_queries, operations)
    with qtbot.waitSignal(model.counted, timeout=10_000):
        model.reload()
    qtbot.waitUntil(lambda: shown_rows(model) is not None)
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == [
        "Number", "Name", "Billing contact", "Email", "Phone", "City",
        "Default payment method", "Status",
    ]  # fmt: skip
    first = [model.index(0, column).data() for column in range(model.columnCount())]
    assert first == [
        "ACC-7", "Northwind", "Dana Ng", "ap@northwind.example", "+1 206 555 0100",
        "Seattle, WA", "", "Active",
    ]  # fmt: skip
    assert model.rowCount(model.index(0, 0)) == 0 and model.columnCount(model.index(0, 0)) == 0


def test_the_profiles_model_keeps_the_rules(
    qtmodeltester: ModelTester, qtbot: QtBot, app_context: AppContext, operations: Operations
) -> None:
    account = app_context.services.accounts.create_account(
        AccountInput(name="Litware"), actor=app_context.actor
    )
    card = CardEntry("4111111111111111", "12", "2030", "123", "Dana Ng")
    app_context.services.payment_profiles.add(account.id, card, BILLING, actor=app_context.actor)
    model = ProfilesTableModel(app_context.services, operations, ProfileListQuery(), None)
    qtmodeltester.check(model, force_py=True)
    with qtbot.waitSignal(model.counted, timeout=10_000):
        model.reload()
    qtbot.waitUntil(lambda: shown_rows(model) is not None)
    assert model.index(0, 2).data() == "Visa" and model.index(0, 3).data() == "1111"
    assert model.index(0, 4).data() == "12/2030" and model.index(0, 6).data() == "Default"


def test_the_account_page_lists_keep_the_rules(
    qtmodeltester: ModelTester, app_context: AppContext
) -> None:
    app_context.services.demo.seed(actor=app_context.actor, accounts=3)
    first = app_context.services.account_queries.list_accounts()[0]
    data = read_account_page(app_context.services, first.id)
    assert data.invoices, "the demo gives each account invoices"
    for columns, rows in (
        (CONTACT_COLUMNS, data.account.contacts),
        (INVOICE_COLUMNS, data.invoices),
        (HISTORY_COLUMNS, data.history),
    ):
        model: ListTableModel[object] = ListTableModel(columns)  # type: ignore[arg-type]
        qtmodeltester.check(model, force_py=True)
        model.set_rows(rows)
        assert model.rowCount() == len(rows)
        model.set_rows([])

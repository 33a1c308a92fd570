"""Table models on their own, under Qt's QAbstractItemModelTester (pytest-qt's qtmodeltester)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester

from w365desk.db.models import AccountStatus
from w365desk.gui.accounts_model import AccountsTableModel
from w365desk.services.accounts import AccountSummary


def _summary(number: str, name: str, *, active: bool = True) -> AccountSummary:
    return AccountSummary(
        id=int(number.split("-")[1]),
        number=number,
        name=name,
        primary_email=f"ap@{name.lower()}.example",
        phone=None,
        city="Seattle",
        state="WA",
        currency="USD",
        status=AccountStatus.ACTIVE if active else AccountStatus.INACTIVE,
    )


def test_the_accounts_model_keeps_qt_model_rules_through_resets(
    qtmodeltester: ModelTester,
) -> None:
    model = AccountsTableModel()
    # The tester checks the model now and then watches every change that follows.
    qtmodeltester.check(model, force_py=True)
    model.set_accounts([_summary("ACC-1", "Contoso"), _summary("ACC-2", "Fabrikam", active=False)])
    model.set_accounts([_summary("ACC-3", "Litware")])
    model.set_accounts([])


def test_the_accounts_model_shows_what_staff_read() -> None:
    model = AccountsTableModel()
    model.set_accounts([_summary("ACC-7", "Northwind"), _summary("ACC-8", "Litware", active=False)])
    assert (model.rowCount(), model.columnCount()) == (2, 7)
    headers = [
        model.headerData(column, Qt.Orientation.Horizontal) for column in range(model.columnCount())
    ]
    assert headers == ["Number", "Name", "Email", "Phone", "City", "Currency", "Status"]
    first = [model.index(0, column).data() for column in range(model.columnCount())]
    assert first == [
        "ACC-7",
        "Northwind",
        "ap@northwind.example",
        "",
        "Seattle, WA",
        "USD",
        "Active",
    ]
    assert model.index(1, 6).data() == "Inactive"
    assert model.index(1, 0).data(Qt.ItemDataRole.ForegroundRole) is not None  # greyed out
    assert model.index(0, 0).data(Qt.ItemDataRole.UserRole) == 7
    # A table has no children.
    assert model.rowCount(model.index(0, 0)) == 0 and model.columnCount(model.index(0, 0)) == 0

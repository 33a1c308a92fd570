"""Table model over account summaries returned by the accounts service."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from w365desk.services.accounts import AccountSummary

_Index = QModelIndex | QPersistentModelIndex

_COLUMNS: tuple[tuple[str, Callable[[AccountSummary], str]], ...] = (
    ("Number", lambda a: a.number),
    ("Name", lambda a: a.name),
    ("Email", lambda a: a.primary_email or ""),
    ("Phone", lambda a: a.phone or ""),
    ("City", lambda a: ", ".join(p for p in (a.city, a.state) if p)),
    ("Currency", lambda a: a.currency),
    ("Status", lambda a: "Active" if a.is_active else "Inactive"),
)


class AccountsTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[AccountSummary] = []

    def set_accounts(self, accounts: Sequence[AccountSummary]) -> None:
        self.beginResetModel()
        self._rows = list(accounts)
        self.endResetModel()

    def account_at(self, row: int) -> AccountSummary:
        return self._rows[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(_COLUMNS)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        account = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return _COLUMNS[index.column()][1](account)
        if role == Qt.ItemDataRole.ForegroundRole and not account.is_active:
            from PySide6.QtGui import QColor

            return QColor("#8a8a8a")
        if role == Qt.ItemDataRole.UserRole:
            return account.id
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _COLUMNS[section][0]
        return None

"""A table model over a short list held in memory (an account's contacts, invoices, history).

Lists that can grow without bound use ``PagedTableModel`` instead; these are one
account's own rows, read whole.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from w365desk.gui.paged_model import Column, column_title

Row = TypeVar("Row")
_Index = QModelIndex | QPersistentModelIndex


class ListTableModel(QAbstractTableModel, Generic[Row]):
    def __init__(
        self,
        columns: Sequence[Column[Row]],
        *,
        dimmed: Callable[[Row], bool] = lambda _row: False,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self._columns = list(columns)
        self._dimmed = dimmed
        self._rows: list[Row] = []

    def set_rows(self, rows: Sequence[Row]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    @property
    def rows(self) -> list[Row]:
        return list(self._rows)

    def row_at(self, row: int) -> Row | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        item = self.row_at(index.row()) if index.isValid() else None
        if item is None:
            return None
        return self._columns[index.column()].cell(item, role, dimmed=self._dimmed(item))

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return column_title(self._columns, section, orientation, role)

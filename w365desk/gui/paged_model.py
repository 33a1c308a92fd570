"""A table model over every row of a database list, fetched a page at a time.

The model reports the true row count, so the scrollbar spans the whole list, and asks
for the pages the view shows (in the background, a few at a time); rows not read yet
show as blank until their page arrives. Sorting is the database's, over all rows: the
model only tells the query which column and direction. A new query (search, filter,
sort) or a data change starts over with a fresh count; answers that arrive for an older
query are dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor

from w365desk.gui.changes import Operations

Row = TypeVar("Row")
Query = TypeVar("Query")
_Index = QModelIndex | QPersistentModelIndex

PAGE_SIZE = 100
# Pages kept in memory; the oldest are dropped as the view moves on.
MAX_CACHED_PAGES = 40
DIMMED = QColor("#8a8a8a")


@dataclass(frozen=True)
class Column(Generic[Row]):
    title: str
    text: Callable[[Row], str]
    # What the query sorts by for this column (None: the column cannot be sorted).
    sort_key: Any = None
    align_right: bool = False

    def cell(self, item: Row, role: int, *, dimmed: bool) -> Any:
        """What a table model answers for ``item`` in this column, for ``role``."""
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.text(item)
        if role == Qt.ItemDataRole.ForegroundRole and dimmed:
            return DIMMED
        if role == Qt.ItemDataRole.TextAlignmentRole and self.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def column_title(
    columns: Sequence[Column[Any]], section: int, orientation: Qt.Orientation, role: int
) -> str | None:
    """A table model's ``headerData``: each column's title across the top."""
    if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
        return columns[section].title
    return None


class PagedTableModel(QAbstractTableModel, Generic[Query, Row]):
    """``count(query)`` and ``rows(query, offset, limit, total)`` run on the background
    pool; ``total`` is the count the model holds, None while it is not known (so a page
    far down the list need not be counted again)."""

    # The true number of rows, each time a count arrives.
    counted = Signal(int)
    # Emitted when the rows of a page arrive (first row, number of rows).
    page_loaded = Signal(int, int)

    def __init__(
        self,
        operations: Operations,
        columns: Sequence[Column[Row]],
        count: Callable[[Query], int],
        rows: Callable[[Query, int, int, int | None], list[Row]],
        query: Query,
        *,
        sorted_by: Callable[[Query, Any, bool], Query] | None = None,
        dimmed: Callable[[Row], bool] = lambda _row: False,
        row_id: Callable[[Row], int] = lambda row: int(row.id),  # type: ignore[attr-defined]
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self._operations = operations
        self._columns = list(columns)
        self._count = count
        self._rows = rows
        self._sorted_by = sorted_by
        self._dimmed = dimmed
        self._row_id = row_id
        self.query = query
        self._total = 0
        self._pages: dict[int, list[Row]] = {}
        self._requested: set[int] = set()
        # True while the rows shown are only the first page, which beat the count.
        self._provisional = False
        self._generation = 0
        self.loading = False
        self.failure: str | None = None

    # ------------------------------------------------------------------ queries

    def set_query(self, query: Query) -> None:
        self.query = query
        self.reload()

    def reload(self) -> None:
        """Count again and forget every page (after a search, a filter or a data change).

        The first page is asked for together with the count. Whichever comes first
        shows: when the page does, its rows show at once (the list holding just them)
        and the rest of the rows are added when the count arrives, so the first rows
        never wait for counting a million.
        """
        self._generation += 1
        generation = self._generation
        query = self.query
        self.loading = True
        self._provisional = False

        def counted(total: int) -> None:
            if generation != self._generation:
                return
            self.loading = False
            self.failure = None
            if self._provisional:
                self._provisional = False
                self._resize(total)
            else:
                self.beginResetModel()
                self._total = total
                self._pages.clear()
                self._requested.clear()
                self.endResetModel()
            self.counted.emit(total)

        def failed(error: Exception) -> None:
            if generation == self._generation:
                self.loading = False
                self.failure = str(error)
                self.counted.emit(-1)

        self._operations.query(lambda: self._count(query), on_success=counted, on_error=failed)
        self._fetch(0, generation, query, total=None)  # the count is not known yet

    def _show_first_page(self, items: list[Row]) -> None:
        """The first page arrived before the count: show it as the whole list for now."""
        self.beginResetModel()
        self._total = len(items)
        self._pages = {0: items}
        self._requested = {0}
        self._provisional = True
        self.endResetModel()
        if items:
            self.page_loaded.emit(0, len(items))

    def _resize(self, total: int) -> None:
        """From the first page shown alone to the true count, keeping the page. A reset,
        not row insertion: a view inserting a million rows takes far longer. When the
        first page was the whole list, nothing changes (a selection made meanwhile stays)."""
        if total == self._total:
            return
        self.beginResetModel()
        self._total = total
        self.endResetModel()

    def resort(self, query: Query) -> None:
        """The same rows in another order: the count stands, the pages are read again."""
        self.query = query
        self._generation += 1
        self.beginResetModel()
        self._pages.clear()
        self._requested.clear()
        self.endResetModel()
        if self._total:
            self._request(0)

    @property
    def total(self) -> int:
        return self._total

    def row_at(self, row: int) -> Row | None:
        """The row's item when its page is loaded (else None, and its page is asked for)."""
        page, offset = divmod(row, PAGE_SIZE)
        items = self._pages.get(page)
        if items is None:
            self._request(page)
            return None
        return items[offset] if offset < len(items) else None

    def id_at(self, row: int) -> int | None:
        item = self.row_at(row)
        return self._row_id(item) if item is not None else None

    def ensure_loaded(self, first: int, last: int) -> None:
        for page in range(first // PAGE_SIZE, last // PAGE_SIZE + 1):
            if page not in self._pages:
                self._request(page)

    def _request(self, page: int) -> None:
        if page in self._requested or page * PAGE_SIZE >= self._total:
            return
        self._requested.add(page)
        self._fetch(page, self._generation, self.query, total=self._total)

    def _fetch(self, page: int, generation: int, query: Query, *, total: int | None) -> None:
        def loaded(items: list[Row]) -> None:
            if generation != self._generation:
                return
            if self.loading:  # the count is still on its way (only page 0 is asked)
                self._show_first_page(items)
                return
            self._pages[page] = items
            while len(self._pages) > MAX_CACHED_PAGES:
                oldest = next(iter(self._pages))
                del self._pages[oldest]
                self._requested.discard(oldest)
            first = page * PAGE_SIZE
            last = min(first + PAGE_SIZE, self._total) - 1
            if last >= first:
                self.dataChanged.emit(
                    self.index(first, 0), self.index(last, self.columnCount() - 1)
                )
                self.page_loaded.emit(first, len(items))

        def failed(error: Exception) -> None:
            if generation == self._generation:
                self._requested.discard(page)
                self.failure = str(error)

        self._operations.query(
            lambda: self._rows(query, page * PAGE_SIZE, PAGE_SIZE, total),
            on_success=loaded,
            on_error=failed,
        )

    # ------------------------------------------------------------------ Qt model

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._total

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= self._total:
            return None
        item = self.row_at(index.row())
        if item is None:
            in_display = role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole)
            return "" if in_display else None  # a row whose page is on its way
        if role == Qt.ItemDataRole.UserRole:
            return self._row_id(item)
        return self._columns[index.column()].cell(item, role, dimmed=self._dimmed(item))

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        return column_title(self._columns, section, orientation, role)

    def sort_key_of(self, column: int) -> Any:
        return self._columns[column].sort_key if 0 <= column < len(self._columns) else None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """The database sorts every row; the view's header only says by what."""
        key = self.sort_key_of(column)
        if key is None or self._sorted_by is None:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        self.resort(self._sorted_by(self.query, key, descending))

    def column_of(self, sort_key: Any) -> int:
        return next((i for i, c in enumerate(self._columns) if c.sort_key == sort_key), -1)

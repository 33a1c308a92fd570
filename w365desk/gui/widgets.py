"""Small widgets the forms share."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QAbstractItemModel, QPoint, QSize, Qt
from PySide6.QtGui import QGuiApplication, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QMenu,
    QSizePolicy,
    QTableView,
    QWidget,
)

# An elided label never asks for less than this, so a few characters always show.
_SMALLEST_WIDTH = 60


class ElidedLabel(QLabel):
    """One line of text that gives up width when space is short, eliding the middle.

    A plain QLabel insists on the width of its whole text; in the status bar a long
    database path would then make the window wider than a small screen. The full text
    stays in the tooltip.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full_text = ""
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.set_full_text(text)

    def full_text(self) -> str:
        return self._full_text

    def set_full_text(self, text: str) -> None:
        self._full_text = text
        self.setToolTip(text)
        self.updateGeometry()
        self._elide()

    def sizeHint(self) -> QSize:
        margins = self.contentsMargins()
        width = self.fontMetrics().horizontalAdvance(self._full_text)
        return QSize(width + margins.left() + margins.right(), super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        return QSize(
            min(_SMALLEST_WIDTH, self.sizeHint().width()), super().minimumSizeHint().height()
        )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        room = self.contentsRect().width()
        self.setText(
            self.fontMetrics().elidedText(self._full_text, Qt.TextElideMode.ElideMiddle, room)
        )


ROW_HEIGHT = 24


def prepare_table(
    table: QTableView,
    model: QAbstractItemModel,
    widths: Sequence[int],
    menu: Callable[[], QMenu],
) -> None:
    """A read-only list: whole rows, fixed row heights (a million rows scroll as fast
    as a hundred), columns staff can resize, and ``menu`` on right-click, shown for the
    row under the pointer."""
    table.setModel(model)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    vertical = table.verticalHeader()
    vertical.hide()
    vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    vertical.setDefaultSectionSize(ROW_HEIGHT)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    for column, width in enumerate(widths):
        header.resizeSection(column, width)
    table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

    def popup(position: QPoint) -> None:
        index = table.indexAt(position)
        if index.isValid():
            table.setCurrentIndex(index)
        menu().popup(table.viewport().mapToGlobal(position))

    table.customContextMenuRequested.connect(popup)


def sorted_by_database(table: QTableView, column: int, order: Qt.SortOrder) -> None:
    """Show a sort indicator the model's query starts with (the model sorts, not Qt)."""
    header = table.horizontalHeader()
    header.setSortIndicatorShown(True)
    header.setSortIndicator(column, order)


def copy_menu(table: QTableView) -> QMenu:
    """The context menu of a read-only list: copy the selected row's text."""
    menu = QMenu(table)
    action = menu.addAction("Copy Row")
    index = table.currentIndex()
    model = table.model()
    action.setEnabled(index.isValid() and model is not None)

    def copy() -> None:
        clipboard = QGuiApplication.clipboard()
        if model is None or clipboard is None:
            return
        cells = (
            str(model.index(index.row(), column).data() or "")
            for column in range(model.columnCount())
        )
        clipboard.setText("\t".join(cells))

    action.triggered.connect(copy)
    return menu

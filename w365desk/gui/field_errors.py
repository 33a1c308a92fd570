"""Messages beside the fields they are about: one line under each field's form row,
empty and hidden until that field has a problem."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from PySide6.QtWidgets import QFormLayout, QLabel, QLayout, QWidget

from w365desk.gui.uiload import child
from w365desk.services.errors import FieldProblem

INVALID_STYLE = "border: 1px solid #c62828;"


def _form_row(widget: QWidget) -> tuple[QFormLayout, int]:
    """The form layout holding ``widget`` as a row, and the row's index."""
    parent = widget.parentWidget()
    top = parent.layout() if parent is not None else None
    pending: list[QLayout] = [top] if top is not None else []
    while pending:
        layout = pending.pop()
        if isinstance(layout, QFormLayout):
            position: tuple[int, object] = layout.getWidgetPosition(widget)  # type: ignore[assignment]
            if position[0] >= 0:
                return layout, position[0]
        for index in range(layout.count()):
            item = layout.itemAt(index)
            inner = item.layout() if item is not None else None
            if inner is not None:
                pending.append(inner)
    raise LookupError(f"{widget.objectName()!r} is not a row of a form layout")


class FieldErrors:
    """``anchors`` maps a service field name to the form-row widget its message goes
    under; ``inputs`` (optional) to the widget to mark and focus, when it differs."""

    def __init__(
        self,
        root: QWidget,
        anchors: Mapping[str, str],
        inputs: Mapping[str, str] | None = None,
    ) -> None:
        self._root = root
        self._labels: dict[str, QLabel] = {}
        self._inputs: dict[str, QWidget] = {}
        placed: dict[str, QLabel] = {}
        for field, anchor_name in anchors.items():
            self._inputs[field] = child(root, QWidget, (inputs or {}).get(field, anchor_name))
            if anchor_name in placed:
                self._labels[field] = placed[anchor_name]
                continue
            anchor = child(root, QWidget, anchor_name)
            form, row = _form_row(anchor)
            label = QLabel()
            label.setObjectName(f"{field}Error")
            label.setWordWrap(True)
            label.setStyleSheet("color: #c62828;")
            label.hide()
            form.insertRow(row + 1, "", label)
            placed[anchor_name] = label
            self._labels[field] = label

    def __contains__(self, field: object) -> bool:
        return field in self._labels

    def text(self, field: str) -> str:
        label = self._labels.get(field)
        return label.text() if label is not None and not label.isHidden() else ""

    def show(self, problems: Iterable[FieldProblem]) -> list[FieldProblem]:
        """Show each problem under its field (the first field gets the focus); returns
        the problems that have no field here."""
        unplaced: list[FieldProblem] = []
        first: QWidget | None = None
        for problem in problems:
            label = self._labels.get(problem.field)
            if label is None:
                unplaced.append(problem)
                continue
            label.setText(problem.message)
            label.show()
            widget = self._inputs[problem.field]
            widget.setStyleSheet(INVALID_STYLE)
            if first is None:
                first = widget
        if first is not None:
            first.setFocus()
        return unplaced

    def clear(self) -> None:
        for label in set(self._labels.values()):
            label.clear()
            label.hide()
        for widget in self._inputs.values():
            widget.setStyleSheet("")

"""The Accounts tab: search, list, create, edit and import accounts."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QObject, QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QWidget,
)

from w365desk.gui.account_dialog import AccountDialog
from w365desk.gui.accounts_model import AccountsTableModel
from w365desk.gui.changes import Change, Operations, Topic
from w365desk.gui.import_dialog import ImportDialog
from w365desk.gui.import_flow import run_import
from w365desk.gui.messages import describe_error
from w365desk.gui.uiload import child
from w365desk.services.accounts import AccountSummary, AccountView
from w365desk.services.actors import Actor
from w365desk.services.bundle import Services

SEARCH_DELAY_MS = 200
PAGE_SIZE = 200


class AccountsPage(QObject):
    """Controller for the widgets of the Accounts tab in ``ui/main_window.ui``."""

    # Emitted with the number of accounts shown after each completed search.
    loaded = Signal(int)

    def __init__(
        self, root: QWidget, services: Services, actor: Actor, operations: Operations
    ) -> None:
        super().__init__(root)
        self._root = root
        self._services = services
        self._actor = actor
        self._operations = operations
        self._search_generation = 0
        self.search_edit = child(root, QLineEdit, "searchEdit")
        self.show_inactive = child(root, QCheckBox, "showInactiveCheck")
        self.new_button = child(root, QPushButton, "newAccountButton")
        self.import_button = child(root, QPushButton, "importButton")
        self.table = child(root, QTableView, "accountsTable")
        self.results_label = child(root, QLabel, "resultsLabel")

        self.model = AccountsTableModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.table.setModel(self.proxy)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        # Keep the service's order (an exact account number first, then by name) until
        # staff click a column header.
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.proxy.sort(-1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DELAY_MS)
        self._debounce.timeout.connect(self.refresh)
        self.search_edit.textChanged.connect(self._debounce.start)
        self.show_inactive.toggled.connect(self.refresh)
        self.new_button.clicked.connect(self.open_new_account)
        self.import_button.clicked.connect(self.open_import)
        self.table.doubleClicked.connect(self._open_row)
        self.dialog: AccountDialog | None = None
        self.import_result: QMessageBox | None = None
        self.import_dialog: ImportDialog | None = None
        operations.changes.changed.connect(self._data_changed)

    def _data_changed(self, change: Change) -> None:
        if change.touches(Topic.ACCOUNTS, Topic.CONTACTS):
            self.refresh()

    # --------------------------------------------------------------- listing

    def refresh(self) -> None:
        """Search (or list) in the background; a newer search discards older answers."""
        self._debounce.stop()
        self._search_generation += 1
        generation = self._search_generation
        query = self.search_edit.text()
        include_inactive = self.show_inactive.isChecked()
        self.results_label.setText("Searching…")

        def work() -> list[AccountSummary]:
            return self._services.account_queries.search(
                query, limit=PAGE_SIZE, include_inactive=include_inactive
            )

        def done(found: list[AccountSummary]) -> None:
            if generation == self._search_generation:
                self._show(found, query)

        def failed(error: Exception) -> None:
            if generation == self._search_generation:
                self.results_label.setText(f"Search failed: {describe_error(error)}")

        self._operations.query(work, on_success=done, on_error=failed)

    def _show(self, found: Sequence[AccountSummary], query: str) -> None:
        self.model.set_accounts(found)
        self.table.resizeColumnsToContents()
        count = len(found)
        more = " (showing the first matches; refine the search)" if count >= PAGE_SIZE else ""
        if query.strip():
            self.results_label.setText(f"{count} account(s) match “{query.strip()}”{more}")
        else:
            self.results_label.setText(f"{count} account(s){more}")
        self.loaded.emit(count)

    # --------------------------------------------------------------- create / edit

    def open_new_account(self) -> AccountDialog:
        return self._open_dialog(None)

    def open_account(self, account_id: int) -> None:
        self._operations.query(
            lambda: self._services.account_queries.get_account(account_id),
            on_success=self._open_dialog,
            on_error=lambda error: self._warn("Could not open the account", error),
        )

    def _open_row(self, index: QModelIndex) -> None:
        source = self.proxy.mapToSource(index)
        self.open_account(self.model.account_at(source.row()).id)

    def _open_dialog(self, existing: AccountView | None) -> AccountDialog:
        dialog = AccountDialog(
            self._services.accounts, self._actor, self._operations, self._root, existing
        )
        self.dialog = dialog
        dialog.dialog.open()  # window-modal without blocking the event loop
        return dialog

    # --------------------------------------------------------------- import

    def open_import(self) -> ImportDialog:
        """The import dialog: the file format and an example, then the file to import."""
        dialog = ImportDialog(self._root)
        dialog.file_chosen.connect(self.import_file)
        self.import_dialog = dialog
        dialog.open()
        return dialog

    def import_file(self, path: str) -> None:
        self.import_button.setEnabled(False)
        self.results_label.setText("Importing…")

        def finished(result: QMessageBox, imported: bool) -> None:
            self.import_result = result
            self.import_button.setEnabled(True)
            if not imported:
                self.refresh()  # nothing changed: put the count back in place of "Importing…"

        run_import(
            self._root,
            self._operations,
            self._services.importer,
            self._actor,
            path,
            finished,
            show_format=self.open_import,
        )

    def _warn(self, title: str, error: Exception) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, describe_error(error), parent=self._root)
        box.open()

"""The Accounts tab: search, list, create, edit and import accounts."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QObject, QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
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
from w365desk.gui.import_flow import run_import
from w365desk.gui.uiload import child
from w365desk.gui.workers import BackgroundRunner
from w365desk.services.account_import import AccountImporter
from w365desk.services.account_views import AccountSummary, AccountView
from w365desk.services.accounts import AccountsService
from w365desk.services.errors import ServiceError

SEARCH_DELAY_MS = 200
PAGE_SIZE = 200


class AccountsPage(QObject):
    """Controller for the widgets of the Accounts tab in ``ui/main_window.ui``."""

    # Emitted with the number of accounts shown after each completed search.
    loaded = Signal(int)

    def __init__(
        self,
        root: QWidget,
        accounts: AccountsService,
        importer: AccountImporter,
        runner: BackgroundRunner,
    ) -> None:
        super().__init__(root)
        self._root = root
        self._accounts = accounts
        self._importer = importer
        self._runner = runner
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
        self.import_button.clicked.connect(self.choose_import_file)
        self.table.doubleClicked.connect(self._open_row)
        self.dialog: AccountDialog | None = None
        self.import_result: QMessageBox | None = None

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
            return self._accounts.search(query, limit=PAGE_SIZE, include_inactive=include_inactive)

        def done(found: list[AccountSummary]) -> None:
            if generation == self._search_generation:
                self._show(found, query)

        def failed(error: Exception) -> None:
            if generation == self._search_generation:
                self.results_label.setText(f"Search failed: {_describe(error)}")

        self._runner.submit(work, done, failed)

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
        self._runner.submit(
            lambda: self._accounts.get_account(account_id),
            self._open_dialog,
            lambda error: self._warn("Could not open the account", error),
        )

    def _open_row(self, index: QModelIndex) -> None:
        source = self.proxy.mapToSource(index)
        self.open_account(self.model.account_at(source.row()).id)

    def _open_dialog(self, existing: AccountView | None) -> AccountDialog:
        dialog = AccountDialog(self._accounts, self._runner, self._root, existing)
        dialog.saved.connect(lambda _view: self.refresh())
        self.dialog = dialog
        dialog.dialog.open()  # window-modal without blocking the event loop
        return dialog

    # --------------------------------------------------------------- import

    def choose_import_file(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self._root, "Import accounts from CSV", "", "CSV files (*.csv);;All files (*)"
        )
        if path:
            self.import_file(path)

    def import_file(self, path: str) -> None:
        self.import_button.setEnabled(False)
        self.results_label.setText("Importing…")

        def finished(result: QMessageBox) -> None:
            self.import_result = result
            self.import_button.setEnabled(True)
            self.refresh()

        run_import(self._root, self._runner, self._importer, path, finished)

    def _warn(self, title: str, error: Exception) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, _describe(error), parent=self._root)
        box.open()


def _describe(error: Exception) -> str:
    if isinstance(error, ServiceError):
        return error.message
    return f"Unexpected error ({type(error).__name__}). Nothing was changed."

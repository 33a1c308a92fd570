"""The Accounts view: every account, searched as you type, sorted by any column.

The list is a ``PagedTableModel`` over the database (the true count, every row reachable);
Enter or F2 opens an account, Delete deactivates it after asking, the context menu has
the rest. An empty first run explains how to begin (including demo customers in the
offline sandbox).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTableView,
    QWidget,
)

from w365desk.gui.account_dialog import AccountDialog
from w365desk.gui.accounts_model import AccountsTableModel
from w365desk.gui.changes import Change, Operations, Topic
from w365desk.gui.import_dialog import ImportDialog
from w365desk.gui.import_flow import run_import
from w365desk.gui.prompts import ask, tell, tell_error
from w365desk.gui.uiload import child
from w365desk.gui.widgets import prepare_table, sorted_by_database
from w365desk.services.accounts import AccountSummary, AccountView
from w365desk.services.accounts.queries import AccountSort
from w365desk.services.actors import Actor
from w365desk.services.bundle import Services

SEARCH_DELAY_MS = 150


class AccountsPage(QObject):
    """Controller for the widgets of the Accounts tab in ``ui/main_window.ui``."""

    # Emitted with the number of accounts in the list after each count.
    loaded = Signal(int)
    # The account staff asked to open (Enter, F2, double-click, the context menu).
    open_requested = Signal(int)
    # Create Payment Profile asked from the context menu.
    add_payment_requested = Signal(int)

    def __init__(
        self,
        root: QWidget,
        services: Services,
        actor: Actor,
        operations: Operations,
        *,
        offer_demo: bool,
    ) -> None:
        super().__init__(root)
        self._root = root
        self._services = services
        self._actor = actor
        self._operations = operations
        self._offer_demo = offer_demo
        self._select_after_load: int | None = None
        self._scroll_to_row: int | None = None
        self.search_edit = child(root, QLineEdit, "searchEdit")
        self.show_inactive = child(root, QCheckBox, "showInactiveCheck")
        self.new_button = child(root, QPushButton, "newAccountButton")
        self.import_button = child(root, QPushButton, "importButton")
        self.table = child(root, QTableView, "accountsTable")
        self.stack = child(root, QStackedWidget, "accountsStack")
        self.empty_panel = child(root, QWidget, "accountsEmpty")
        self.results_label = child(root, QLabel, "resultsLabel")
        self.demo_button = child(root, QPushButton, "emptyDemoButton")
        child(root, QPushButton, "emptyNewButton").clicked.connect(self.open_new_account)
        child(root, QPushButton, "emptyImportButton").clicked.connect(self.open_import)
        self.demo_button.clicked.connect(self.add_demo_customers)
        self.demo_button.setVisible(offer_demo)

        self.model = AccountsTableModel(services.account_queries, operations, self)
        prepare_table(
            self.table, self.model, (110, 240, 160, 220, 130, 150, 190), self.context_menu
        )
        sorted_by_database(
            self.table, self.model.column_of(AccountSort.NAME), Qt.SortOrder.AscendingOrder
        )
        self.table.doubleClicked.connect(self._open_index)
        self.table.installEventFilter(self)
        self.search_edit.installEventFilter(self)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DELAY_MS)
        self._debounce.timeout.connect(self._apply_filter)
        self.search_edit.textChanged.connect(self._debounce.start)
        self.show_inactive.toggled.connect(self._apply_filter)
        self.new_button.clicked.connect(self.open_new_account)
        self.import_button.clicked.connect(self.open_import)
        self.model.counted.connect(self._counted)
        self.model.page_loaded.connect(self._page_loaded)
        self.dialog: AccountDialog | None = None
        self.import_dialog: ImportDialog | None = None
        self.import_result: QMessageBox | None = None
        self.question: QMessageBox | None = None
        operations.changes.changed.connect(self._data_changed)

    # --------------------------------------------------------------- listing

    def refresh(self) -> None:
        """Count and list again (after a search, a sort, a change, or on F5)."""
        self._debounce.stop()
        self.results_label.setText("Searching…" if self.search_edit.text().strip() else "Loading…")
        self.model.reload()

    def search_now(self) -> None:
        """Search for what is typed without waiting for the typing pause (Enter)."""
        self._apply_filter()

    def _apply_filter(self) -> None:
        self._debounce.stop()
        query = dataclasses.replace(
            self.model.query,
            text=self.search_edit.text(),
            include_inactive=self.show_inactive.isChecked(),
        )
        self.results_label.setText("Searching…")
        self.model.set_query(query)

    def _data_changed(self, change: Change) -> None:
        if change.touches(Topic.ACCOUNTS, Topic.CONTACTS, Topic.PAYMENT_PROFILES):
            self._select_after_load = self.selected_account_id()
            self.model.reload()

    def _counted(self, total: int) -> None:
        if total < 0:
            self.results_label.setText(f"The list could not be loaded: {self.model.failure}")
            return
        text = self.model.query.text.strip()
        noun = "account" if total == 1 else "accounts"
        if text:
            self.results_label.setText(f"{total:,} {noun} match “{text}”")
        else:
            self.results_label.setText(f"{total:,} {noun}")
        first_run = total == 0 and not text and not self.model.query.include_inactive
        self.stack.setCurrentWidget(self.empty_panel if first_run else self.table)
        if self._select_after_load is not None:
            self.select_account(self._select_after_load)
            self._select_after_load = None
        self.loaded.emit(total)

    def _page_loaded(self, first: int, _count: int) -> None:
        pending = self._scroll_to_row
        if pending is not None and first <= pending < first + _count:
            self._scroll_to_row = None
            self._select_row(pending)

    def select_account(self, account_id: int) -> None:
        """Select and show ``account_id`` in the list, wherever it stands in it."""
        query = self.model.query
        self._operations.query(
            lambda: self._services.account_queries.position(query, account_id),
            on_success=self._go_to_row,
            on_error=lambda _error: None,
        )

    def _go_to_row(self, row: int | None) -> None:
        if row is None or row >= self.model.total:
            return
        self._scroll_to_row = row
        self.model.ensure_loaded(row, row)
        if self.model.row_at(row) is not None:
            self._scroll_to_row = None
            self._select_row(row)

    def _select_row(self, row: int) -> None:
        index = self.model.index(row, 1)
        self.table.setCurrentIndex(index)
        self.table.selectRow(row)
        self.table.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)

    def selected_account_id(self) -> int | None:
        index = self.table.currentIndex()
        return self.model.id_at(index.row()) if index.isValid() else None

    def selected_account(self) -> AccountSummary | None:
        index = self.table.currentIndex()
        return self.model.account_at(index.row()) if index.isValid() else None

    # --------------------------------------------------------------- keyboard and menus

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            if watched is self.table and event.key() in (
                Qt.Key.Key_Return,
                Qt.Key.Key_Enter,
                Qt.Key.Key_F2,
            ):
                self.open_selected()
                return True
            if watched is self.table and event.key() == Qt.Key.Key_Delete:
                self.deactivate_selected()
                return True
            if watched is self.search_edit and event.key() == Qt.Key.Key_Down:
                self.table.setFocus()
                if not self.table.currentIndex().isValid() and self.model.total:
                    self._select_row(0)
                return True
            if watched is self.search_edit and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.search_now()
                return True
            if watched is self.search_edit and event.key() == Qt.Key.Key_Escape:
                self.search_edit.clear()
                return True
        return False

    def focus_search(self) -> None:
        self.search_edit.setFocus()
        self.search_edit.selectAll()

    def context_menu(self) -> QMenu:
        """The table's context menu, for the row selected."""
        menu = QMenu(self.table)
        account = self.selected_account()
        actions: list[tuple[str, str, Callable[[], object]]] = [
            ("Open", "Enter", self.open_selected),
            ("Edit Details…", "", self.edit_selected),
            ("Create Payment Profile…", "", self._add_payment_to_selected),
            ("Copy Account Number", "", self._copy_number),
        ]
        for text, shortcut, slot in actions:
            action = QAction(text + (f"\t{shortcut}" if shortcut else ""), menu)
            action.triggered.connect(slot)
            action.setEnabled(account is not None)
            menu.addAction(action)
        menu.addSeparator()
        if account is None or account.is_active:
            status = QAction("Deactivate…\tDel", menu)
            status.triggered.connect(self.deactivate_selected)
        else:
            status = QAction("Reactivate", menu)
            status.triggered.connect(self.reactivate_selected)
        status.setEnabled(account is not None)
        menu.addAction(status)
        menu.addSeparator()
        new = QAction("New Account…\tCtrl+N", menu)
        new.triggered.connect(self.open_new_account)
        menu.addAction(new)
        return menu

    def _copy_number(self) -> None:
        account = self.selected_account()
        clipboard = QGuiApplication.clipboard()
        if account is not None and clipboard is not None:
            clipboard.setText(account.number)

    # --------------------------------------------------------------- actions

    def _open_index(self, index: QModelIndex) -> None:
        account_id = self.model.id_at(index.row())
        if account_id is not None:
            self.open_requested.emit(account_id)

    def open_selected(self) -> None:
        account_id = self.selected_account_id()
        if account_id is not None:
            self.open_requested.emit(account_id)

    def _add_payment_to_selected(self) -> None:
        account_id = self.selected_account_id()
        if account_id is not None:
            self.add_payment_requested.emit(account_id)

    def open_new_account(self) -> AccountDialog:
        dialog = AccountDialog(self._services.accounts, self._actor, self._operations, self._root)
        dialog.saved.connect(lambda view: self._select_saved(view))
        self.dialog = dialog
        dialog.dialog.open()
        return dialog

    def edit_selected(self) -> None:
        account_id = self.selected_account_id()
        if account_id is None:
            return
        self._operations.query(
            lambda: self._services.account_queries.get_account(account_id),
            on_success=self.edit_account,
            on_error=lambda error: tell_error(self._root, "Could not open the account", error),
        )

    def edit_account(self, view: AccountView) -> AccountDialog:
        dialog = AccountDialog(
            self._services.accounts, self._actor, self._operations, self._root, view
        )
        dialog.saved.connect(lambda saved: self._select_saved(saved))
        self.dialog = dialog
        dialog.dialog.open()
        return dialog

    def _select_saved(self, view: AccountView) -> None:
        self._select_after_load = view.id

    def deactivate_selected(self) -> None:
        account = self.selected_account()
        if account is None or not account.is_active:
            return
        self.question = ask(
            self._root,
            "Deactivate account",
            f"Deactivate account {account.number} ({account.name})?",
            informative=(
                "It leaves the list, search and charging; its history, contacts and "
                "payment methods are kept, and it can be reactivated."
            ),
            yes="Deactivate",
            on_yes=lambda: self._set_active(account.id, active=False),
        )

    def reactivate_selected(self) -> None:
        account = self.selected_account()
        if account is not None and not account.is_active:
            self._set_active(account.id, active=True)

    def _set_active(self, account_id: int, *, active: bool) -> None:
        editor, actor = self._services.accounts, self._actor

        def work() -> AccountView:
            if active:
                return editor.reactivate_account(account_id, actor=actor)
            return editor.deactivate_account(account_id, actor=actor)

        self._operations.change(
            work,
            touches={Topic.ACCOUNTS},
            on_success=lambda _view: None,
            on_error=lambda error: tell_error(self._root, "The account was not changed", error),
        )

    # --------------------------------------------------------------- import and demo

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

    def add_demo_customers(self) -> None:
        demo, actor = self._services.demo, self._actor
        self.demo_button.setEnabled(False)
        self.results_label.setText("Adding demo customers…")

        def done(count: int) -> None:
            self.demo_button.setEnabled(True)
            tell(
                self._root,
                "Demo customers added",
                f"{count} demo customers with contacts and open invoices are ready to try. "
                "Their email addresses reach nobody, and the offline sandbox takes only "
                "test cards (such as 4111 1111 1111 1111).",
            )

        def failed(error: Exception) -> None:
            self.demo_button.setEnabled(True)
            tell_error(self._root, "Demo customers not added", error)

        self._operations.change(
            lambda: demo.seed(actor=actor),
            touches={Topic.ACCOUNTS, Topic.CONTACTS},
            on_success=done,
            on_error=failed,
        )

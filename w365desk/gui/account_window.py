"""The account page: details, contacts, payment profiles, invoices and history of one
account, with Create Payment Profile at the top.

One window per account (the main window raises it when asked again). It re-reads the
account whenever a change touches accounts, contacts or payment methods, wherever that
change was made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QTableView,
    QTabWidget,
    QWidget,
)

from w365desk.gui.account_dialog import AccountDialog
from w365desk.gui.changes import Change, Operations, Topic
from w365desk.gui.contact_dialog import ContactDialog
from w365desk.gui.list_model import ListTableModel
from w365desk.gui.paged_model import Column
from w365desk.gui.profiles_page import ProfileActions, profile_menu
from w365desk.gui.prompts import ask, tell_error
from w365desk.gui.uiload import child, load_form
from w365desk.gui.widgets import copy_menu, prepare_table
from w365desk.services.accounts import AccountView, ContactView
from w365desk.services.actors import Actor
from w365desk.services.audit.history import HistoryEntry
from w365desk.services.bundle import Services
from w365desk.services.invoices.queries import InvoiceView
from w365desk.services.payment_profiles import PaymentProfileView, ShownStatus


def _when(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def _money(invoice: InvoiceView, amount: object) -> str:
    return f"{amount:,.2f} {invoice.currency}"


CONTACT_COLUMNS: tuple[Column[ContactView], ...] = (
    Column("Name", lambda c: c.full_name),
    Column("Email", lambda c: c.email or ""),
    Column("Phone", lambda c: c.phone or ""),
    Column("Role", lambda c: c.role or ""),
    Column("Billing", lambda c: "Billing contact" if c.is_billing else ""),
    Column("Status", lambda c: "Active" if c.is_active else "Inactive"),
)
PROFILE_COLUMNS: tuple[Column[PaymentProfileView], ...] = (
    Column("Payment method", lambda p: p.summary),
    Column("Holder", lambda p: p.holder),
    Column("Status", lambda p: p.status.label),
    Column("Default", lambda p: "Default" if p.is_default else ""),
    Column("Source", lambda p: p.source_label),
    Column("Created by", lambda p: p.created_by),
    Column("Created", lambda p: _when(p.created_at)),
)
INVOICE_COLUMNS: tuple[Column[InvoiceView], ...] = (
    Column("Number", lambda i: i.number),
    Column("Issued", lambda i: i.issue_date.isoformat()),
    Column("Due", lambda i: i.due_date.isoformat()),
    Column("Total", lambda i: _money(i, i.total), align_right=True),
    Column("Paid", lambda i: _money(i, i.amount_paid), align_right=True),
    Column("Balance", lambda i: _money(i, i.balance), align_right=True),
    Column("Status", lambda i: i.status.value.replace("_", " ").capitalize()),
    Column("Description", lambda i: i.description or ""),
)
HISTORY_COLUMNS: tuple[Column[HistoryEntry], ...] = (
    Column("When", lambda e: _when(e.occurred_at)),
    Column("Who", lambda e: e.actor),
    Column("What", lambda e: e.text),
)


@dataclass(frozen=True)
class AccountPageData:
    """Everything the page shows, read in one background query."""

    account: AccountView
    profiles: list[PaymentProfileView]
    invoices: list[InvoiceView]
    history: list[HistoryEntry]


def read_account_page(services: Services, account_id: int) -> AccountPageData:
    return AccountPageData(
        services.account_queries.get_account(account_id),
        services.payment_profile_queries.for_account(account_id),
        services.invoices.for_account(account_id),
        services.history.for_account(account_id),
    )


class AccountWindow(QObject):
    """Controller for ``ui/account_window.ui`` (a window of its own, not modal)."""

    # Create Payment Profile was asked for this account.
    payment_requested = Signal(int)
    # The window closed (its account id), so the main window can forget it.
    closed = Signal(int)
    # Every time the page has been read (again) from the database.
    loaded = Signal()

    def __init__(
        self,
        view: AccountView,
        services: Services,
        actor: Actor,
        operations: Operations,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._actor = actor
        self._operations = operations
        self.account = view
        self._closed = False
        loaded = load_form("account_window.ui", parent)
        assert isinstance(loaded, QDialog)
        self.dialog = loaded
        # A window of its own: staff keep several accounts open beside the main window.
        loaded.setWindowFlag(Qt.WindowType.Window, True)
        loaded.setModal(False)
        self.tabs = child(loaded, QTabWidget, "accountTabs")
        self.title_label = child(loaded, QLabel, "titleLabel")
        self.title_label.setStyleSheet("font-size: 16pt; font-weight: 600;")
        self.subtitle_label = child(loaded, QLabel, "subtitleLabel")
        self.create_profile_button = child(loaded, QPushButton, "createProfileButton")
        self.create_profile_button.setDefault(False)
        self.create_profile_button.setAutoDefault(False)
        self.create_profile_button.setStyleSheet("font-weight: 600;")
        self.edit_button = child(loaded, QPushButton, "editAccountButton")
        self.contacts_table = child(loaded, QTableView, "contactsTable")
        self.profiles_table = child(loaded, QTableView, "accountProfilesTable")
        self.invoices_table = child(loaded, QTableView, "invoicesTable")
        self.history_table = child(loaded, QTableView, "historyTable")
        self.contacts_label = child(loaded, QLabel, "contactsLabel")
        self.profiles_label = child(loaded, QLabel, "profilesLabel")
        self.invoices_label = child(loaded, QLabel, "invoicesLabel")
        self.history_label = child(loaded, QLabel, "historyLabel")
        self.show_inactive_contacts = child(loaded, QCheckBox, "showInactiveContacts")

        self.contacts_model: ListTableModel[ContactView] = ListTableModel(
            CONTACT_COLUMNS, dimmed=lambda c: not c.is_active, parent=self
        )
        self.profiles_model: ListTableModel[PaymentProfileView] = ListTableModel(
            PROFILE_COLUMNS, dimmed=lambda p: p.status is not ShownStatus.ACTIVE, parent=self
        )
        self.invoices_model: ListTableModel[InvoiceView] = ListTableModel(
            INVOICE_COLUMNS, parent=self
        )
        self.history_model: ListTableModel[HistoryEntry] = ListTableModel(
            HISTORY_COLUMNS, parent=self
        )
        prepare_table(
            self.contacts_table, self.contacts_model, (200, 220, 130, 140, 110), self.contact_menu
        )
        prepare_table(
            self.profiles_table,
            self.profiles_model,
            (230, 160, 80, 70, 110, 110),
            self.profile_menu,
        )
        prepare_table(
            self.invoices_table,
            self.invoices_model,
            (110, 90, 90, 110, 110, 110, 110),
            lambda: copy_menu(self.invoices_table),
        )
        prepare_table(
            self.history_table,
            self.history_model,
            (130, 180),
            lambda: copy_menu(self.history_table),
        )

        self.profile_actions = ProfileActions(loaded, services, actor, operations)
        self.contact_dialog: ContactDialog | None = None
        self.account_dialog: AccountDialog | None = None
        self.question: QMessageBox | None = None

        self.create_profile_button.clicked.connect(self.request_payment_profile)
        self.edit_button.clicked.connect(self.edit_account)
        child(loaded, QPushButton, "addContactButton").clicked.connect(self.add_contact)
        child(loaded, QPushButton, "editContactButton").clicked.connect(self.edit_selected_contact)
        child(loaded, QPushButton, "billingContactButton").clicked.connect(
            self.make_selected_billing
        )
        self.contact_status_button = child(loaded, QPushButton, "contactStatusButton")
        self.contact_status_button.clicked.connect(self.toggle_selected_contact)
        self.show_inactive_contacts.toggled.connect(self._show_contacts)
        profile_buttons: dict[str, Callable[[PaymentProfileView], object]] = {
            "setDefaultButton": self.profile_actions.set_default,
            "syncButton": self.profile_actions.sync,
            "validateButton": self.profile_actions.validate,
            "deactivateProfileButton": self.profile_actions.deactivate,
        }
        for name, act in profile_buttons.items():
            child(loaded, QPushButton, name).clicked.connect(
                lambda _checked=False, act=act: self._on_profile(act)
            )
        self.contacts_table.doubleClicked.connect(lambda _index: self.edit_selected_contact())
        self.contacts_table.installEventFilter(self)
        self.profiles_table.installEventFilter(self)
        self.contacts_table.selectionModel().currentRowChanged.connect(
            lambda _current, _previous: self._label_contact_button()
        )
        for text, shortcut, handler in (
            ("Create Payment Profile", "Ctrl+P", self.request_payment_profile),
            ("Edit Account", "Ctrl+E", self.edit_account),
            ("Add Contact", "Ctrl+Shift+N", self.add_contact),
        ):
            action = QAction(text, loaded)
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(handler)
            loaded.addAction(action)
        child(loaded, QDialogButtonBox, "buttonBox").rejected.connect(loaded.close)
        loaded.finished.connect(self._finished)
        operations.changes.changed.connect(self._data_changed)
        self._show_account(view)

    # ------------------------------------------------------------------ window

    def show(self) -> None:
        self.dialog.show()
        self.reload()

    def raise_(self) -> None:
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()

    def _finished(self, _result: int) -> None:
        self._closed = True  # reads still on their way find nothing to fill
        self._operations.changes.changed.disconnect(self._data_changed)
        self.closed.emit(self.account.id)
        self.dialog.deleteLater()
        self.deleteLater()

    def reload(self) -> None:
        services, account_id = self._services, self.account.id
        self._operations.query(
            lambda: read_account_page(services, account_id),
            on_success=self._show,
            on_error=lambda error: (
                None
                if self._closed
                else tell_error(self.dialog, "The account could not be read", error)
            ),
        )

    def _data_changed(self, change: Change) -> None:
        if change.touches(Topic.ACCOUNTS, Topic.CONTACTS, Topic.PAYMENT_PROFILES):
            self.reload()

    def _show(self, data: AccountPageData) -> None:
        if self._closed:
            return
        self._show_account(data.account)
        self.profiles_model.set_rows(data.profiles)
        self.invoices_model.set_rows(data.invoices)
        self.history_model.set_rows(data.history)
        active = sum(1 for p in data.profiles if p.status is not ShownStatus.INACTIVE)
        self.profiles_label.setText(
            f"{len(data.profiles)} payment method(s), {active} in use."
            if data.profiles
            else "No payment methods yet. Choose Create Payment Profile to store a card or "
            "bank account for this customer."
        )
        owed = [i for i in data.invoices if i.balance > 0]
        self.invoices_label.setText(
            f"{len(data.invoices)} invoice(s), {len(owed)} with a balance due."
            if data.invoices
            else "No invoices for this account yet."
        )
        self.history_label.setText(
            "" if data.history else "Nothing has been recorded for this account yet."
        )
        self.loaded.emit()

    def _show_account(self, view: AccountView) -> None:
        self.account = view
        self.dialog.setWindowTitle(f"{view.name} — account {view.number}")
        self.title_label.setText(view.name)
        status = "Active" if view.is_active else "Inactive"
        self.subtitle_label.setText(f"Account {view.number} · {status}")
        child(self.dialog, QLabel, "numberValue").setText(view.number)
        child(self.dialog, QLabel, "statusValue").setText(status)
        child(self.dialog, QLabel, "emailValue").setText(view.primary_email or "—")
        child(self.dialog, QLabel, "phoneValue").setText(view.phone or "—")
        address = [
            view.address_line1,
            view.address_line2,
            " ".join(p for p in (view.city, view.state, view.postal_code) if p),
            view.country,
        ]
        child(self.dialog, QLabel, "addressValue").setText(
            "\n".join(p for p in address if p) or "—"
        )
        child(self.dialog, QLabel, "currencyValue").setText(view.currency)
        billing = view.billing_contact
        child(self.dialog, QLabel, "billingValue").setText(
            f"{billing.full_name}" + (f" <{billing.email}>" if billing.email else "")
            if billing
            else "None: choose one on the Contacts tab"
        )
        child(self.dialog, QLabel, "gatewayValue").setText(
            view.gateway_customer_profile_id or "Created with the first payment method"
        )
        child(self.dialog, QLabel, "createdValue").setText(_when(view.created_at))
        self.create_profile_button.setEnabled(view.is_active)
        self.create_profile_button.setToolTip(
            "Store a card or bank account for this customer (Ctrl+P)"
            if view.is_active
            else "Reactivate the account to store a payment method for it."
        )
        self._show_contacts()

    def request_payment_profile(self) -> None:
        if self.account.is_active:
            self.payment_requested.emit(self.account.id)

    def edit_account(self) -> AccountDialog:
        dialog = AccountDialog(
            self._services.accounts,
            self._actor,
            self._operations,
            self.dialog,
            existing=self.account,
        )
        self.account_dialog = dialog
        dialog.dialog.open()
        return dialog

    # ------------------------------------------------------------------ contacts

    def _show_contacts(self) -> None:
        contacts = self.account.contacts
        shown = (
            contacts
            if self.show_inactive_contacts.isChecked()
            else tuple(c for c in contacts if c.is_active)
        )
        self.contacts_model.set_rows(sorted(shown, key=lambda c: (not c.is_billing, c.full_name)))
        hidden = len(contacts) - len(shown)
        if not contacts:
            self.contacts_label.setText(
                "No contacts yet. Add the person who pays the invoices as the billing contact."
            )
        elif self.account.billing_contact is None:
            self.contacts_label.setText(
                "No billing contact: select a contact and choose Make Billing Contact."
            )
        else:
            self.contacts_label.setText(f"{hidden} inactive contact(s) hidden." if hidden else "")
        self._label_contact_button()

    def selected_contact(self) -> ContactView | None:
        index = self.contacts_table.currentIndex()
        return self.contacts_model.row_at(index.row()) if index.isValid() else None

    def _label_contact_button(self) -> None:
        contact = self.selected_contact()
        reactivate = contact is not None and not contact.is_active
        self.contact_status_button.setText("&Reactivate" if reactivate else "&Deactivate…")

    def add_contact(self) -> ContactDialog:
        return self._open_contact(None)

    def edit_selected_contact(self) -> None:
        contact = self.selected_contact()
        if contact is not None:
            self._open_contact(contact)

    def _open_contact(self, contact: ContactView | None) -> ContactDialog:
        dialog = ContactDialog(
            self._services.contacts,
            self.account.id,
            self._actor,
            self._operations,
            self.dialog,
            existing=contact,
            billing=contact is None and self.account.billing_contact is None,
        )
        self.contact_dialog = dialog
        dialog.dialog.open()
        return dialog

    def make_selected_billing(self) -> None:
        contact = self.selected_contact()
        if contact is None or contact.is_billing:
            return
        contacts, actor, account_id = self._services.contacts, self._actor, self.account.id
        self._contact_change(
            lambda: contacts.set_billing_contact(account_id, contact.id, actor=actor),
            "The billing contact was not changed",
        )

    def toggle_selected_contact(self) -> None:
        contact = self.selected_contact()
        if contact is None:
            return
        contacts, actor = self._services.contacts, self._actor
        if not contact.is_active:
            self._contact_change(
                lambda: contacts.reactivate_contact(contact.id, actor=actor),
                "The contact was not reactivated",
            )
            return
        extra = (
            " They are the billing contact; the account will have none until you choose another."
            if contact.is_billing
            else ""
        )
        self.question = ask(
            self.dialog,
            "Deactivate contact",
            f"Deactivate {contact.full_name}?",
            informative="They stay in the history and can be reactivated." + extra,
            yes="Deactivate",
            on_yes=lambda: self._contact_change(
                lambda: contacts.deactivate_contact(contact.id, actor=actor),
                "The contact was not deactivated",
            ),
        )

    def _contact_change(self, work: Callable[[], object], failure: str) -> None:
        self._operations.change(
            work,
            touches={Topic.CONTACTS, Topic.ACCOUNTS},
            on_success=lambda _result: None,
            on_error=lambda error: tell_error(self.dialog, failure, error),
        )

    def contact_menu(self) -> QMenu:
        contact = self.selected_contact()
        menu = QMenu(self.contacts_table)
        entries: list[tuple[str, Callable[[], object], bool]] = [
            ("Add Contact…", self.add_contact, True),
            ("Edit…\tEnter", self.edit_selected_contact, contact is not None),
            (
                "Make Billing Contact",
                self.make_selected_billing,
                bool(contact and contact.is_active and not contact.is_billing),
            ),
            (
                "Reactivate" if contact and not contact.is_active else "Deactivate…\tDel",
                self.toggle_selected_contact,
                contact is not None,
            ),
        ]
        for text, handler, enabled in entries:
            action = QAction(text, menu)
            action.setEnabled(enabled)
            action.triggered.connect(handler)
            menu.addAction(action)
        return menu

    # ------------------------------------------------------------------ payment methods

    def selected_profile(self) -> PaymentProfileView | None:
        index = self.profiles_table.currentIndex()
        return self.profiles_model.row_at(index.row()) if index.isValid() else None

    def _on_profile(self, act: Callable[[PaymentProfileView], object]) -> None:
        profile = self.selected_profile()
        if profile is not None:
            act(profile)

    def profile_menu(self) -> QMenu:
        return profile_menu(self.profiles_table, self.selected_profile(), self.profile_actions)

    # ------------------------------------------------------------------ keys

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not (isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress):
            return False
        key = event.key()
        if watched is self.contacts_table:
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_F2):
                self.edit_selected_contact()
                return True
            if key == Qt.Key.Key_Delete:
                contact = self.selected_contact()
                if contact is not None and contact.is_active:
                    self.toggle_selected_contact()
                return True
        if watched is self.profiles_table and key == Qt.Key.Key_Delete:
            self._on_profile(self.profile_actions.deactivate)
            return True
        return False

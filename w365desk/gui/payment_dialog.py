"""Create Payment Profile: store a customer's card or US bank account (Direct Entry).

Everything that can be checked here is checked before the gateway is asked, with the
message beside the field; the save runs in the background and cannot be pressed twice;
each refusal of the gateway gets its own message (a duplicate can be used as it is). The
card and account number fields are emptied when the dialog closes, and nothing typed
into them is logged, stored or shown in an error.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QWidget,
)

from w365desk.cards import BRAND_LABELS, UNKNOWN, card_brand, group_card_digits
from w365desk.gui.changes import Operations, Topic
from w365desk.gui.contact_dialog import ContactDialog
from w365desk.gui.field_errors import FieldErrors
from w365desk.gui.form_guard import FormGuard
from w365desk.gui.messages import describe_error
from w365desk.gui.prompts import ask
from w365desk.gui.uiload import child, load_form
from w365desk.services.accounts import AccountView, ContactView
from w365desk.services.actors import Actor
from w365desk.services.bundle import Services
from w365desk.services.errors import (
    DuplicatePaymentRecord,
    FieldProblem,
    GatewayLimitReached,
    GatewayNotSetUp,
    GatewayUnavailable,
    OutcomeUnknown,
    PaymentDeclined,
    PaymentMethodRefused,
    ValidationError,
)
from w365desk.services.payment_profiles import (
    BankEntry,
    BillingEntry,
    CardEntry,
    PaymentProfileView,
)
from w365desk.services.payment_profiles.inputs import BANK_ACCOUNT_TYPE_LABELS

COUNTRIES = (
    ("US", "United States"),
    ("CA", "Canada"),
    ("GB", "United Kingdom"),
    ("IE", "Ireland"),
    ("AU", "Australia"),
    ("NZ", "New Zealand"),
    ("DE", "Germany"),
    ("FR", "France"),
    ("NL", "Netherlands"),
    ("MX", "Mexico"),
)
_COUNTRY_NAMES = dict(COUNTRIES)

# Service field name -> the widget whose form row shows that field's message.
_CARD_FIELDS = {
    "card_number": "cardNumberRow",
    "exp_month": "expiryRow",
    "exp_year": "expiryRow",
    "expiration": "expiryRow",
    "cvv": "cvvEdit",
    "name_on_card": "nameOnCardEdit",
}
_BANK_FIELDS = {
    "routing_number": "routingEdit",
    "account_number": "bankAccountEdit",
    "account_type": "accountTypeCombo",
    "name_on_account": "nameOnAccountEdit",
}
_BILLING_FIELDS = {
    "first_name": "billingFirstEdit",
    "last_name": "billingLastEdit",
    "company": "billingCompanyEdit",
    "address": "billingAddressEdit",
    "city": "billingCityEdit",
    "country": "countryCombo",
    "state": "billingStateEdit",
    "zip": "billingZipEdit",
    "phone": "billingPhoneEdit",
}
_ANCHORS = {**_CARD_FIELDS, **_BANK_FIELDS, **_BILLING_FIELDS}
# The box to mark where a field's row holds more than one.
_INPUTS = {
    "card_number": "cardNumberEdit",
    "exp_month": "expMonthEdit",
    "exp_year": "expYearEdit",
    "expiration": "expMonthEdit",
}
# Fields a gateway refusal may name that have no box of their own.
_WHOLE_METHOD = {"payment_method", "card_token", "request"}


def country_code(text: str) -> str:
    """The two-letter code of what the country box shows ("US — United States" → "US")."""
    head = text.split("—", 1)[0].strip()
    return head.upper() if len(head) == 2 else head


class PaymentDialog(QObject):
    """Controller for ``ui/payment_dialog.ui``. Not modal: staff may look something up
    (or fix the gateway settings) and come back to what they typed."""

    saved = Signal(object)  # the stored PaymentProfileView
    open_settings_requested = Signal()

    def __init__(
        self,
        account: AccountView,
        services: Services,
        actor: Actor,
        operations: Operations,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.account = account
        self._services = services
        self._actor = actor
        self._operations = operations
        loaded = load_form("payment_dialog.ui", parent)
        assert isinstance(loaded, QDialog)
        self.dialog = loaded
        loaded.setWindowTitle(f"Create Payment Profile — {account.name}")
        child(loaded, QLabel, "accountLabel").setText(
            f"<b>{_escaped(account.name)}</b> · account {_escaped(account.number)}"
        )
        self.contact_combo = child(loaded, QComboBox, "contactCombo")
        self.card_radio = child(loaded, QRadioButton, "cardRadio")
        self.bank_radio = child(loaded, QRadioButton, "bankRadio")
        self.method_stack = child(loaded, QStackedWidget, "methodStack")
        self.brand_label = child(loaded, QLabel, "brandLabel")
        self.account_type = child(loaded, QComboBox, "accountTypeCombo")
        for value, label in BANK_ACCOUNT_TYPE_LABELS.items():
            self.account_type.addItem(label, value)
        self.country = child(loaded, QComboBox, "countryCombo")
        for code, name in COUNTRIES:
            self.country.addItem(f"{code} — {name}", code)
        self.state_label = child(loaded, QLabel, "stateLabel")
        self.zip_label = child(loaded, QLabel, "zipLabel")
        self.message_label = child(loaded, QLabel, "messageLabel")
        self.message_label.setStyleSheet("color: #c62828;")
        self.busy_bar = child(loaded, QProgressBar, "busyBar")
        self.busy_bar.hide()
        self.settings_button = child(loaded, QPushButton, "openSettingsButton")
        self.settings_button.hide()
        self.settings_button.clicked.connect(self.open_settings_requested)
        self.add_contact_button = child(loaded, QPushButton, "addContactButton")
        self.add_contact_button.clicked.connect(self.add_contact)
        buttons = child(loaded, QDialogButtonBox, "buttonBox")
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("Save Payment Profile")
        self.cancel_button = buttons.button(QDialogButtonBox.StandardButton.Cancel)

        self.card_number = self.edit("cardNumberEdit")
        self._secret_edits = [
            self.card_number,
            self.edit("cvvEdit"),
            self.edit("routingEdit"),
            self.edit("bankAccountEdit"),
        ]
        self.errors = FieldErrors(loaded, _ANCHORS, _INPUTS)
        self.contact_dialog: ContactDialog | None = None
        self.question: QMessageBox | None = None
        self._prefilled: dict[str, str] = {}

        self._fill_contacts(account.active_contacts, account.billing_contact)
        self._fill_address(account)
        self.card_radio.toggled.connect(self._method_changed)
        self.card_number.textEdited.connect(self._card_number_edited)
        self.contact_combo.currentIndexChanged.connect(self._contact_changed)
        self.country.currentTextChanged.connect(self._country_changed)
        self._country_changed(self.country.currentText())
        self._contact_changed()
        self.guard = FormGuard(loaded, self._snapshot)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.guard.request_close)
        loaded.finished.connect(self._finished)

    # ------------------------------------------------------------------ form

    def edit(self, name: str) -> QLineEdit:
        return child(self.dialog, QLineEdit, name)

    def error_text(self, field: str) -> str:
        return self.errors.text(field)

    def _snapshot(self) -> tuple[object, ...]:
        edits = self.dialog.findChildren(QLineEdit)
        return (
            tuple(edit.text() for edit in edits if edit.objectName()),
            self.card_radio.isChecked(),
            self.account_type.currentIndex(),
            self.country.currentText(),
        )

    def _fill_contacts(
        self, contacts: tuple[ContactView, ...], selected: ContactView | None
    ) -> None:
        self.contact_combo.blockSignals(True)
        self.contact_combo.clear()
        for contact in contacts:
            text = contact.full_name + (f" <{contact.email}>" if contact.email else "")
            if contact.is_billing:
                text += " (billing contact)"
            self.contact_combo.addItem(text, contact)
        if not contacts:
            self.contact_combo.addItem("No contacts yet: add one, or type the billing name")
            self.contact_combo.setEnabled(False)
        else:
            self.contact_combo.setEnabled(True)
            ids = [c.id for c in contacts]
            if selected is not None and selected.id in ids:
                self.contact_combo.setCurrentIndex(ids.index(selected.id))
        self.contact_combo.blockSignals(False)

    def _fill_address(self, account: AccountView) -> None:
        values = {
            "billingCompanyEdit": account.name,
            "billingAddressEdit": " ".join(
                p for p in (account.address_line1, account.address_line2) if p
            ),
            "billingCityEdit": account.city or "",
            "billingStateEdit": account.state or "",
            "billingZipEdit": account.postal_code or "",
        }
        for name, value in values.items():
            self.edit(name).setText(value[:60])
        code = (account.country or "US").upper()
        index = self.country.findData(code)
        if index >= 0:
            self.country.setCurrentIndex(index)
        else:
            self.country.setEditText(code)

    def selected_contact(self) -> ContactView | None:
        data = self.contact_combo.currentData()
        return data if isinstance(data, ContactView) else None

    def _contact_changed(self) -> None:
        """Fill the billing name and phone from the contact, unless staff changed them."""
        contact = self.selected_contact()
        wanted = {
            "billingFirstEdit": contact.first_name if contact else "",
            "billingLastEdit": contact.last_name if contact else "",
            "billingPhoneEdit": (contact.phone or "") if contact else "",
        }
        for name, value in wanted.items():
            edit = self.edit(name)
            if edit.text() in ("", self._prefilled.get(name, "")):
                edit.setText(value)
                self._prefilled[name] = value
        name_on_card = self.edit("nameOnCardEdit")
        full = contact.full_name if contact else ""
        if name_on_card.text() in ("", self._prefilled.get("nameOnCardEdit", "")):
            name_on_card.setText(full)
            self._prefilled["nameOnCardEdit"] = full

    def add_contact(self) -> ContactDialog:
        dialog = ContactDialog(
            self._services.contacts,
            self.account.id,
            self._actor,
            self._operations,
            self.dialog,
            billing=self.account.billing_contact is None,
        )
        dialog.saved.connect(self._contact_added)
        self.contact_dialog = dialog
        dialog.dialog.open()
        return dialog

    def _contact_added(self, contact: ContactView) -> None:
        contacts = (*self.account.active_contacts, contact)
        self.account = _with_contacts(self.account, contacts)
        self._fill_contacts(contacts, contact)
        self._contact_changed()

    def _method_changed(self, card: bool) -> None:
        self.method_stack.setCurrentIndex(0 if card else 1)
        self._clear_errors()

    def _card_number_edited(self, text: str) -> None:
        """Group the digits as on the card and name the brand, keeping the cursor's place."""
        cursor = self.card_number.cursorPosition()
        digits_before_cursor = sum(1 for c in text[:cursor] if c.isdigit())
        grouped = group_card_digits(text)
        if grouped != text:
            self.card_number.setText(grouped)
            position, seen = 0, 0
            while position < len(grouped) and seen < digits_before_cursor:
                if grouped[position].isdigit():
                    seen += 1
                position += 1
            self.card_number.setCursorPosition(position)
        brand = card_brand(grouped.replace(" ", "")) if len(grouped) >= 2 else UNKNOWN
        self.brand_label.setText(BRAND_LABELS.get(brand, ""))

    def _country_changed(self, text: str) -> None:
        code = country_code(text)
        self.state_label.setText(
            {"US": "State", "CA": "Province"}.get(code, "State / region (optional)")
        )
        self.zip_label.setText({"US": "ZIP code", "CA": "Postal code"}.get(code, "Postcode"))
        self.edit("billingStateEdit").setPlaceholderText(
            {"US": "e.g. WA", "CA": "e.g. ON"}.get(code, "")
        )
        self.edit("billingZipEdit").setPlaceholderText(
            {"US": "12345 or 12345-6789", "CA": "K1A 0B1"}.get(code, "")
        )

    # ------------------------------------------------------------------ entries

    def method_entry(self) -> CardEntry | BankEntry:
        if self.card_radio.isChecked():
            return CardEntry(
                number=self.card_number.text(),
                exp_month=self.edit("expMonthEdit").text(),
                exp_year=self.edit("expYearEdit").text(),
                cvv=self.edit("cvvEdit").text(),
                name_on_card=self.edit("nameOnCardEdit").text(),
            )
        return BankEntry(
            routing_number=self.edit("routingEdit").text(),
            account_number=self.edit("bankAccountEdit").text(),
            account_type=str(self.account_type.currentData()),
            name_on_account=self.edit("nameOnAccountEdit").text(),
        )

    def billing_entry(self) -> BillingEntry:
        text = {name: self.edit(widget).text() for name, widget in _BILLING_FIELDS.items()
                if name != "country"}  # fmt: skip
        return BillingEntry(**text, country=country_code(self.country.currentText()))

    # ------------------------------------------------------------------ saving

    def save(self) -> None:
        if self.guard.busy:
            return  # a save is on its way; a second press must not store it twice
        self._clear_errors()
        method, billing = self.method_entry(), self.billing_entry()
        problems = self._services.payment_profiles.problems(method, billing)
        if problems:
            self._show_problems(problems)
            return
        use_cases, actor, account_id = self._services.payment_profiles, self._actor, self.account.id
        self._run(lambda: use_cases.add(account_id, method, billing, actor=actor))

    def use_existing(self, payment_profile_id: str) -> None:
        use_cases, actor, account_id = self._services.payment_profiles, self._actor, self.account.id
        self._clear_errors()
        self._run(lambda: use_cases.use_existing(account_id, payment_profile_id, actor=actor))

    def _run(self, work: Callable[[], PaymentProfileView]) -> None:
        self._set_busy(True)
        self.message_label.setStyleSheet("color: palette(text);")
        self.message_label.setText("Saving at the gateway…")
        self._operations.change(
            work,
            touches={Topic.PAYMENT_PROFILES, Topic.ACCOUNTS},
            on_success=self._saved,
            on_error=self._failed,
            origin=self,
        )

    def _saved(self, view: PaymentProfileView) -> None:
        self._set_busy(False)
        self.saved.emit(view)
        self.guard.close_after_save()

    def _failed(self, error: Exception) -> None:
        self._set_busy(False)
        self.message_label.setStyleSheet("color: #c62828;")
        self.message_label.clear()
        if isinstance(error, ValidationError):
            self._show_problems(list(error.problems))
        elif isinstance(error, PaymentMethodRefused):
            if error.field in _WHOLE_METHOD or error.field not in self.errors:
                self._say(error.message)
            else:
                self._show_problems([FieldProblem(error.field, error.message)])
                self._say("The gateway refused this payment method; see the marked field.")
        elif isinstance(error, DuplicatePaymentRecord) and error.existing_id:
            self._offer_existing(error, error.existing_id)
        elif isinstance(error, PaymentDeclined):
            self._say(f"Declined: {error.message}")
        elif isinstance(error, GatewayLimitReached):
            self._say(
                f"{error.message} Deactivate a payment method this customer no longer uses, "
                "then try again."
            )
        elif isinstance(error, GatewayNotSetUp):
            self._say(f"{error.message} Check the gateway settings.")
            self.settings_button.show()
        elif isinstance(error, GatewayUnavailable):
            self._say(f"{error.message} Nothing was stored; what you typed is still here.")
        elif isinstance(error, OutcomeUnknown):
            self._say(
                f"{error.message} The gateway may have stored it: check this account's "
                "payment profiles (Sync) before trying again."
            )
        else:
            self._say(describe_error(error))

    def _offer_existing(self, error: DuplicatePaymentRecord, existing_id: str) -> None:
        self._say(error.message)
        self.question = ask(
            self.dialog,
            "Already stored at the gateway",
            "This payment method is already stored at the gateway for this customer.",
            informative="Use the stored one for this account instead of adding it again?",
            yes="Use Existing Profile",
            no="Go Back",
            on_yes=lambda: self.use_existing(existing_id),
            destructive=False,
        )

    def _say(self, text: str) -> None:
        self.message_label.setText(text)

    def _show_problems(self, problems: list[FieldProblem]) -> None:
        unplaced = self.errors.show(problems)
        if unplaced:
            self._say("\n".join(problem.message for problem in unplaced))
        elif problems:
            self._say(
                "Please correct the marked field."
                if len(problems) == 1
                else f"Please correct the {len(problems)} marked fields."
            )

    def _clear_errors(self) -> None:
        self.message_label.clear()
        self.settings_button.hide()
        self.errors.clear()

    def _set_busy(self, busy: bool) -> None:
        self.guard.busy = busy
        self.busy_bar.setVisible(busy)
        self.save_button.setEnabled(not busy)
        self.cancel_button.setEnabled(not busy)
        child(self.dialog, QWidget, "directEntryTab").setEnabled(not busy)

    @property
    def busy(self) -> bool:
        return self.guard.busy

    def _finished(self, _result: int) -> None:
        """Card and account numbers leave memory's widgets with the dialog."""
        for edit in self._secret_edits:
            edit.clear()
        self.dialog.deleteLater()
        self.deleteLater()


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _with_contacts(account: AccountView, contacts: tuple[ContactView, ...]) -> AccountView:
    return dataclasses.replace(account, contacts=contacts)

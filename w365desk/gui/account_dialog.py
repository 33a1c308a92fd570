"""Create or edit an account (and, when creating, its billing contact)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QWidget,
)

from w365desk.gui.changes import Operations, Topic
from w365desk.gui.field_errors import INVALID_STYLE
from w365desk.gui.form_guard import FormGuard
from w365desk.gui.prompts import ask
from w365desk.gui.uiload import child, load_form
from w365desk.services.accounts import (
    DEFAULT_CURRENCY,
    AccountEditor,
    AccountInput,
    AccountView,
    ContactInput,
)
from w365desk.services.actors import Actor
from w365desk.services.errors import (
    ConflictError,
    PossibleDuplicates,
    ServiceError,
    ValidationError,
)

# Service field name -> widget name in ui/account_dialog.ui.
_ACCOUNT_WIDGETS = {
    "name": "nameEdit",
    "number": "numberEdit",
    "primary_email": "emailEdit",
    "phone": "phoneEdit",
    "currency": "currencyEdit",
    "address_line1": "address1Edit",
    "address_line2": "address2Edit",
    "city": "cityEdit",
    "state": "stateEdit",
    "postal_code": "postalEdit",
    "country": "countryEdit",
}
_CONTACT_WIDGETS = {
    "first_name": "contactFirstEdit",
    "last_name": "contactLastEdit",
    "email": "contactEmailEdit",
    "phone": "contactPhoneEdit",
}


class AccountDialog(QObject):
    """Controller for the account form. Emits ``saved`` with the stored ``AccountView``."""

    saved = Signal(object)

    def __init__(
        self,
        accounts: AccountEditor,
        actor: Actor,
        operations: Operations,
        parent: QWidget | None = None,
        existing: AccountView | None = None,
    ) -> None:
        super().__init__(parent)
        self._accounts = accounts
        self._actor = actor
        self._operations = operations
        self._existing = existing
        loaded = load_form("account_dialog.ui", parent)
        assert isinstance(loaded, QDialog)
        self.dialog = loaded
        self._edits = {
            name: child(self.dialog, QLineEdit, widget) for name, widget in _ACCOUNT_WIDGETS.items()
        }
        self._contact_edits = {
            name: child(self.dialog, QLineEdit, widget) for name, widget in _CONTACT_WIDGETS.items()
        }
        self.error_label = child(self.dialog, QLabel, "errorLabel")
        self.error_label.setStyleSheet("color: #c62828;")
        self.status_button = child(self.dialog, QPushButton, "statusButton")
        buttons = child(self.dialog, QDialogButtonBox, "buttonBox")
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.cancel_button = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        self.status_button.clicked.connect(self._toggle_status)
        self.question: QMessageBox | None = None
        # A closed dialog (and this controller) is freed, not kept until the app exits.
        self.dialog.finished.connect(self.dialog.deleteLater)
        self.dialog.finished.connect(self.deleteLater)
        if existing is None:
            self.dialog.setWindowTitle("New Account")
            self._edits["currency"].setText(DEFAULT_CURRENCY)
            self.status_button.hide()
        else:
            self.dialog.setWindowTitle(f"Account {existing.number}")
            self._fill(existing)
            # Contacts of an existing account are managed on the account page.
            child(self.dialog, QGroupBox, "contactGroup").hide()
            self._label_status_button()
        # Closing with unsaved changes asks; while a save runs the dialog stays open (the
        # save would go on, and staff would not learn whether it happened).
        self.guard = FormGuard(self.dialog, self._snapshot)
        buttons.rejected.connect(self.guard.request_close)

    def _snapshot(self) -> tuple[str, ...]:
        return tuple(edit.text() for edit in (*self._edits.values(), *self._contact_edits.values()))

    def _fill(self, view: AccountView) -> None:
        for name, edit in self._edits.items():
            edit.setText(getattr(view, name) or "")

    def _label_status_button(self) -> None:
        assert self._existing is not None
        self.status_button.setText("Deactivate…" if self._existing.is_active else "Reactivate")

    def field_edit(self, name: str) -> QLineEdit:
        return self._edits.get(name) or self._contact_edits[name]

    def _account_input(self) -> AccountInput:
        text = {name: edit.text() for name, edit in self._edits.items()}
        return AccountInput(
            name=text["name"],
            number=text["number"] or None,
            primary_email=text["primary_email"],
            phone=text["phone"],
            currency=text["currency"],
            address_line1=text["address_line1"],
            address_line2=text["address_line2"],
            city=text["city"],
            state=text["state"],
            postal_code=text["postal_code"],
            country=text["country"],
        )

    def _contact_inputs(self) -> list[ContactInput]:
        text = {name: edit.text().strip() for name, edit in self._contact_edits.items()}
        if not any(text.values()):
            return []
        return [
            ContactInput(
                first_name=text["first_name"],
                last_name=text["last_name"],
                email=text["email"],
                phone=text["phone"],
                is_billing=True,
            )
        ]

    def save(self, *, allow_duplicates: bool = False) -> None:
        self._clear_errors()
        data = self._account_input()
        existing = self._existing
        actor = self._actor
        if existing is None:
            contacts = self._contact_inputs()

            def work() -> AccountView:
                return self._accounts.create_account(
                    data, contacts, actor=actor, allow_duplicates=allow_duplicates
                )
        else:

            def work() -> AccountView:
                return self._accounts.update_account(
                    existing.id,
                    data,
                    actor=actor,
                    expected_updated_at=existing.updated_at,
                    allow_duplicates=allow_duplicates,
                )

        self._run(work, self._on_saved)

    def _toggle_status(self) -> None:
        existing = self._existing
        assert existing is not None
        self._clear_errors()
        if existing.is_active:
            self.question = ask(
                self.dialog,
                "Deactivate account",
                f"Deactivate account {existing.number} ({existing.name})?",
                informative=(
                    "It leaves the list, search and charging; its history, contacts and "
                    "payment methods are kept, and it can be reactivated."
                ),
                yes="Deactivate",
                on_yes=lambda: self._set_status(active=False),
            )
        else:
            self._set_status(active=True)

    def _set_status(self, *, active: bool) -> None:
        existing = self._existing
        assert existing is not None
        actor = self._actor

        def work() -> AccountView:
            if active:
                return self._accounts.reactivate_account(existing.id, actor=actor)
            return self._accounts.deactivate_account(existing.id, actor=actor)

        self._run(work, self._on_status_changed)

    def _run(self, work: Callable[[], AccountView], done: Callable[[AccountView], None]) -> None:
        self._set_busy(True)
        self._operations.change(
            work,
            touches={Topic.ACCOUNTS, Topic.CONTACTS},
            on_success=done,
            on_error=self._on_error,
            origin=self,
        )

    def _on_saved(self, view: AccountView) -> None:
        self._set_busy(False)
        self.saved.emit(view)
        self.guard.close_after_save()

    def _on_status_changed(self, view: AccountView) -> None:
        """The status changed; whatever was typed meanwhile stays in the form, unsaved."""
        self._set_busy(False)
        self._existing = view  # later saves compare against this version
        self._label_status_button()
        self.saved.emit(view)

    def _on_error(self, error: Exception) -> None:
        self._set_busy(False)
        if isinstance(error, PossibleDuplicates):
            self._ask_about_duplicates(error)
        elif isinstance(error, ValidationError):
            lines = []
            for problem in error.problems:
                edit = self._edit_for_field(problem.field)
                if edit is not None:
                    edit.setStyleSheet(INVALID_STYLE)
                lines.append(problem.message)
            self.error_label.setText("\n".join(lines))
            first = self._edit_for_field(error.field)
            if first is not None:
                first.setFocus()
        elif isinstance(error, ConflictError):
            if error.field and (edit := self._edit_for_field(error.field)):
                edit.setStyleSheet(INVALID_STYLE)
            self.error_label.setText(error.message)
        elif isinstance(error, ServiceError):
            self.error_label.setText(error.message)
        else:
            self.error_label.setText(
                f"The account could not be saved ({type(error).__name__}). "
                "Nothing was changed; please try again."
            )

    def _ask_about_duplicates(self, error: PossibleDuplicates) -> None:
        listed = "\n".join(
            f"• {m.number} {m.name}" + (f" ({m.email})" if m.email else "") + f": {m.reason}"
            for m in error.matches
        )
        self.error_label.setText(error.message)
        if error.field and (edit := self._edit_for_field(error.field)):
            edit.setStyleSheet(INVALID_STYLE)
        self.question = ask(
            self.dialog,
            "Possible duplicate",
            f"{error.message}\n\n{listed}",
            informative="Save anyway if this is a different customer.",
            yes="Save Anyway",
            no="Go Back",
            on_yes=lambda: self.save(allow_duplicates=True),
            destructive=False,
        )

    def _edit_for_field(self, field: str) -> QLineEdit | None:
        if field.startswith("contacts["):
            return self._contact_edits.get(field.split(".", 1)[-1])
        return self._edits.get(field)

    def _clear_errors(self) -> None:
        self.error_label.clear()
        for edit in (*self._edits.values(), *self._contact_edits.values()):
            edit.setStyleSheet("")

    def _set_busy(self, busy: bool) -> None:
        self.guard.busy = busy
        self.save_button.setEnabled(not busy)
        self.cancel_button.setEnabled(not busy)
        self.status_button.setEnabled(not busy)

    @property
    def busy(self) -> bool:
        return self.guard.busy

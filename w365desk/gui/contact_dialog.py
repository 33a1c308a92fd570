"""Add or edit one contact of an account (the account page's Contacts tab)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QLabel, QLineEdit, QWidget

from w365desk.gui.changes import Operations, Topic
from w365desk.gui.field_errors import INVALID_STYLE
from w365desk.gui.form_guard import FormGuard
from w365desk.gui.messages import describe_error
from w365desk.gui.uiload import child, load_form
from w365desk.services.accounts import ContactEditor, ContactInput, ContactView
from w365desk.services.actors import Actor
from w365desk.services.errors import ConflictError, ValidationError

_WIDGETS = {
    "first_name": "firstNameEdit",
    "last_name": "lastNameEdit",
    "email": "emailEdit",
    "phone": "phoneEdit",
    "role": "roleEdit",
}


class ContactDialog(QObject):
    """Controller for ``ui/contact_dialog.ui``; emits ``saved`` with the ``ContactView``."""

    saved = Signal(object)

    def __init__(
        self,
        contacts: ContactEditor,
        account_id: int,
        actor: Actor,
        operations: Operations,
        parent: QWidget | None = None,
        existing: ContactView | None = None,
        *,
        billing: bool = False,
    ) -> None:
        super().__init__(parent)
        self._contacts = contacts
        self._account_id = account_id
        self._actor = actor
        self._operations = operations
        self._existing = existing
        loaded = load_form("contact_dialog.ui", parent)
        assert isinstance(loaded, QDialog)
        self.dialog = loaded
        self.edits = {name: child(loaded, QLineEdit, widget) for name, widget in _WIDGETS.items()}
        self.billing_check = child(loaded, QCheckBox, "billingCheck")
        self.error_label = child(loaded, QLabel, "errorLabel")
        self.error_label.setStyleSheet("color: #c62828;")
        buttons = child(loaded, QDialogButtonBox, "buttonBox")
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.cancel_button = buttons.button(QDialogButtonBox.StandardButton.Cancel)
        if existing is None:
            loaded.setWindowTitle("Add Contact")
            self.billing_check.setChecked(billing)
        else:
            loaded.setWindowTitle(f"Contact: {existing.full_name}")
            for name, edit in self.edits.items():
                edit.setText(getattr(existing, name) or "")
            self.billing_check.setChecked(existing.is_billing)
        self.guard = FormGuard(loaded, self._snapshot)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.guard.request_close)
        loaded.finished.connect(loaded.deleteLater)
        loaded.finished.connect(self.deleteLater)

    def _snapshot(self) -> tuple[object, ...]:
        return (*(edit.text() for edit in self.edits.values()), self.billing_check.isChecked())

    def _input(self) -> ContactInput:
        text = {name: edit.text() for name, edit in self.edits.items()}
        return ContactInput(
            first_name=text["first_name"],
            last_name=text["last_name"],
            email=text["email"] or None,
            phone=text["phone"] or None,
            role=text["role"] or None,
            is_billing=self.billing_check.isChecked(),
        )

    def save(self) -> None:
        self._clear_errors()
        data, actor, existing = self._input(), self._actor, self._existing
        problems = data.problems()
        if problems:
            self._show_error(ValidationError.from_problems(problems))
            return
        account_id = self._account_id
        if existing is None:

            def work() -> ContactView:
                return self._contacts.add_contact(account_id, data, actor=actor)
        else:

            def work() -> ContactView:
                return self._contacts.update_contact(existing.id, data, actor=actor)

        self._set_busy(True)
        self._operations.change(
            work,
            touches={Topic.CONTACTS, Topic.ACCOUNTS},
            on_success=self._saved,
            on_error=self._failed,
            origin=self,
        )

    def _saved(self, view: ContactView) -> None:
        self._set_busy(False)
        self.saved.emit(view)
        self.guard.close_after_save()

    def _failed(self, error: Exception) -> None:
        self._set_busy(False)
        self._show_error(error)

    def _show_error(self, error: Exception) -> None:
        if isinstance(error, ValidationError):
            for problem in error.problems:
                edit = self.edits.get(problem.field)
                if edit is not None:
                    edit.setStyleSheet(INVALID_STYLE)
            self.error_label.setText("\n".join(p.message for p in error.problems))
            first = self.edits.get(error.field)
            if first is not None:
                first.setFocus()
        elif isinstance(error, ConflictError) and error.field == "is_billing":
            self.billing_check.setStyleSheet("color: #c62828;")
            self.error_label.setText(error.message)
        else:
            self.error_label.setText(describe_error(error))

    def _clear_errors(self) -> None:
        self.error_label.clear()
        self.billing_check.setStyleSheet("")
        for edit in self.edits.values():
            edit.setStyleSheet("")

    def _set_busy(self, busy: bool) -> None:
        self.guard.busy = busy
        self.save_button.setEnabled(not busy)
        self.cancel_button.setEnabled(not busy)

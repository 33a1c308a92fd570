"""The Settings view: General, Gateway, Mail and Link server, each a page.

Values are saved together (Save Settings, Ctrl+S) and refused with a reason beside each
bad field; secrets are typed into password boxes and go to the keyring only (the page
shows whether each is set, never its value). Test Connection and Send Test Mail try
what is typed before it is saved. Switching to PRODUCTION asks first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from w365desk.gui.changes import Change, Operations, Topic
from w365desk.gui.field_errors import FieldErrors
from w365desk.gui.messages import describe_error
from w365desk.gui.prompts import ask
from w365desk.gui.uiload import child, load_form
from w365desk.services.actors import Actor
from w365desk.services.bundle import Services
from w365desk.services.errors import ValidationError
from w365desk.services.shared_settings import (
    GatewayEnvironment,
    SecretName,
    SecretSource,
    SettingsSnapshot,
    SharedSettings,
    SmtpSecurity,
    ValidationMode,
)

PAGES = ("general", "gateway", "mail", "link")
ENVIRONMENTS = (
    (GatewayEnvironment.OFFLINE_SANDBOX, "Offline sandbox (built in, no network, no money)"),
    (GatewayEnvironment.SANDBOX, "Authorize.Net sandbox (test account, no real money)"),
    (GatewayEnvironment.PRODUCTION, "PRODUCTION (real cards are charged)"),
)
VALIDATION_MODES = (
    (ValidationMode.TEST_MODE, "Check the details only (test mode)"),
    (ValidationMode.LIVE_MODE, "Ask the card's bank ($0 authorization, live mode)"),
    (ValidationMode.NONE, "No check"),
)
SECURITIES = (
    (SmtpSecurity.STARTTLS, "STARTTLS (port 587)"),
    (SmtpSecurity.SSL, "TLS (port 465)"),
    (SmtpSecurity.NONE, "None (local servers only)"),
)
_TEXT_FIELDS = {
    "company_name": "companyNameEdit",
    "email_from_name": "emailFromNameEdit",
    "email_from_address": "emailFromAddressEdit",
    "gateway_api_login_id": "apiLoginEdit",
    "gateway_public_client_key": "publicClientKeyEdit",
    "currency": "currencyEdit",
    "smtp_host": "smtpHostEdit",
    "smtp_username": "smtpUserEdit",
    "link_server_bind_address": "bindAddressEdit",
    "link_server_public_url": "publicUrlEdit",
    "link_server_tls_certificate": "tlsCertificateEdit",
    "link_server_tls_key": "tlsKeyEdit",
}
_NUMBER_FIELDS = {
    "link_lifetime_hours": "linkLifetimeSpin",
    "duplicate_window_seconds": "duplicateWindowSpin",
    "gateway_timeout_seconds": "timeoutSpin",
    "smtp_port": "smtpPortSpin",
    "link_server_port": "linkPortSpin",
}
_CHOICE_FIELDS = {
    "gateway_environment": "environmentCombo",
    "gateway_validation_mode": "validationModeCombo",
    "smtp_security": "smtpSecurityCombo",
}
# Qt hands a combo box's data back as plain text; each field's own type.
_CHOICE_TYPES: dict[str, type[GatewayEnvironment | ValidationMode | SmtpSecurity]] = {
    "gateway_environment": GatewayEnvironment,
    "gateway_validation_mode": ValidationMode,
    "smtp_security": SmtpSecurity,
}
_SECRET_FIELDS = {
    SecretName.GATEWAY_TRANSACTION_KEY: "transactionKeyEdit",
    SecretName.GATEWAY_SIGNATURE_KEY: "signatureKeyEdit",
    SecretName.SMTP_PASSWORD: "smtpPasswordEdit",
}
# The page each field is on, so a refusal can show the page with the first bad field.
_FIELD_PAGES = {
    **dict.fromkeys(("company_name", "email_from_name", "email_from_address"), "general"),
    "link_lifetime_hours": "general",
    **dict.fromkeys(
        (
            "gateway_environment",
            "gateway_api_login_id",
            "gateway_public_client_key",
            "gateway_validation_mode",
            "currency",
            "duplicate_window_seconds",
            "gateway_timeout_seconds",
            SecretName.GATEWAY_TRANSACTION_KEY.value,
            SecretName.GATEWAY_SIGNATURE_KEY.value,
        ),
        "gateway",
    ),
    **dict.fromkeys(
        ("smtp_host", "smtp_port", "smtp_security", "smtp_username", "test_address"), "mail"
    ),
    SecretName.SMTP_PASSWORD.value: "mail",
    **dict.fromkeys(
        (
            "link_server_bind_address",
            "link_server_port",
            "link_server_public_url",
            "link_server_tls_certificate",
            "link_server_tls_key",
        ),
        "link",
    ),
}
_ROW_ANCHORS = {
    "link_server_tls_certificate": "tlsCertificateEditRow",
    "link_server_tls_key": "tlsKeyEditRow",
}


class SettingsPage(QObject):
    """Controller of ``ui/settings_page.ui`` inside the Settings tab."""

    # The gateway in use was set up again: (its description, its environment value).
    gateway_changed = Signal(str, str)
    # Each time the values were read (again) from the database.
    loaded = Signal()
    # Each save that went through.
    saved = Signal()

    def __init__(
        self, tab: QWidget, services: Services, actor: Actor, operations: Operations
    ) -> None:
        super().__init__(tab)
        self._services = services
        self._actor = actor
        self._operations = operations
        form = load_form("settings_page.ui", tab)
        layout = tab.layout()
        if not isinstance(layout, QVBoxLayout):
            layout = QVBoxLayout(tab)
        layout.addWidget(form)
        self.form = form
        self.page_list = child(form, QListWidget, "pageList")
        self.stack = child(form, QStackedWidget, "pageStack")
        self.page_list.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.page_list.setCurrentRow(0)
        self.message = child(form, QLabel, "settingsMessage")
        self.keyring_label = child(form, QLabel, "keyringLabel")
        self.save_button = child(form, QPushButton, "saveSettingsButton")
        self.revert_button = child(form, QPushButton, "revertButton")
        self.texts = {name: child(form, QLineEdit, w) for name, w in _TEXT_FIELDS.items()}
        self.numbers = {name: child(form, QSpinBox, w) for name, w in _NUMBER_FIELDS.items()}
        self.choices = {name: child(form, QComboBox, w) for name, w in _CHOICE_FIELDS.items()}
        self.secrets = {name: child(form, QLineEdit, w) for name, w in _SECRET_FIELDS.items()}
        self.test_address = child(form, QLineEdit, "testAddressEdit")
        self.gateway_result = child(form, QLabel, "gatewayResultLabel")
        self.mail_result = child(form, QLabel, "mailResultLabel")
        for name, options in (
            ("gateway_environment", ENVIRONMENTS),
            ("gateway_validation_mode", VALIDATION_MODES),
            ("smtp_security", SECURITIES),
        ):
            for value, label in options:
                self.choices[name].addItem(label, value)
        anchors = {
            **{name: _ROW_ANCHORS.get(name, w) for name, w in _TEXT_FIELDS.items()},
            **_NUMBER_FIELDS,
            **_CHOICE_FIELDS,
            **{name.value: w for name, w in _SECRET_FIELDS.items()},
            "test_address": "testAddressEdit",
        }
        inputs = {name: _TEXT_FIELDS[name] for name in _ROW_ANCHORS}
        self.errors = FieldErrors(form, anchors, inputs)
        self.snapshot: SettingsSnapshot | None = None
        self.question: QMessageBox | None = None
        self._clean: tuple[object, ...] = ()
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(self.revert)
        child(form, QPushButton, "testConnectionButton").clicked.connect(self.test_connection)
        child(form, QPushButton, "sendTestButton").clicked.connect(self.send_test_mail)
        child(form, QPushButton, "browseCertificateButton").clicked.connect(
            lambda: self._browse(self.texts["link_server_tls_certificate"], "TLS certificate")
        )
        child(form, QPushButton, "browseKeyButton").clicked.connect(
            lambda: self._browse(self.texts["link_server_tls_key"], "TLS private key")
        )
        save_action = QAction("Save Settings", form)
        save_action.setShortcut(QKeySequence.StandardKey.Save)
        save_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        save_action.triggered.connect(self.save)
        form.addAction(save_action)
        self.choices["gateway_environment"].currentIndexChanged.connect(self._environment_shown)
        form.setEnabled(False)  # until the values are read
        operations.changes.changed.connect(self._data_changed)

    # ------------------------------------------------------------------ reading

    def show_page(self, page: str) -> None:
        self.page_list.setCurrentRow(PAGES.index(page))

    def load(self) -> None:
        editor = self._services.settings
        self._operations.query(
            editor.load,
            on_success=self._show,
            on_error=lambda error: self._say(f"The settings could not be read: {error}", bad=True),
        )

    def revert(self) -> None:
        """Back to the stored values (asking first when something was typed)."""
        if not self.dirty:
            self.load()
            return
        self.question = ask(
            self.form,
            "Revert settings",
            "Throw away the changes you typed and show the saved settings again?",
            yes="Revert",
            no="Keep Editing",
            on_yes=self.load,
        )

    def _data_changed(self, change: Change) -> None:
        # A save from another view (or desk) is shown, unless it would overwrite typing.
        if change.touches(Topic.SETTINGS) and change.origin is not self and not self.dirty:
            self.load()

    def _show(self, snapshot: SettingsSnapshot) -> None:
        self.snapshot = snapshot
        shared = snapshot.shared
        for name, edit in self.texts.items():
            edit.setText(str(getattr(shared, name)))
        for name, spin in self.numbers.items():
            spin.setValue(int(getattr(shared, name)))
        for name, combo in self.choices.items():
            combo.setCurrentIndex(max(0, combo.findData(getattr(shared, name))))
        for name, edit in self.secrets.items():
            edit.clear()
            edit.setPlaceholderText(_secret_placeholder(snapshot.secret_sources[name]))
        self.keyring_label.setText(snapshot.keyring)
        self.keyring_label.setToolTip(snapshot.keyring)
        self.errors.clear()
        self._clean = self._values()
        self.form.setEnabled(True)
        self._environment_shown()
        self.loaded.emit()

    def _values(self) -> tuple[object, ...]:
        return (
            tuple(edit.text() for edit in self.texts.values()),
            tuple(spin.value() for spin in self.numbers.values()),
            tuple(combo.currentIndex() for combo in self.choices.values()),
            tuple(edit.text() for edit in self.secrets.values()),
        )

    @property
    def dirty(self) -> bool:
        return self.snapshot is not None and self._values() != self._clean

    def draft(self) -> SharedSettings:
        """What the page holds, over the stored values of fields it does not show."""
        assert self.snapshot is not None
        values: dict[str, object] = {name: edit.text().strip() for name, edit in self.texts.items()}
        values.update({name: spin.value() for name, spin in self.numbers.items()})
        values.update({name: self.choice(name) for name in self.choices})
        values["currency"] = str(values["currency"]).upper()
        return dataclasses.replace(self.snapshot.shared, **values)  # type: ignore[arg-type]

    def choice(self, name: str) -> GatewayEnvironment | ValidationMode | SmtpSecurity:
        return _CHOICE_TYPES[name](self.choices[name].currentData())

    def typed_secrets(self) -> dict[SecretName, str | None]:
        """Each secret typed (to store); None for those left blank (unchanged)."""
        return {name: (edit.text() or None) for name, edit in self.secrets.items()}

    # ------------------------------------------------------------------ saving

    def save(self) -> None:
        if self.snapshot is None:
            return
        self.errors.clear()
        draft = self.draft()
        going_live = (
            draft.gateway_environment is GatewayEnvironment.PRODUCTION
            and self.snapshot.shared.gateway_environment is not GatewayEnvironment.PRODUCTION
        )
        if going_live:
            self.question = ask(
                self.form,
                "Switch to PRODUCTION?",
                "Switch this desk to the PRODUCTION gateway?",
                informative=(
                    "Real cards and bank accounts are charged from then on, by everyone "
                    "using this database. The status bar turns red while it is in use."
                ),
                yes="Switch to Production",
                on_yes=lambda: self._save(draft),
            )
            return
        self._save(draft)

    def _save(self, draft: SharedSettings) -> None:
        assert self.snapshot is not None
        editor, actor, base = self._services.settings, self._actor, self.snapshot.shared
        secrets = {name: value for name, value in self.typed_secrets().items() if value}
        self._set_busy(True, "Saving…")
        self._operations.change(
            lambda: editor.save(draft, secrets=secrets, base=base, actor=actor),
            touches={Topic.SETTINGS},
            on_success=lambda description: self._saved(description, draft),
            on_error=self._failed,
            origin=self,
        )

    def _saved(self, gateway_description: str | None, draft: SharedSettings) -> None:
        self._set_busy(False)
        self._say("Settings saved.")
        if gateway_description is not None:
            self.gateway_changed.emit(gateway_description, draft.gateway_environment.value)
        self.saved.emit()
        self.load()

    def _failed(self, error: Exception) -> None:
        self._set_busy(False)
        if isinstance(error, ValidationError):
            unplaced = self.errors.show(error.problems)
            page = _FIELD_PAGES.get(error.problems[0].field)
            if page is not None:
                self.show_page(page)
            extra = " ".join(problem.message for problem in unplaced)
            count = len(error.problems)
            self._say(
                f"Not saved: {'a field needs' if count == 1 else f'{count} fields need'} "
                f"correcting. {extra}".strip(),
                bad=True,
            )
        else:
            self._say(f"Not saved: {describe_error(error)}", bad=True)

    # ------------------------------------------------------------------ trying

    def test_connection(self) -> None:
        if self.snapshot is None:
            return
        editor, draft = self._services.settings, self.draft()
        key = self.secrets[SecretName.GATEWAY_TRANSACTION_KEY].text() or None
        self._try(
            lambda: editor.test_gateway(draft, key),
            self.gateway_result,
            "Testing the connection…",
        )

    def send_test_mail(self) -> None:
        if self.snapshot is None:
            return
        editor, draft = self._services.settings, self.draft()
        password = self.secrets[SecretName.SMTP_PASSWORD].text() or None
        to_address = self.test_address.text()
        self._try(
            lambda: editor.send_test_mail(draft, password, to_address),
            self.mail_result,
            "Sending…",
        )

    def _try(self, work: Callable[[], str], result: QLabel, waiting: str) -> None:
        self.errors.clear()
        result.setStyleSheet("")
        result.setText(waiting)
        self._set_busy(True)

        def passed(answer: str) -> None:
            self._set_busy(False)
            result.setStyleSheet("color: #137333;")
            result.setText(answer)

        def failed(error: Exception) -> None:
            self._set_busy(False)
            result.setStyleSheet("color: #c62828;")
            if isinstance(error, ValidationError):
                self.errors.show(error.problems)
            result.setText(describe_error(error))

        self._operations.query(work, on_success=passed, on_error=failed)

    # ------------------------------------------------------------------ helpers

    def _environment_shown(self) -> None:
        production = self.choice("gateway_environment") is GatewayEnvironment.PRODUCTION
        self.choices["gateway_environment"].setStyleSheet(
            "color: #c5221f; font-weight: 700;" if production else ""
        )

    def _browse(self, edit: QLineEdit, what: str) -> None:
        dialog = QFileDialog(self.form, f"Choose the {what} file")
        dialog.setNameFilters(["PEM files (*.pem *.crt *.key)", "All files (*)"])
        dialog.fileSelected.connect(edit.setText)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _set_busy(self, busy: bool, text: str | None = None) -> None:
        self.save_button.setEnabled(not busy)
        self.revert_button.setEnabled(not busy)
        if text is not None:
            self._say(text)

    def _say(self, text: str, *, bad: bool = False) -> None:
        self.message.setStyleSheet("color: #c62828;" if bad else "")
        self.message.setText(text)


def _secret_placeholder(source: SecretSource) -> str:
    if source is SecretSource.KEYRING:
        return "Stored in the keyring (type a new one to replace it)"
    if source is SecretSource.ENVIRONMENT:
        return "Set by an environment variable on this computer"
    return "Not set"

"""Settings, each page: values saved and read back, secrets to the keyring only, bad
values refused beside their field, Test Connection and Send Test Mail against real
servers, and PRODUCTION only after a confirmation that turns the status bar red."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring_double import InMemoryKeyring
from mail_support import Inbox, running_inbox
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import text
from window_support import open_main_window

from w365desk.app import AppContext
from w365desk.gui.main_window import MainWindow
from w365desk.gui.settings_page import PAGES, SettingsPage
from w365desk.services.shared_settings import GatewayEnvironment, SecretName, SmtpSecurity

SIGNATURE_KEY = "AB12" * 32


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    with running_inbox() as running:
        yield running


def _settings(qtbot: QtBot, window: MainWindow) -> SettingsPage:
    page = window.settings_page
    assert page is not None
    qtbot.waitUntil(lambda: page.snapshot is not None, timeout=10_000)
    window.open_view("settingsTab")
    return page


def _save(qtbot: QtBot, page: SettingsPage) -> None:
    with qtbot.waitSignal(page.loaded, timeout=15_000):
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)


def test_settings_round_trip_with_secrets_in_the_keyring_only(
    qtbot: QtBot,
    memory_keyring: InMemoryKeyring,
    app_context: AppContext,
    artifacts_dir: Path,
) -> None:
    window = open_main_window(qtbot, app_context)
    page = _settings(qtbot, window)
    window.window.resize(1000, 700)
    for index, name in enumerate(PAGES):
        page.show_page(name)
        assert page.stack.currentIndex() == index
        window.window.grab().save(str(artifacts_dir / f"settings_{name}.png"))
    page.texts["company_name"].setText("Northwind Traders")
    page.texts["email_from_name"].setText("Northwind Billing")
    page.texts["email_from_address"].setText("billing@northwind.example")
    page.numbers["link_lifetime_hours"].setValue(48)
    page.texts["smtp_host"].setText("smtp.northwind.example")
    page.choices["smtp_security"].setCurrentIndex(
        page.choices["smtp_security"].findData(SmtpSecurity.SSL)
    )
    page.secrets[SecretName.SMTP_PASSWORD].setText("pa55-w0rd-secret")
    page.secrets[SecretName.GATEWAY_SIGNATURE_KEY].setText(SIGNATURE_KEY)
    assert page.dirty
    _save(qtbot, page)
    assert "saved" in page.message.text()
    stored = app_context.services.settings.load()
    assert stored.shared.company_name == "Northwind Traders"
    assert stored.shared.link_lifetime_hours == 48
    assert stored.shared.smtp_security is SmtpSecurity.SSL
    assert memory_keyring.passwords[("w365desk", "smtp_password")] == "pa55-w0rd-secret"
    assert memory_keyring.passwords[("w365desk", "gateway_signature_key")] == SIGNATURE_KEY
    # The page shows the secret is set, never its value, and is clean again.
    assert page.secrets[SecretName.SMTP_PASSWORD].text() == ""
    assert "keyring" in page.secrets[SecretName.SMTP_PASSWORD].placeholderText()
    assert not page.dirty
    with app_context.engine.connect() as connection:
        dumped = "\n".join(
            str(row)
            for table in ("setting", "audit_event")
            for row in connection.execute(text(f"SELECT * FROM {table}"))
        )
    assert "pa55-w0rd-secret" not in dumped and SIGNATURE_KEY not in dumped
    assert "Northwind Traders" in dumped


def test_bad_values_are_refused_beside_their_fields_and_nothing_is_saved(
    qtbot: QtBot, memory_keyring: InMemoryKeyring, app_context: AppContext, artifacts_dir: Path
) -> None:
    window = open_main_window(qtbot, app_context)
    page = _settings(qtbot, window)
    page.show_page("link")
    page.texts["email_from_address"].setText("not an email")
    page.secrets[SecretName.GATEWAY_SIGNATURE_KEY].setText("too-short")
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Not saved" in page.message.text(), timeout=10_000)
    assert page.errors.text("email_from_address")
    assert "128" in page.errors.text("gateway_signature_key")
    assert page.stack.currentIndex() == PAGES.index("general")  # the first bad field shows
    assert page.texts["email_from_address"].text() == "not an email"  # nothing typed lost
    assert app_context.services.settings.load().shared.email_from_address == ""
    assert memory_keyring.passwords == {}
    window.window.resize(1000, 700)
    window.window.grab().save(str(artifacts_dir / "settings_refused.png"))


def test_test_connection_and_send_test_mail_try_what_is_typed(
    qtbot: QtBot,
    memory_keyring: InMemoryKeyring,
    app_context: AppContext,
    inbox: tuple[Inbox, int],
) -> None:
    handler, port = inbox
    window = open_main_window(qtbot, app_context)
    page = _settings(qtbot, window)
    page.show_page("gateway")
    qtbot.mouseClick(page.form.findChild(type(page.save_button), "testConnectionButton"),
                     Qt.MouseButton.LeftButton)  # fmt: skip
    qtbot.waitUntil(lambda: "accepted" in page.gateway_result.text(), timeout=15_000)

    page.show_page("mail")
    page.texts["email_from_address"].setText("billing@northwind.example")
    page.texts["smtp_host"].setText("127.0.0.1")
    page.numbers["smtp_port"].setValue(port)
    page.choices["smtp_security"].setCurrentIndex(
        page.choices["smtp_security"].findData(SmtpSecurity.NONE)
    )
    page.test_address.setText("ops@northwind.example")
    page.send_test_mail()
    qtbot.waitUntil(lambda: "accepted" in page.mail_result.text(), timeout=15_000)
    [(sender, recipients, _message)] = handler.messages
    assert (sender, recipients) == ("billing@northwind.example", ["ops@northwind.example"])
    page.test_address.setText("")
    page.send_test_mail()
    qtbot.waitUntil(lambda: bool(page.errors.text("test_address")), timeout=10_000)


def test_production_asks_first_and_turns_the_status_bar_red(
    qtbot: QtBot, memory_keyring: InMemoryKeyring, app_context: AppContext, artifacts_dir: Path
) -> None:
    window = open_main_window(qtbot, app_context)
    page = _settings(qtbot, window)
    assert window.environment_label.text().strip() == "OFFLINE SANDBOX"
    environment = page.choices["gateway_environment"]
    environment.setCurrentIndex(environment.findData(GatewayEnvironment.PRODUCTION))
    page.texts["gateway_api_login_id"].setText("5KP3u95bQpv")
    page.texts["gateway_public_client_key"].setText("5FcB6WrfHGS76gHW3v7btBCE3Huu")
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    question = page.question
    assert question is not None and "PRODUCTION" in question.text()
    qtbot.mouseClick(question.defaultButton(), Qt.MouseButton.LeftButton)  # Cancel
    assert app_context.services.settings.load().shared.gateway_environment is (
        GatewayEnvironment.OFFLINE_SANDBOX
    )
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    switch = next(b for b in page.question.buttons() if b.text() == "Switch to Production")
    with qtbot.waitSignal(page.gateway_changed, timeout=15_000):
        qtbot.mouseClick(switch, Qt.MouseButton.LeftButton)
    assert window.environment_label.text().strip() == "PRODUCTION"
    assert "c5221f" in window.environment_label.styleSheet()
    assert "fce8e6" in window.window.statusBar().styleSheet()
    assert "transaction key" in window.gateway_label.full_text().lower()
    window.window.resize(1000, 700)
    window.window.grab().save(str(artifacts_dir / "settings_production.png"))


def test_quitting_with_unsaved_settings_asks(
    qtbot: QtBot, memory_keyring: InMemoryKeyring, app_context: AppContext
) -> None:
    window = open_main_window(qtbot, app_context)
    page = _settings(qtbot, window)
    page.texts["company_name"].setText("Typed, not saved")
    window.window.close()
    assert window.window.isVisible()
    assert window.question is not None and "not saved" in window.question.text()
    qtbot.mouseClick(window.question.defaultButton(), Qt.MouseButton.LeftButton)
    assert window.window.isVisible() and page.texts["company_name"].text() == "Typed, not saved"

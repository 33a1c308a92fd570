"""Create Payment Profile → Direct Entry, end to end: the real adapter and the offline
sandbox behind the dialog; every local check beside its field; each gateway refusal
with its own message; the stored card listed in Payment Profiles."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from gateway_support import gateway_for
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from window_support import accounts, open_main_window, shown_rows

from w365desk.app import AppContext
from w365desk.gateway.authorizenet import AuthorizeNetGateway
from w365desk.gui.main_window import MainWindow
from w365desk.gui.payment_dialog import PaymentDialog
from w365desk.sandbox.authorizenet import SandboxServer
from w365desk.services.accounts import AccountInput, AccountView, ContactInput
from w365desk.services.bundle import Services
from w365desk.services.payment_profiles import BillingEntry, CardEntry
from w365desk.settings import SharedSettings, ValidationMode

VISA = "4111111111111111"


@pytest.fixture
def account(app_context: AppContext) -> AccountView:
    return app_context.services.accounts.create_account(
        AccountInput(
            name="Contoso Holdings",
            number="CH-1",
            primary_email="ap@contoso.example",
            address_line1="1 Main St",
            city="Seattle",
            state="WA",
            postal_code="98101",
            country="US",
        ),
        [ContactInput("Dana", "Whitfield", email="dana@contoso.example", is_billing=True)],
        actor=app_context.actor,
    )


def _open_dialog(qtbot: QtBot, window: MainWindow, account: AccountView) -> PaymentDialog:
    window.create_payment_profile(account.id)
    qtbot.waitUntil(lambda: account.id in window.payment_dialogs, timeout=10_000)
    return window.payment_dialogs[account.id]


def _type_card(qtbot: QtBot, dialog: PaymentDialog, number: str = VISA, cvv: str = "123") -> None:
    qtbot.keyClicks(dialog.card_number, number)
    dialog.edit("expMonthEdit").setText("12")
    dialog.edit("expYearEdit").setText("2030")
    dialog.edit("cvvEdit").setText(cvv)


def _save_and_wait(qtbot: QtBot, dialog: PaymentDialog) -> None:
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=15_000)


def test_a_card_is_stored_and_listed_in_payment_profiles(
    qtbot: QtBot, app_context: AppContext, account: AccountView, artifacts_dir: Path
) -> None:
    window = open_main_window(qtbot, app_context)
    dialog = _open_dialog(qtbot, window, account)
    # The billing contact and the account's address are filled in.
    assert dialog.selected_contact() is not None
    assert dialog.edit("billingFirstEdit").text() == "Dana"
    assert dialog.edit("billingZipEdit").text() == "98101"
    assert dialog.edit("nameOnCardEdit").text() == "Dana Whitfield"
    _type_card(qtbot, dialog)
    assert dialog.card_number.text() == "4111 1111 1111 1111"  # grouped as typed
    assert dialog.brand_label.text() == "Visa"
    dialog.dialog.grab().save(str(artifacts_dir / "direct_entry_filled.png"))
    stored: list[object] = []
    dialog.saved.connect(stored.append)
    with qtbot.waitSignal(dialog.dialog.finished, timeout=15_000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        # Pressing again while it saves does nothing: one profile, not two.
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        dialog.save()
    assert len(stored) == 1
    assert dialog.card_number.text() == "" and dialog.edit("cvvEdit").text() == ""
    profiles = app_context.services.payment_profile_queries.for_account(account.id)
    assert [(p.brand, p.last4, p.expiry, p.is_default) for p in profiles] == [
        ("Visa", "1111", "12/2030", True)
    ]
    # The row appears in Payment Profiles, and the account list shows the new default.
    page = window.profiles_page
    assert page is not None
    qtbot.waitUntil(lambda: bool(shown_rows(page.model)), timeout=10_000)
    assert "Contoso Holdings" in page.model.index(0, 0).data()
    assert page.model.index(0, 3).data() == "1111"
    qtbot.waitUntil(lambda: "1111" in _default_payment(window), timeout=10_000)
    window.window.resize(1100, 650)
    window.open_view("profilesTab")
    window.window.grab().save(str(artifacts_dir / "payment_profiles.png"))


def _default_payment(window: MainWindow) -> str:
    rows = shown_rows(accounts(window).model)
    return rows[0].default_payment_summary if rows else ""


LOCAL_CASES = [
    ({"cardNumberEdit": "4111 1111 1111 1112"}, "card_number", "card number"),
    ({"expMonthEdit": "13"}, "exp_month", "01 to 12"),
    ({"expYearEdit": "2025"}, "exp_month", "expired"),
    ({"cvvEdit": "12"}, "cvv", "3 digits"),
    ({"cardNumberEdit": "3700 000000 00002", "cvvEdit": "123"}, "cvv", "American Express"),
    ({"nameOnCardEdit": ""}, "name_on_card", "name as printed"),
    ({"billingFirstEdit": ""}, "first_name", "first name"),
    ({"billingAddressEdit": ""}, "address", "street address"),
    ({"billingCityEdit": ""}, "city", "city"),
    ({"billingStateEdit": ""}, "state", "state"),
    ({"billingZipEdit": "9810"}, "zip", "5 digits"),
]


@pytest.mark.parametrize(("typed", "field", "message"), LOCAL_CASES)
def test_every_local_check_is_shown_beside_its_field_before_any_gateway_call(
    qtbot: QtBot,
    app_context: AppContext,
    account: AccountView,
    typed: dict[str, str],
    field: str,
    message: str,
    artifacts_dir: Path,
) -> None:
    window = open_main_window(qtbot, app_context)
    dialog = _open_dialog(qtbot, window, account)
    _type_card(qtbot, dialog)
    for name, value in typed.items():
        dialog.edit(name).setText(value)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.busy  # refused here: nothing went to the gateway
    assert message.lower() in dialog.error_text(field).lower()
    assert "marked field" in dialog.message_label.text()
    assert dialog.dialog.isVisible()
    assert app_context.services.payment_profile_queries.for_account(account.id) == []
    if field == "cvv" and "American" in message:
        dialog.dialog.grab().save(str(artifacts_dir / "direct_entry_validation.png"))


def test_a_bank_account_is_checked_and_stored(
    qtbot: QtBot, app_context: AppContext, account: AccountView
) -> None:
    window = open_main_window(qtbot, app_context)
    dialog = _open_dialog(qtbot, window, account)
    qtbot.mouseClick(dialog.bank_radio, Qt.MouseButton.LeftButton)
    dialog.edit("routingEdit").setText("123456789")
    dialog.edit("bankAccountEdit").setText("12")
    dialog.edit("nameOnAccountEdit").setText("Contoso Holdings Treasury Department")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "check digit" in dialog.error_text("routing_number")
    assert "4 to 17 digits" in dialog.error_text("account_number")
    assert "22 characters" in dialog.error_text("name_on_account")
    dialog.edit("routingEdit").setText("121042882")
    dialog.edit("bankAccountEdit").setText("123456789")
    dialog.edit("nameOnAccountEdit").setText("Contoso Holdings")
    dialog.account_type.setCurrentIndex(dialog.account_type.findData("savings"))
    with qtbot.waitSignal(dialog.dialog.finished, timeout=15_000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    (profile,) = app_context.services.payment_profile_queries.for_account(account.id)
    assert (profile.kind, profile.last4, profile.bank_account_type) == ("bank", "6789", "savings")


def test_a_card_the_bank_refuses_says_why_and_keeps_what_was_typed(
    qtbot: QtBot, app_context: AppContext, account: AccountView
) -> None:
    app_context.services.shared_settings.save(
        dataclasses.replace(SharedSettings(), gateway_validation_mode=ValidationMode.LIVE_MODE),
        actor=app_context.actor,
    )
    window = open_main_window(qtbot, app_context)
    dialog = _open_dialog(qtbot, window, account)
    _type_card(qtbot, dialog)
    dialog.edit("billingZipEdit").setText("46282")  # the sandbox's issuer declines this zip
    _save_and_wait(qtbot, dialog)
    assert "could not be verified" in dialog.message_label.text()
    assert dialog.dialog.isVisible() and dialog.card_number.text() == "4111 1111 1111 1111"
    assert app_context.services.payment_profile_queries.for_account(account.id) == []


def test_a_duplicate_offers_the_stored_profile(
    qtbot: QtBot, app_context: AppContext, account: AccountView
) -> None:
    card = CardEntry(VISA, "12", "2030", "123", "Dana Whitfield")
    billing = BillingEntry("Dana", "Whitfield", "Contoso Holdings", "1 Main St", "Seattle",
                           "WA", "98101", "US")  # fmt: skip
    first = app_context.services.payment_profiles.add(
        account.id, card, billing, actor=app_context.actor
    )
    window = open_main_window(qtbot, app_context)
    dialog = _open_dialog(qtbot, window, account)
    _type_card(qtbot, dialog)
    _save_and_wait(qtbot, dialog)
    question = dialog.question
    assert question is not None and question.isVisible()
    assert "already stored" in question.text()
    use = next(b for b in question.buttons() if b.text() == "Use Existing Profile")
    with qtbot.waitSignal(dialog.saved, timeout=15_000) as saved:
        qtbot.mouseClick(use, Qt.MouseButton.LeftButton)
    assert saved.args[0].id == first.id
    assert len(app_context.services.payment_profile_queries.for_account(account.id)) == 1


def test_the_limit_of_ten_is_explained(
    qtbot: QtBot, app_context: AppContext, account: AccountView
) -> None:
    for index in range(10):
        app_context.services.payment_profiles.add(
            account.id,
            CardEntry(VISA, "12", "2030", "123", "Dana Whitfield"),
            BillingEntry("Dana", f"Whitfield {index}", "", "1 Main St", "Seattle", "WA", "98101"),
            actor=app_context.actor,
        )
    window = open_main_window(qtbot, app_context)
    dialog = _open_dialog(qtbot, window, account)
    _type_card(qtbot, dialog)
    dialog.edit("billingLastEdit").setText("Eleven")
    _save_and_wait(qtbot, dialog)
    assert "(10)" in dialog.message_label.text()
    assert "Deactivate a payment method" in dialog.message_label.text()


@pytest.fixture
def wrong_keys(sandbox: SandboxServer) -> Iterator[AuthorizeNetGateway]:
    gateway = gateway_for(sandbox, transaction_key="WrongWrongWrong1", timeout_s=3.0)
    yield gateway
    gateway.close()


def test_wrong_gateway_keys_lead_to_the_gateway_settings(
    qtbot: QtBot,
    app_context: AppContext,
    account: AccountView,
    wrong_keys: AuthorizeNetGateway,
) -> None:
    services = Services.build(
        app_context.session_factory, app_context.clock, gateway=lambda: wrong_keys
    )
    window = open_main_window(qtbot, dataclasses.replace(app_context, services=services))
    dialog = _open_dialog(qtbot, window, account)
    _type_card(qtbot, dialog)
    _save_and_wait(qtbot, dialog)
    assert "API login id or transaction key" in dialog.message_label.text()
    assert dialog.settings_button.isVisible()
    qtbot.mouseClick(dialog.settings_button, Qt.MouseButton.LeftButton)
    assert window.current_view() == "settingsTab"
    assert window.settings_page is not None
    assert window.settings_page.stack.currentIndex() == 1  # the Gateway page
    assert dialog.dialog.isVisible()  # what was typed waits for the fix


def test_an_unreachable_gateway_says_try_again(
    qtbot: QtBot, app_context: AppContext, account: AccountView, sandbox: SandboxServer
) -> None:
    from w365desk.sandbox.authorizenet import Fault

    gateway = gateway_for(sandbox, timeout_s=3.0)
    services = Services.build(
        app_context.session_factory, app_context.clock, gateway=lambda: gateway
    )
    window = open_main_window(qtbot, dataclasses.replace(app_context, services=services))
    dialog = _open_dialog(qtbot, window, account)
    _type_card(qtbot, dialog)
    sandbox.set_fault("createCustomerProfileRequest", Fault("busy", times=1))
    _save_and_wait(qtbot, dialog)
    assert "try again" in dialog.message_label.text().lower()
    assert "what you typed is still here" in dialog.message_label.text()
    with qtbot.waitSignal(dialog.dialog.finished, timeout=15_000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    gateway.close()


def test_closing_with_typed_card_details_asks_and_then_empties_the_card_fields(
    qtbot: QtBot, app_context: AppContext, account: AccountView
) -> None:
    window = open_main_window(qtbot, app_context)
    dialog = _open_dialog(qtbot, window, account)
    _type_card(qtbot, dialog)
    qtbot.keyClick(dialog.dialog, Qt.Key.Key_Escape)
    question = dialog.guard.question
    assert question is not None and question.isVisible()
    qtbot.mouseClick(question.defaultButton(), Qt.MouseButton.LeftButton)  # Keep Editing
    assert dialog.dialog.isVisible() and dialog.card_number.text()
    dialog.guard.request_close()
    discard = next(b for b in dialog.guard.question.buttons() if b.text() == "Discard Changes")
    with qtbot.waitSignal(dialog.dialog.finished):
        qtbot.mouseClick(discard, Qt.MouseButton.LeftButton)
    assert dialog.card_number.text() == "" and dialog.edit("cvvEdit").text() == ""

"""The Settings use cases: secrets to the keyring only, the gateway set up again when its
settings change, keys tested, a test mail through a real SMTP server."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring_double import InMemoryKeyring
from mail_support import Inbox, free_port, running_inbox
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from w365desk.app import build_app
from w365desk.clock import FrozenClock
from w365desk.services.actors import Actor
from w365desk.services.errors import GatewayNotSetUp, ServiceError, ValidationError
from w365desk.services.shared_settings.editing import MailTestFailed
from w365desk.settings import (
    GatewayEnvironment,
    SecretName,
    SecretSource,
    SharedSettings,
    SmtpSecurity,
)

STAFF = Actor.staff("alice")


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{(tmp_path / 'settings.sqlite3').as_posix()}"


def test_secrets_go_to_the_keyring_and_never_to_the_database(
    tmp_path: Path, memory_keyring: InMemoryKeyring
) -> None:
    app = build_app(_url(tmp_path), clock=FrozenClock(), actor=STAFF)
    try:
        editor = app.services.settings
        before = editor.load()
        assert not before.secret_is_set(SecretName.SMTP_PASSWORD)
        new = dataclasses.replace(
            before.shared, company_name="Northwind", smtp_host="smtp.northwind.example"
        )
        editor.save(
            new,
            secrets={
                SecretName.SMTP_PASSWORD: "pa55-w0rd-secret",
                SecretName.GATEWAY_SIGNATURE_KEY: None,
            },
            base=before.shared,
            actor=STAFF,
        )
        after = editor.load()
        assert after.shared.company_name == "Northwind"
        assert after.secret_sources[SecretName.SMTP_PASSWORD] is SecretSource.KEYRING
        assert memory_keyring.passwords[("w365desk", "smtp_password")] == "pa55-w0rd-secret"
        with app.engine.connect() as connection:
            dumped = "\n".join(
                str(row) for table in ("setting", "audit_event")
                for row in connection.execute(text(f"SELECT * FROM {table}"))
            )  # fmt: skip
        assert "pa55-w0rd-secret" not in dumped and "smtp_password" in dumped
        # An empty value removes the secret.
        editor.save(
            after.shared, secrets={SecretName.SMTP_PASSWORD: ""}, base=after.shared, actor=STAFF
        )
        assert not editor.load().secret_is_set(SecretName.SMTP_PASSWORD)
    finally:
        app.close()


def test_bad_values_are_refused_with_every_field_named(tmp_path: Path) -> None:
    app = build_app(_url(tmp_path), clock=FrozenClock(), actor=STAFF)
    try:
        shared = app.services.settings.load().shared
        bad = dataclasses.replace(
            shared, email_from_address="not an email", link_lifetime_hours=0, smtp_port=0
        )
        with pytest.raises(ValidationError) as raised:
            app.services.settings.save(bad, secrets={}, base=shared, actor=STAFF)
        assert {"email_from_address", "link_lifetime_hours", "smtp_port"} <= set(
            raised.value.messages()
        )
    finally:
        app.close()


def test_changing_the_gateway_sets_it_up_again_at_once(
    tmp_path: Path, memory_keyring: InMemoryKeyring
) -> None:
    app = build_app(_url(tmp_path), clock=FrozenClock(), actor=STAFF)
    try:
        editor = app.services.settings
        snapshot = editor.load()
        assert editor.test_gateway(snapshot.shared, None).startswith("The gateway accepted")
        live = dataclasses.replace(
            snapshot.shared,
            gateway_environment=GatewayEnvironment.SANDBOX,
            gateway_api_login_id="5KP3u95bQpv",
            gateway_public_client_key="5FcB6WrfHGS76gHW3v7btBCE3HuuBuke9Pj96Ztfn5R32G5ep42vne7MCWZtAucY",
        )
        description = editor.save(live, secrets={}, base=snapshot.shared, actor=STAFF)
        assert description is not None and "transaction key" in description
        assert app.gateway is None  # not usable until the key is entered
        with pytest.raises(GatewayNotSetUp):
            app.services.gateway_access.gateway()
        # Back to the offline sandbox: it runs again, on the same data folder.
        description = editor.save(snapshot.shared, secrets={}, base=live, actor=STAFF)
        assert description is not None and description.startswith("Offline sandbox at")
        assert app.gateway is not None
        app.gateway.test_credentials()
    finally:
        app.close()


@pytest.fixture
def smtp_inbox() -> Iterator[tuple[Inbox, int]]:
    with running_inbox() as running:
        yield running


def test_a_test_mail_goes_out_with_the_settings_typed(
    tmp_path: Path, smtp_inbox: tuple[Inbox, int]
) -> None:
    handler, port = smtp_inbox
    app = build_app(_url(tmp_path), clock=FrozenClock(), actor=STAFF)
    try:
        draft = dataclasses.replace(
            SharedSettings(),
            company_name="Northwind",
            email_from_name="Northwind Billing",
            email_from_address="billing@northwind.example",
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_security=SmtpSecurity.NONE,
        )
        answer = app.services.settings.send_test_mail(draft, None, "ops@northwind.example")
        assert "accepted" in answer
        [(sender, recipients, message)] = handler.messages
        assert (sender, recipients) == ("billing@northwind.example", ["ops@northwind.example"])
        assert message["From"] == "Northwind Billing <billing@northwind.example>"

        down = dataclasses.replace(draft, smtp_port=free_port())
        with pytest.raises(MailTestFailed) as raised:
            app.services.settings.send_test_mail(down, None, "ops@northwind.example")
        assert raised.value.temporary and "could not be reached" in raised.value.message
        with pytest.raises(ValidationError) as missing:
            app.services.settings.send_test_mail(SharedSettings(), None, "")
        assert {"smtp_host", "email_from_address", "test_address"} <= set(missing.value.messages())
        assert isinstance(raised.value, ServiceError)
    finally:
        app.close()


def test_services_without_a_keyring_say_which_variable_to_use(
    session_factory: sessionmaker[Session], clock: FrozenClock
) -> None:
    from w365desk.services.bundle import Services

    services = Services.build(session_factory, clock)
    shared = services.settings.load().shared
    with pytest.raises(ServiceError) as raised:
        services.settings.save(
            shared, secrets={SecretName.SMTP_PASSWORD: "x"}, base=shared, actor=STAFF
        )
    assert "W365DESK_SMTP_PASSWORD" in str(raised.value)

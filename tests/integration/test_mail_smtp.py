"""One mail through a real SMTP server (aiosmtpd on loopback): delivery with the From name,
login separate from the From address, and every failure said with whether to retry."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from mail_support import Inbox, free_port, running_inbox

from w365desk.mail import MailDeliveryError, OutgoingMail, SmtpConfig, send_mail


def _authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"apikey",
        b"s3cret-pass",
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    with running_inbox(authenticator=_authenticator, auth_require_tls=False) as running:
        yield running


def _mail(**changes: Any) -> OutgoingMail:
    values: dict[str, Any] = {
        "to_address": "dana@contoso.example",
        "to_name": "Dana Whitfield",
        "subject": "w365desk test mail",
        "text": "Hello Dana,\nthis is a test.",
        "html": "<p>Hello Dana,</p><p>this is a test.</p>",
        "from_address": "billing@northwind.example",
        "from_name": "Northwind Billing",
    }
    values.update(changes)
    return OutgoingMail(**values)


def test_a_mail_arrives_from_the_email_from_alias_with_text_and_html(
    inbox: tuple[Inbox, int],
) -> None:
    handler, port = inbox
    send_mail(SmtpConfig("127.0.0.1", port, "none", "apikey", "s3cret-pass", 5.0), _mail())
    [(sender, recipients, message)] = handler.messages
    assert sender == "billing@northwind.example"
    assert recipients == ["dana@contoso.example"]
    assert message["From"] == "Northwind Billing <billing@northwind.example>"
    assert "Dana Whitfield" in message["To"]
    types = [part.get_content_type() for part in message.walk()]
    assert "text/plain" in types and "text/html" in types


def test_wrong_login_is_a_permanent_failure_saying_so(inbox: tuple[Inbox, int]) -> None:
    _handler, port = inbox
    with pytest.raises(MailDeliveryError) as raised:
        send_mail(SmtpConfig("127.0.0.1", port, "none", "apikey", "wrong", 5.0), _mail())
    assert not raised.value.temporary
    assert "user name or password" in raised.value.message
    assert "wrong" not in raised.value.message


def test_a_refused_address_is_permanent_with_the_servers_reason(
    inbox: tuple[Inbox, int],
) -> None:
    handler, port = inbox
    handler.refuse.add("nobody@contoso.example")
    with pytest.raises(MailDeliveryError) as raised:
        send_mail(
            SmtpConfig("127.0.0.1", port, "none", "apikey", "s3cret-pass", 5.0),
            _mail(to_address="nobody@contoso.example", to_name=""),
        )
    assert not raised.value.temporary
    assert "No such user here" in raised.value.server_reply


def test_a_server_that_is_down_is_temporary() -> None:
    with pytest.raises(MailDeliveryError) as raised:
        send_mail(SmtpConfig("127.0.0.1", free_port(), "none", timeout_s=2.0), _mail())
    assert raised.value.temporary
    assert "could not be reached" in raised.value.message


@pytest.fixture
def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed, so no test certificate can be made")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def test_a_certificate_that_cannot_be_verified_is_refused(self_signed: tuple[Path, Path]) -> None:
    cert, key = self_signed
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    controller = Controller(
        Inbox(),
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=context,
        require_starttls=True,
    )
    controller.start()
    try:
        with pytest.raises(MailDeliveryError) as raised:
            send_mail(SmtpConfig("127.0.0.1", controller.port, "starttls", timeout_s=5.0), _mail())
    finally:
        controller.stop()
    assert not raised.value.temporary
    assert "certificate could not be verified" in raised.value.message

"""One mail through one SMTP server, with yagmail: STARTTLS or TLS, certificates verified.

yagmail builds the message (text and HTML alternatives) and talks SMTP; around it this
module adds what a desk needs: a From name and address that may differ from the SMTP
login (relays such as SendGrid log in as "apikey"), a hard timeout, certificate checks
(smtplib's own default context does not verify), no password prompt ever (yagmail asks
the keyring or the terminal when it has no password), and errors that say whether
trying again later can help (``MailDeliveryError.temporary``) in words staff can act on.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass
from typing import Any, Literal

import yagmail

Security = Literal["starttls", "ssl", "none"]


@dataclass(frozen=True, repr=False)
class SmtpConfig:
    host: str
    port: int
    security: Security
    username: str = ""
    password: str = ""
    timeout_s: float = 30.0

    def __repr__(self) -> str:  # never the password
        return f"SmtpConfig({self.host}:{self.port}, {self.security}, user={self.username!r})"


@dataclass(frozen=True)
class OutgoingMail:
    to_address: str
    subject: str
    text: str
    from_address: str
    from_name: str = ""
    to_name: str = ""
    html: str | None = None


class MailDeliveryError(Exception):
    """The mail was not delivered. ``temporary``: the same mail may go through later."""

    def __init__(self, message: str, *, temporary: bool, server_reply: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.temporary = temporary
        self.server_reply = server_reply

    def __str__(self) -> str:
        return self.message


class _Client(yagmail.SMTP):  # type: ignore[misc]  # yagmail ships no type information
    """yagmail with a login of its own, separate from the From address."""

    def __init__(self, config: SmtpConfig, mail: OutgoingMail) -> None:
        context = ssl.create_default_context()
        kwargs: dict[str, Any] = {"timeout": config.timeout_s}
        if config.security == "ssl":
            kwargs["context"] = context
        super().__init__(
            user={mail.from_address: mail.from_name or mail.from_address},
            host=config.host,
            port=config.port,
            smtp_ssl=config.security == "ssl",
            smtp_starttls={"context": context} if config.security == "starttls" else False,
            smtp_skip_login=True,
            soft_email_validation=False,
            **kwargs,
        )
        self.set_logging(None)  # yagmail's own logger would print addresses
        self._config = config

    def _login(self, password: Any) -> None:
        super()._login(password)
        if self._config.username:
            self.smtp.login(self._config.username, self._config.password)


def send_mail(config: SmtpConfig, mail: OutgoingMail) -> None:
    """Deliver ``mail`` or raise ``MailDeliveryError`` saying why and whether to retry."""
    client = _Client(config, mail)
    to: Any = {mail.to_address: mail.to_name} if mail.to_name else mail.to_address
    contents = [mail.text] if mail.html is None else [mail.text, mail.html]
    try:
        refused = client.send(to=to, subject=mail.subject, contents=contents, prettify_html=False)
    except smtplib.SMTPAuthenticationError as error:
        raise MailDeliveryError(
            "The mail server refused the SMTP user name or password. Check them in "
            "Settings → Mail.",
            temporary=False,
            server_reply=_reply(error),
        ) from None
    except smtplib.SMTPRecipientsRefused as error:
        code, reply = next(iter(error.recipients.values()), (550, b""))
        raise MailDeliveryError(
            f"The mail server refused the address {mail.to_address}: {_text(reply)}",
            temporary=400 <= int(code) < 500,
            server_reply=_text(reply),
        ) from None
    except smtplib.SMTPSenderRefused as error:
        raise MailDeliveryError(
            f"The mail server refused to send as {mail.from_address}: {_reply(error)}. "
            "Check Email From in Settings → General (the server may allow only its own "
            "addresses).",
            temporary=400 <= error.smtp_code < 500,
            server_reply=_reply(error),
        ) from None
    except smtplib.SMTPResponseException as error:
        raise MailDeliveryError(
            f"The mail server answered {error.smtp_code}: {_reply(error)}",
            temporary=400 <= error.smtp_code < 500,
            server_reply=_reply(error),
        ) from None
    except ssl.SSLCertVerificationError as error:
        raise MailDeliveryError(
            f"The mail server's certificate could not be verified ({error.verify_message}). "
            "Check the server name and security in Settings → Mail.",
            temporary=False,
        ) from None
    except (smtplib.SMTPNotSupportedError, ssl.SSLError) as error:
        raise MailDeliveryError(
            f"The secure connection to the mail server failed ({type(error).__name__}): "
            "check the port and the security setting (STARTTLS is usually port 587, "
            "TLS port 465).",
            temporary=False,
        ) from None
    except (OSError, smtplib.SMTPException) as error:
        reason = (
            "no answer in time"
            if isinstance(error, socket.timeout | TimeoutError)
            else (
                error.strerror or type(error).__name__ if isinstance(error, OSError) else str(error)
            )
        )
        raise MailDeliveryError(
            f"The mail server {config.host}:{config.port} could not be reached ({reason}). "
            "The mail can be sent again later.",
            temporary=True,
        ) from None
    finally:
        client.close()
    if refused is False:
        raise MailDeliveryError(
            "The mail server closed the connection before accepting the mail.", temporary=True
        )
    if isinstance(refused, dict) and refused:
        code, reply = next(iter(refused.values()))
        raise MailDeliveryError(
            f"The mail server refused the address {mail.to_address}: {_text(reply)}",
            temporary=400 <= int(code) < 500,
            server_reply=_text(reply),
        )


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _reply(error: smtplib.SMTPResponseException) -> str:
    return _text(error.smtp_error)

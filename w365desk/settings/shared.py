"""Settings every desk shares, as one typed value; stored as text rows in ``setting``.

No secret lives here: keys and passwords belong to ``SecretStore``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import timedelta

from w365desk.settings.errors import SettingsError


class GatewayEnvironment(enum.StrEnum):
    OFFLINE_SANDBOX = "offline_sandbox"
    SANDBOX = "sandbox"
    PRODUCTION = "production"


class SmtpSecurity(enum.StrEnum):
    STARTTLS = "starttls"
    SSL = "ssl"
    NONE = "none"


class ValidationMode(enum.StrEnum):
    """How the gateway checks a new payment method (Authorize.Net's ``validationMode``)."""

    NONE = "none"
    TEST_MODE = "testMode"  # field and check-digit checks only
    LIVE_MODE = "liveMode"  # a $0.00 or $0.01 authorization, voided at once


# The placeholders staff may use in the profile-request templates; the mail renderer
# fills each one. "{Secure Link}" is mandatory in the body.
SECURE_LINK_PLACEHOLDER = "{Secure Link}"
TEMPLATE_PLACEHOLDERS: tuple[str, ...] = (
    "{Customer Name}",
    "{Company Name}",
    "{Account Name}",
    "{Account Number}",
    SECURE_LINK_PLACEHOLDER,
    "{Link Expires}",
)

DEFAULT_PROFILE_REQUEST_SUBJECT = "{Company Name}: please add a payment method to your account"
DEFAULT_PROFILE_REQUEST_BODY = """\
Hello {Customer Name},

{Company Name} would like to keep a payment method on file for account {Account Number}.
Please use this secure link to enter your card or bank account details:

{Secure Link}

The link works only once and expires on {Link Expires}. If it has expired, just reply to
this message and we will send you a new one. We never ask for card details by email.

Thank you,
{Company Name}
"""


@dataclass(frozen=True)
class SharedSettings:
    company_name: str = ""
    email_from_name: str = ""
    email_from_address: str = ""
    link_lifetime_hours: int = 72
    profile_request_subject_template: str = DEFAULT_PROFILE_REQUEST_SUBJECT
    profile_request_body_template: str = DEFAULT_PROFILE_REQUEST_BODY
    gateway_environment: GatewayEnvironment = GatewayEnvironment.OFFLINE_SANDBOX
    gateway_api_login_id: str = ""
    gateway_public_client_key: str = ""
    gateway_timeout_seconds: int = 30
    duplicate_window_seconds: int = 120
    gateway_validation_mode: ValidationMode = ValidationMode.TEST_MODE
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_security: SmtpSecurity = SmtpSecurity.STARTTLS
    # The base address customers' browsers reach the link server at; blank = not set up.
    link_server_public_url: str = ""
    currency: str = "USD"
    # Where the link server listens, and the TLS files it serves with (blank: plain HTTP,
    # allowed on loopback only).
    link_server_bind_address: str = "127.0.0.1"
    link_server_port: int = 8765
    link_server_tls_certificate: str = ""
    link_server_tls_key: str = ""

    @property
    def link_lifetime(self) -> timedelta:
        return timedelta(hours=self.link_lifetime_hours)


LABELS: Mapping[str, str] = {
    "company_name": "Company name",
    "email_from_name": "Email From name",
    "email_from_address": "Email From address",
    "link_lifetime_hours": "Secure link lifetime (hours)",
    "profile_request_subject_template": "Payment profile request subject",
    "profile_request_body_template": "Payment profile request message",
    "gateway_environment": "Gateway environment",
    "gateway_api_login_id": "API Login ID",
    "gateway_public_client_key": "Public Client Key",
    "gateway_timeout_seconds": "Gateway timeout (seconds)",
    "duplicate_window_seconds": "Duplicate transaction window (seconds)",
    "gateway_validation_mode": "Payment method validation",
    "smtp_host": "SMTP server",
    "smtp_port": "SMTP port",
    "smtp_username": "SMTP user name",
    "smtp_security": "SMTP security",
    "link_server_public_url": "Secure link server address",
    "currency": "Currency",
    "link_server_bind_address": "Link server bind address",
    "link_server_port": "Link server port",
    "link_server_tls_certificate": "TLS certificate file",
    "link_server_tls_key": "TLS private key file",
}

FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(SharedSettings))
_ENUM_FIELDS: Mapping[str, type[enum.StrEnum]] = {
    "gateway_environment": GatewayEnvironment,
    "smtp_security": SmtpSecurity,
    "gateway_validation_mode": ValidationMode,
}
_INT_FIELDS = frozenset(f.name for f in fields(SharedSettings) if f.type in ("int", int))


def to_text(settings: SharedSettings) -> dict[str, str]:
    """Each field as the text stored in its ``setting`` row."""
    return {name: str(getattr(settings, name)) for name in FIELD_NAMES}


def parse_field(name: str, text: str) -> object:
    """One stored or typed text value as its field's type; ``SettingsError`` if it isn't."""
    label = LABELS[name]
    if name in _INT_FIELDS:
        try:
            return int(text.strip())
        except ValueError:
            raise SettingsError({name: f"{label} must be a whole number."}) from None
    if name in _ENUM_FIELDS:
        choices = _ENUM_FIELDS[name]
        try:
            return choices(text.strip())
        except ValueError:
            allowed = ", ".join(c.value for c in choices)
            raise SettingsError({name: f"{label} must be one of: {allowed}."}) from None
    return text


def shared_settings_from_text(
    values: Mapping[str, str], base: SharedSettings | None = None
) -> SharedSettings:
    """``base`` (default: the defaults) with the given fields replaced by parsed text.

    For front doors that collect text (line edits, a CLI). Every unparsable field is
    reported at once; unknown names are refused. The result still needs validating.
    """
    problems: dict[str, str] = {}
    parsed: dict[str, object] = {}
    for name, text in values.items():
        if name not in LABELS:
            problems[name] = f"There is no shared setting called {name!r}."
            continue
        try:
            parsed[name] = parse_field(name, text)
        except SettingsError as error:
            problems.update(error.problems)
    if problems:
        raise SettingsError(problems)
    return replace(base or SharedSettings(), **parsed)  # type: ignore[arg-type]

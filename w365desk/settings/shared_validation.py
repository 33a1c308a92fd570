"""The rules a ``SharedSettings`` value must meet before it is saved, and reading stored
values back leniently enough that a desk always starts.

Every broken rule is reported at once, each message naming its field in words staff know.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import fields, replace
from typing import Any
from urllib.parse import urlsplit

from w365desk.settings.errors import SettingsError
from w365desk.settings.shared import (
    LABELS,
    SECURE_LINK_PLACEHOLDER,
    TEMPLATE_PLACEHOLDERS,
    GatewayEnvironment,
    SharedSettings,
    SmtpSecurity,
    ValidationMode,
    parse_field,
)

log = logging.getLogger(__name__)

INT_RANGES: dict[str, tuple[int, int]] = {
    "link_lifetime_hours": (1, 720),
    "gateway_timeout_seconds": (1, 300),
    # Authorize.Net's own limit for duplicateWindow.
    "duplicate_window_seconds": (0, 28_800),
    "smtp_port": (1, 65_535),
    "link_server_port": (1, 65_535),
}

# Lengths follow the columns the values end up in (OutboundEmail.from_name, etc.).
_MAX_LENGTHS = {
    "company_name": 200,
    "email_from_name": 160,
    "email_from_address": 254,
    "profile_request_subject_template": 200,
    "profile_request_body_template": 20_000,
    "smtp_username": 254,
    "link_server_public_url": 500,
    "link_server_bind_address": 253,
    "link_server_tls_certificate": 1000,
    "link_server_tls_key": 1000,
}
_SINGLE_LINE = (
    "company_name",
    "email_from_name",
    "email_from_address",
    "profile_request_subject_template",
    "smtp_username",
    "link_server_public_url",
    "link_server_bind_address",
    "link_server_tls_certificate",
    "link_server_tls_key",
)

# Deliberately plain: one @, no spaces or display names, a dotted domain. Anything a
# mail server would reject for a From address should be caught here, not at send time.
_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]")
_API_LOGIN_ID = re.compile(r"[A-Za-z0-9]{1,25}")
_CLIENT_KEY = re.compile(r"[A-Za-z0-9]{1,128}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_PLACEHOLDER = re.compile(r"\{[A-Za-z][A-Za-z ]*\}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _type_problems(settings: SharedSettings) -> dict[str, str]:
    problems: dict[str, str] = {}
    for field in fields(settings):
        value = getattr(settings, field.name)
        label = LABELS[field.name]
        if field.name in INT_RANGES:
            if isinstance(value, bool) or not isinstance(value, int):
                problems[field.name] = f"{label} must be a whole number."
        elif field.name == "gateway_environment":
            if not isinstance(value, GatewayEnvironment):
                allowed = ", ".join(e.value for e in GatewayEnvironment)
                problems[field.name] = f"{label} must be one of: {allowed}."
        elif field.name == "smtp_security":
            if not isinstance(value, SmtpSecurity):
                allowed = ", ".join(e.value for e in SmtpSecurity)
                problems[field.name] = f"{label} must be one of: {allowed}."
        elif field.name == "gateway_validation_mode":
            if not isinstance(value, ValidationMode):
                allowed = ", ".join(e.value for e in ValidationMode)
                problems[field.name] = f"{label} must be one of: {allowed}."
        elif not isinstance(value, str):
            problems[field.name] = f"{label} must be text."
    return problems


def _text_problem(name: str, value: str) -> str | None:
    label = LABELS[name]
    limit = _MAX_LENGTHS.get(name)
    if limit is not None and len(value) > limit:
        return f"{label} is too long ({len(value)} characters; at most {limit})."
    if name in _SINGLE_LINE and ("\n" in value or "\r" in value):
        return f"{label} must be a single line."
    if _CONTROL.search(value):
        return f"{label} contains a control character; retype it instead of pasting."
    return None


def _template_problem(name: str, value: str) -> str | None:
    label = LABELS[name]
    unknown = sorted({p for p in _PLACEHOLDER.findall(value) if p not in TEMPLATE_PLACEHOLDERS})
    if unknown:
        return (
            f"{label} uses unknown placeholder(s) {', '.join(unknown)}. "
            f"Available: {', '.join(TEMPLATE_PLACEHOLDERS)}."
        )
    if name == "profile_request_body_template" and SECURE_LINK_PLACEHOLDER not in value:
        return f"{label} must contain {SECURE_LINK_PLACEHOLDER} so the customer gets the link."
    if not value.strip():
        return f"{label} is empty."
    return None


def _email_problem(name: str, value: str) -> str | None:
    if value and not _EMAIL.fullmatch(value):
        return (
            f"{LABELS[name]} {value!r} is not a valid email address "
            "(expected something like billing@example.com)."
        )
    return None


def _smtp_host_problem(name: str, value: str) -> str | None:
    if "://" in value:
        return f"{LABELS[name]} must be just the host name, like smtp.example.com (no smtp://)."
    if value and (len(value) > 253 or not _HOST.fullmatch(value)):
        return f"{LABELS[name]} {value!r} is not a valid host name (like smtp.example.com)."
    return None


def _public_url_problem(name: str, value: str) -> str | None:
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{LABELS[name]} must be a web address such as https://pay.example.com."
    if parts.username or parts.password or parts.query or parts.fragment:
        return f"{LABELS[name]} must not contain a user name, password, '?' or '#' part."
    return None


def _range_problem(name: str, value: int) -> str | None:
    low, high = INT_RANGES[name]
    if low <= value <= high:
        return None
    return f"{LABELS[name]} must be from {low} to {high}; {value} is not."


def _currency_problem(name: str, value: str) -> str | None:
    if _CURRENCY.fullmatch(value):
        return None
    return f"{LABELS[name]} must be a three-letter code in capitals, such as USD."


_CREDENTIAL_SHAPES = {
    "gateway_api_login_id": (_API_LOGIN_ID, "letters and digits, up to 25"),
    "gateway_public_client_key": (_CLIENT_KEY, "letters and digits, up to 128"),
}


def _credential_problem(name: str, value: str) -> str | None:
    pattern, shape = _CREDENTIAL_SHAPES[name]
    if value and not pattern.fullmatch(value):
        return f"{LABELS[name]} must be {shape}, as shown by Authorize.Net."
    return None


def _bind_address_problem(name: str, value: str) -> str | None:
    if not value or not _HOST.fullmatch(value.strip("[]") if ":" in value else value):
        return f"{LABELS[name]} must be an address to listen on, such as 127.0.0.1 or 0.0.0.0."
    return None


# Rules about one field alone: (field name, value) -> problem or None.
_FIELD_RULES: dict[str, Callable[[str, Any], str | None]] = {
    "email_from_address": _email_problem,
    "smtp_host": _smtp_host_problem,
    "link_server_public_url": _public_url_problem,
    "link_server_bind_address": _bind_address_problem,
    "currency": _currency_problem,
    "profile_request_subject_template": _template_problem,
    "profile_request_body_template": _template_problem,
    **dict.fromkeys(_CREDENTIAL_SHAPES, _credential_problem),
    **dict.fromkeys(INT_RANGES, _range_problem),
}


def field_problems(settings: SharedSettings) -> dict[str, str]:
    """Rules each field must meet on its own; what loading checks stored values against."""
    problems = _type_problems(settings)
    if problems:
        return problems  # the rules below assume the types are right
    for name in _MAX_LENGTHS:
        problem = _text_problem(name, getattr(settings, name))
        if problem:
            problems[name] = problem
    for name, rule in _FIELD_RULES.items():
        if name not in problems:
            problem = rule(name, getattr(settings, name))
            if problem:
                problems[name] = problem
    return problems


def _cross_field_problems(settings: SharedSettings) -> dict[str, str]:
    """Rules that tie fields together: what going live needs."""
    problems: dict[str, str] = {}
    environment = settings.gateway_environment
    if environment is not GatewayEnvironment.OFFLINE_SANDBOX:
        for name in _CREDENTIAL_SHAPES:
            if not getattr(settings, name):
                problems[name] = (
                    f"{LABELS[name]} is required for the {environment.value} environment."
                )
    if bool(settings.link_server_tls_certificate) != bool(settings.link_server_tls_key):
        missing = (
            "link_server_tls_key"
            if settings.link_server_tls_certificate
            else "link_server_tls_certificate"
        )
        problems[missing] = (
            f"{LABELS[missing]} is needed too: TLS takes a certificate and its private key."
        )
    url = settings.link_server_public_url
    if environment is GatewayEnvironment.PRODUCTION and url and urlsplit(url).scheme != "https":
        problems["link_server_public_url"] = (
            f"{LABELS['link_server_public_url']} must start with https:// when the gateway "
            "environment is production: customers type card details on that page."
        )
    return problems


def shared_settings_problems(settings: SharedSettings) -> dict[str, str]:
    """Every broken rule, by field name; empty when the settings may be saved."""
    if _type_problems(settings):
        return _type_problems(settings)  # cross-field rules assume the types are right
    problems = field_problems(settings)
    for name, problem in _cross_field_problems(settings).items():
        problems.setdefault(name, problem)
    return problems


def validate_shared_settings(settings: SharedSettings) -> None:
    """Raise ``SettingsError`` listing every broken rule, or return quietly."""
    problems = shared_settings_problems(settings)
    if problems:
        raise SettingsError(problems)


def shared_settings_from_stored(stored: Mapping[str, str]) -> SharedSettings:
    """The settings the stored text values describe, defaults for everything else.

    Never fails: a stored value that is unusable (hand-edited, or written by a newer
    version) is logged by key and replaced by its default, so a desk can always start.
    Keys this version does not know are ignored.
    """
    parsed: dict[str, object] = {}
    for key, text in stored.items():
        if key not in LABELS:
            continue
        try:
            parsed[key] = parse_field(key, text)
        except SettingsError:
            log.warning("stored shared setting %s cannot be read; using its default", key)
    settings = replace(SharedSettings(), **parsed)  # type: ignore[arg-type]
    problems = field_problems(settings)
    if problems:
        for key in problems:
            log.warning("stored shared setting %s is not valid; using its default", key)
        defaults = SharedSettings()
        settings = replace(settings, **{key: getattr(defaults, key) for key in problems})
    return settings

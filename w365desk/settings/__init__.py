"""Typed settings, kept where each kind belongs.

- shared by every desk: ``SharedSettings``, stored in the database's ``setting`` table by
  ``w365desk.services.shared_settings.SharedSettingsStore`` (this package only types,
  parses and validates them; it never touches the database);
- this desk only: ``DesktopSettings`` in ``desktop.json`` in the user's config folder;
- secrets: ``SecretStore`` over the OS keyring, with environment-variable fallback.
"""

from w365desk.settings.desktop import (
    DESKTOP_FILE_NAME,
    DesktopSettings,
    desktop_settings_path,
    load_desktop_settings,
    redact_database_url,
    resolve_database_url,
    save_desktop_settings,
)
from w365desk.settings.errors import SecretStorageUnavailable, SettingsError
from w365desk.settings.secret_store import (
    SECRET_ENVIRONMENT_VARIABLES,
    SECRET_LABELS,
    SERVICE_NAME,
    SecretName,
    SecretSource,
    SecretStore,
    validated_secret,
)
from w365desk.settings.shared import (
    DEFAULT_PROFILE_REQUEST_BODY,
    DEFAULT_PROFILE_REQUEST_SUBJECT,
    SECURE_LINK_PLACEHOLDER,
    TEMPLATE_PLACEHOLDERS,
    GatewayEnvironment,
    SharedSettings,
    SmtpSecurity,
    ValidationMode,
    shared_settings_from_text,
)
from w365desk.settings.shared import LABELS as SHARED_SETTING_LABELS
from w365desk.settings.shared_validation import (
    shared_settings_from_stored,
    shared_settings_problems,
    validate_shared_settings,
)

__all__ = [
    "DEFAULT_PROFILE_REQUEST_BODY",
    "DEFAULT_PROFILE_REQUEST_SUBJECT",
    "DESKTOP_FILE_NAME",
    "SECRET_ENVIRONMENT_VARIABLES",
    "SECRET_LABELS",
    "SECURE_LINK_PLACEHOLDER",
    "SERVICE_NAME",
    "SHARED_SETTING_LABELS",
    "TEMPLATE_PLACEHOLDERS",
    "DesktopSettings",
    "GatewayEnvironment",
    "SecretName",
    "SecretSource",
    "SecretStorageUnavailable",
    "SecretStore",
    "SettingsError",
    "SharedSettings",
    "SmtpSecurity",
    "ValidationMode",
    "desktop_settings_path",
    "load_desktop_settings",
    "redact_database_url",
    "resolve_database_url",
    "save_desktop_settings",
    "shared_settings_from_stored",
    "shared_settings_from_text",
    "shared_settings_problems",
    "validate_shared_settings",
    "validated_secret",
]

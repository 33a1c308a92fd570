"""Typed settings, kept where each kind belongs.

- shared by every desk: ``SharedSettings`` in the database's ``setting`` table;
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
)

__all__ = [
    "DESKTOP_FILE_NAME",
    "SECRET_ENVIRONMENT_VARIABLES",
    "SECRET_LABELS",
    "SERVICE_NAME",
    "DesktopSettings",
    "SecretName",
    "SecretSource",
    "SecretStorageUnavailable",
    "SecretStore",
    "SettingsError",
    "desktop_settings_path",
    "load_desktop_settings",
    "redact_database_url",
    "resolve_database_url",
    "save_desktop_settings",
]

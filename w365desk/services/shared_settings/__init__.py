"""The settings every desk shares, loaded from and saved to the database, and the
Settings use cases. The value types a front door fills in are re-exported here, so a
front door needs nothing from the storage layer."""

from w365desk.services.shared_settings.editing import (
    EDITABLE_SECRETS,
    SECRET_LABELS,
    MailTestFailed,
    SettingsEditor,
    SettingsSnapshot,
)
from w365desk.services.shared_settings.store import SharedSettingsStore
from w365desk.settings import (
    GatewayEnvironment,
    SecretName,
    SecretSource,
    SharedSettings,
    SmtpSecurity,
    ValidationMode,
)

__all__ = [
    "EDITABLE_SECRETS",
    "SECRET_LABELS",
    "GatewayEnvironment",
    "MailTestFailed",
    "SecretName",
    "SecretSource",
    "SettingsEditor",
    "SettingsSnapshot",
    "SharedSettings",
    "SharedSettingsStore",
    "SmtpSecurity",
    "ValidationMode",
]

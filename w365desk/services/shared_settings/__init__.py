"""The settings every desk shares, loaded from and saved to the database."""

from w365desk.services.shared_settings.store import SharedSettingsStore

__all__ = ["SharedSettingsStore"]

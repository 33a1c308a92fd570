"""Errors raised when a setting or secret is refused, phrased for the person who typed it."""

from __future__ import annotations

from collections.abc import Mapping


class SettingsError(ValueError):
    """One or more setting values were refused.

    ``problems`` maps each offending field (its attribute or key name) to a message
    that names the field in words staff recognise, so a settings screen can show every
    problem beside its own input at once. Messages never quote secret values.
    """

    def __init__(self, problems: Mapping[str, str]) -> None:
        if not problems:
            raise ValueError("SettingsError needs at least one problem")
        self.problems: dict[str, str] = dict(problems)
        super().__init__(" ".join(self.problems.values()))

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(self.problems)


class SecretStorageUnavailable(SettingsError):
    """The OS keyring cannot store or remove a secret; the message names the environment
    variable to use instead."""

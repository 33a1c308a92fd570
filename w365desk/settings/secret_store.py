"""Secrets (gateway keys, SMTP and database passwords) in the OS keyring.

Where to find a secret, in order:

1. the environment variable named in ``SECRET_ENVIRONMENT_VARIABLES`` when it is set and
   not blank: it *overrides* the keyring, so a service account or a headless server can be
   configured without touching this desktop's keyring;
2. the OS keyring (Windows Credential Manager, macOS Keychain, Secret Service/KWallet),
   service name ``w365desk``, user name = the secret's name.

A headless Linux server usually has no keyring at all (``keyring`` then installs its
``fail`` backend). Reading still works through the environment variables; storing raises
``SecretStorageUnavailable`` naming the variable to set instead.

Values never reach logs, exception messages or ``repr``: only secret *names* do.
"""

from __future__ import annotations

import enum
import logging
import os
import re
from collections.abc import Mapping

import keyring
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.errors import PasswordDeleteError

from w365desk.settings.errors import SecretStorageUnavailable, SettingsError

SERVICE_NAME = "w365desk"

log = logging.getLogger(__name__)


class SecretName(enum.StrEnum):
    GATEWAY_TRANSACTION_KEY = "gateway_transaction_key"
    GATEWAY_SIGNATURE_KEY = "gateway_signature_key"
    SMTP_PASSWORD = "smtp_password"
    DATABASE_PASSWORD = "database_password"


class SecretSource(enum.StrEnum):
    ENVIRONMENT = "environment"
    KEYRING = "keyring"
    MISSING = "missing"


SECRET_ENVIRONMENT_VARIABLES: Mapping[SecretName, str] = {
    SecretName.GATEWAY_TRANSACTION_KEY: "W365DESK_TRANSACTION_KEY",
    SecretName.GATEWAY_SIGNATURE_KEY: "W365DESK_SIGNATURE_KEY",
    SecretName.SMTP_PASSWORD: "W365DESK_SMTP_PASSWORD",
    SecretName.DATABASE_PASSWORD: "W365DESK_DATABASE_PASSWORD",
}

SECRET_LABELS: Mapping[SecretName, str] = {
    SecretName.GATEWAY_TRANSACTION_KEY: "Transaction Key",
    SecretName.GATEWAY_SIGNATURE_KEY: "Signature Key",
    SecretName.SMTP_PASSWORD: "SMTP password",
    SecretName.DATABASE_PASSWORD: "Database password",
}

_GATEWAY_KEYS = frozenset({SecretName.GATEWAY_TRANSACTION_KEY, SecretName.GATEWAY_SIGNATURE_KEY})
_TRANSACTION_KEY = re.compile(r"[A-Za-z0-9]{1,64}")
# Authorize.Net signature keys are 64 bytes shown as 128 hex digits; a shorter paste
# is almost always a truncated copy, which would make every webhook look forged.
_SIGNATURE_KEY = re.compile(r"[0-9A-Fa-f]{128}")
_MAX_PASSWORD_LENGTH = 1024


def secret_name(name: SecretName | str) -> SecretName:
    try:
        return SecretName(name)
    except ValueError:
        known = ", ".join(n.value for n in SecretName)
        raise ValueError(f"unknown secret {name!r}; known secrets: {known}") from None


def clean_secret(name: SecretName, value: str) -> str:
    """Remove what copy and paste adds around a secret.

    Gateway keys never contain whitespace, so all of it goes (merchants paste the
    signature key with a trailing newline, sometimes wrapped). Passwords may legitimately
    contain spaces, so only surrounding line breaks are removed from them.
    """
    if name in _GATEWAY_KEYS:
        return "".join(value.split())
    return value.strip("\r\n")


def validated_secret(name: SecretName, value: str) -> str:
    """The value as it would be stored (pasted whitespace cleaned), or ``SettingsError``
    saying what is wrong with it."""
    cleaned = clean_secret(name, value)
    label = SECRET_LABELS[name]
    problem: str | None = None
    if not cleaned.strip():
        problem = f"{label} is empty. To remove it, delete it instead."
    elif name is SecretName.GATEWAY_TRANSACTION_KEY and not _TRANSACTION_KEY.fullmatch(cleaned):
        problem = f"{label} must be letters and digits only (up to 64), as shown by Authorize.Net."
    elif name is SecretName.GATEWAY_SIGNATURE_KEY and not _SIGNATURE_KEY.fullmatch(cleaned):
        problem = (
            f"{label} must be exactly 128 hexadecimal characters (0-9, A-F); "
            f"the pasted value has {len(cleaned)} characters. Copy the whole key again."
        )
    elif len(cleaned) > _MAX_PASSWORD_LENGTH or "\x00" in cleaned:
        problem = f"{label} is too long or contains a NUL character."
    if problem:
        raise SettingsError({name.value: problem})
    return cleaned


def keyring_is_usable(backend: KeyringBackend) -> bool:
    """False for keyring's stand-ins that cannot keep a secret (fail, null, an empty chain)."""
    if isinstance(backend, fail.Keyring | null.Keyring):
        return False
    if isinstance(backend, chainer.ChainerBackend):
        return any(keyring_is_usable(member) for member in backend.backends)
    return True


class SecretStore:
    """Read, store and remove the program's secrets.

    ``backend`` defaults to whatever ``keyring.get_keyring()`` returns at the moment of
    each call (so ``keyring.set_keyring`` takes effect); ``environ`` defaults to
    ``os.environ``, read at each call.
    """

    def __init__(
        self,
        backend: KeyringBackend | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._backend = backend
        self._environ = environ

    def __repr__(self) -> str:
        return f"SecretStore(backend={self._current_backend().name!r})"

    def _current_backend(self) -> KeyringBackend:
        return self._backend if self._backend is not None else keyring.get_keyring()

    def _from_environment(self, name: SecretName) -> str | None:
        environ = self._environ if self._environ is not None else os.environ
        raw = environ.get(SECRET_ENVIRONMENT_VARIABLES[name])
        if raw is None:
            return None
        value = clean_secret(name, raw)
        return value if value.strip() else None

    def _from_keyring(self, name: SecretName) -> str | None:
        backend = self._current_backend()
        if not keyring_is_usable(backend):
            return None
        try:
            raw = backend.get_password(SERVICE_NAME, name.value)
        except Exception as exc:  # a broken keyring must not stop the program from starting
            reason = type(exc).__name__
            log.warning("could not read secret %s from the keyring (%s)", name.value, reason)
            return None
        if raw is None:
            return None
        value = clean_secret(name, raw)
        return value if value.strip() else None

    def get(self, name: SecretName | str) -> str | None:
        """The secret's value, or None when it is set nowhere."""
        key = secret_name(name)
        from_environment = self._from_environment(key)
        return from_environment if from_environment is not None else self._from_keyring(key)

    def source(self, name: SecretName | str) -> SecretSource:
        """Where ``get`` finds the secret: for the settings screen to say "set via ..."."""
        key = secret_name(name)
        if self._from_environment(key) is not None:
            return SecretSource.ENVIRONMENT
        if self._from_keyring(key) is not None:
            return SecretSource.KEYRING
        return SecretSource.MISSING

    def keyring_available(self) -> bool:
        return keyring_is_usable(self._current_backend())

    def set(self, name: SecretName | str, value: str) -> None:
        """Store the secret in the OS keyring, cleaned of pasted whitespace and checked.

        Raises ``SettingsError`` for a malformed value and ``SecretStorageUnavailable``
        when there is no keyring to store it in.
        """
        key = secret_name(name)
        cleaned = validated_secret(key, value)
        backend = self._require_keyring(key, "store")
        try:
            backend.set_password(SERVICE_NAME, key.value, cleaned)
        except Exception as exc:
            # `from None`: a backend's exception could echo what it was given.
            raise self._refused(key, "store", exc) from None
        if self._from_environment(key) is not None:
            log.warning(
                "secret %s stored in the keyring, but %s is set and takes precedence",
                key.value,
                SECRET_ENVIRONMENT_VARIABLES[key],
            )

    def delete(self, name: SecretName | str) -> None:
        """Remove the secret from the OS keyring; removing an absent secret is not an error.

        A value supplied by an environment variable stays in effect until it is unset.
        """
        key = secret_name(name)
        backend = self._require_keyring(key, "remove")
        try:
            backend.delete_password(SERVICE_NAME, key.value)
        except PasswordDeleteError:
            return
        except Exception as exc:
            raise self._refused(key, "remove", exc) from None

    def backend_description(self) -> str:
        """One sentence for the settings screen saying where secrets are kept."""
        variables = ", ".join(SECRET_ENVIRONMENT_VARIABLES.values())
        backend = self._current_backend()
        if keyring_is_usable(backend):
            return (
                f"Secrets are kept in the OS keyring ({backend.name}). "
                f"Environment variables override it when set: {variables}."
            )
        return (
            "No OS keyring is available on this computer, so secrets cannot be saved here. "
            f"Set them as environment variables instead: {variables}."
        )

    def _require_keyring(self, key: SecretName, verb: str) -> KeyringBackend:
        backend = self._current_backend()
        if not keyring_is_usable(backend):
            variable = SECRET_ENVIRONMENT_VARIABLES[key]
            raise SecretStorageUnavailable(
                {
                    key.value: (
                        f"Cannot {verb} the {SECRET_LABELS[key]}: no OS keyring is available "
                        f"on this computer. Set the environment variable {variable} for the "
                        "w365desk program instead."
                    )
                }
            )
        return backend

    def _refused(self, key: SecretName, verb: str, exc: Exception) -> SecretStorageUnavailable:
        variable = SECRET_ENVIRONMENT_VARIABLES[key]
        return SecretStorageUnavailable(
            {
                key.value: (
                    f"The OS keyring refused to {verb} the {SECRET_LABELS[key]} "
                    f"({type(exc).__name__}). Unlock the keyring and try again, or set the "
                    f"environment variable {variable} instead."
                )
            }
        )

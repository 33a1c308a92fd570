"""Secrets: the keyring round trip, the environment fallback and override, clear errors."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.errors import KeyringLocked
from keyring_double import InMemoryKeyring

from w365desk.settings import (
    SECRET_ENVIRONMENT_VARIABLES,
    SERVICE_NAME,
    DesktopSettings,
    SecretName,
    SecretSource,
    SecretStorageUnavailable,
    SecretStore,
    SettingsError,
    SharedSettings,
    resolve_database_url,
)

TRANSACTION_KEY = "7bK3xT9qR2mW8pZa"
SIGNATURE_KEY = "0123456789ABCDEF" * 8


class LockedKeyring(InMemoryKeyring):
    """A keyring that exists but refuses every operation, like a locked desktop keyring."""

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked(f"locked while asked for {username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked(f"locked; could not store {password}")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("locked")


@pytest.fixture
def installed_keyring() -> Iterator[KeyringBackend]:
    """Restores whatever keyring was installed before the test."""
    previous = keyring.get_keyring()
    yield previous
    keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring(installed_keyring: KeyringBackend) -> InMemoryKeyring:
    backend = InMemoryKeyring()
    keyring.set_keyring(backend)
    return backend


@pytest.fixture
def no_keyring(installed_keyring: KeyringBackend) -> fail.Keyring:
    backend = fail.Keyring()
    keyring.set_keyring(backend)
    return backend


@pytest.fixture(autouse=True)
def _no_secret_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in SECRET_ENVIRONMENT_VARIABLES.values():
        monkeypatch.delenv(variable, raising=False)


def test_round_trip_through_the_installed_keyring(memory_keyring: InMemoryKeyring) -> None:
    store = SecretStore()
    values = {
        SecretName.GATEWAY_TRANSACTION_KEY: TRANSACTION_KEY,
        SecretName.GATEWAY_SIGNATURE_KEY: SIGNATURE_KEY,
        SecretName.SMTP_PASSWORD: "correct horse battery",
        SecretName.DATABASE_PASSWORD: "p@ss:w/rd",
    }
    for name, value in values.items():
        assert store.get(name) is None
        assert store.source(name) is SecretSource.MISSING
        store.set(name, value)

    for name, value in values.items():
        assert store.get(name) == value
        assert store.get(name.value) == value
        assert store.source(name) is SecretSource.KEYRING
        assert memory_keyring.passwords[(SERVICE_NAME, name.value)] == value


def test_delete_removes_and_is_idempotent(memory_keyring: InMemoryKeyring) -> None:
    store = SecretStore()
    store.set("smtp_password", "hunter2")
    store.delete("smtp_password")
    assert store.get("smtp_password") is None
    store.delete("smtp_password")
    assert memory_keyring.passwords == {}


def test_pasted_keys_lose_their_stray_whitespace(memory_keyring: InMemoryKeyring) -> None:
    store = SecretStore()
    wrapped = f"  {SIGNATURE_KEY[:64]}\r\n{SIGNATURE_KEY[64:]}\n"
    store.set(SecretName.GATEWAY_SIGNATURE_KEY, wrapped)
    store.set(SecretName.GATEWAY_TRANSACTION_KEY, f"\t{TRANSACTION_KEY} \n")
    store.set(SecretName.SMTP_PASSWORD, " spaces inside count \r\n")

    assert store.get(SecretName.GATEWAY_SIGNATURE_KEY) == SIGNATURE_KEY
    assert store.get(SecretName.GATEWAY_TRANSACTION_KEY) == TRANSACTION_KEY
    # A password may begin or end with a space; only the pasted line break goes.
    assert store.get(SecretName.SMTP_PASSWORD) == " spaces inside count "


def test_values_stored_by_other_tools_are_cleaned_on_read(
    memory_keyring: InMemoryKeyring,
) -> None:
    memory_keyring.passwords[(SERVICE_NAME, "gateway_signature_key")] = SIGNATURE_KEY + "\n"
    memory_keyring.passwords[(SERVICE_NAME, "smtp_password")] = "\n"
    store = SecretStore()
    assert store.get("gateway_signature_key") == SIGNATURE_KEY
    assert store.get("smtp_password") is None


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("gateway_signature_key", SIGNATURE_KEY[:-1], "has 127 characters"),
        ("gateway_signature_key", "Z" * 128, "hexadecimal"),
        ("gateway_transaction_key", "abc-def", "letters and digits"),
        ("smtp_password", "\r\n", "is empty"),
        ("database_password", "a\x00b", "NUL"),
    ],
)
def test_malformed_secrets_are_refused_without_echoing_them(
    memory_keyring: InMemoryKeyring, name: str, value: str, words: str
) -> None:
    with pytest.raises(SettingsError) as refused:
        SecretStore().set(name, value)
    assert refused.value.fields == (name,)
    assert words in str(refused.value)
    if len(value.strip()) > 3:
        assert value not in str(refused.value)
    assert memory_keyring.passwords == {}


def test_unknown_secret_names_are_refused(memory_keyring: InMemoryKeyring) -> None:
    with pytest.raises(ValueError, match="unknown secret 'api_key'"):
        SecretStore().get("api_key")


def test_environment_overrides_the_keyring(
    memory_keyring: InMemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = SecretStore()
    store.set(SecretName.GATEWAY_TRANSACTION_KEY, "FromKeyring1")
    monkeypatch.setenv("W365DESK_TRANSACTION_KEY", "FromEnvironment2\n")

    assert store.get(SecretName.GATEWAY_TRANSACTION_KEY) == "FromEnvironment2"
    assert store.source(SecretName.GATEWAY_TRANSACTION_KEY) is SecretSource.ENVIRONMENT

    with caplog.at_level(logging.WARNING, logger="w365desk.settings"):
        store.set(SecretName.GATEWAY_TRANSACTION_KEY, "FromKeyring3")
    assert "W365DESK_TRANSACTION_KEY" in caplog.text and "precedence" in caplog.text
    assert "FromKeyring3" not in caplog.text
    assert store.get(SecretName.GATEWAY_TRANSACTION_KEY) == "FromEnvironment2"

    monkeypatch.setenv("W365DESK_TRANSACTION_KEY", "   ")
    assert store.get(SecretName.GATEWAY_TRANSACTION_KEY) == "FromKeyring3"


def test_every_secret_has_its_documented_variable() -> None:
    assert dict(SECRET_ENVIRONMENT_VARIABLES) == {
        SecretName.GATEWAY_TRANSACTION_KEY: "W365DESK_TRANSACTION_KEY",
        SecretName.GATEWAY_SIGNATURE_KEY: "W365DESK_SIGNATURE_KEY",
        SecretName.SMTP_PASSWORD: "W365DESK_SMTP_PASSWORD",
        SecretName.DATABASE_PASSWORD: "W365DESK_DATABASE_PASSWORD",
    }


def test_without_a_keyring_secrets_come_from_the_environment(
    no_keyring: fail.Keyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SecretStore()
    assert not store.keyring_available()
    assert store.get(SecretName.SMTP_PASSWORD) is None
    assert store.source(SecretName.SMTP_PASSWORD) is SecretSource.MISSING

    monkeypatch.setenv("W365DESK_SMTP_PASSWORD", "from-the-service-unit")
    monkeypatch.setenv("W365DESK_SIGNATURE_KEY", SIGNATURE_KEY.lower() + "\n")
    assert store.get(SecretName.SMTP_PASSWORD) == "from-the-service-unit"
    assert store.get(SecretName.GATEWAY_SIGNATURE_KEY) == SIGNATURE_KEY.lower()
    assert store.source(SecretName.SMTP_PASSWORD) is SecretSource.ENVIRONMENT


@pytest.mark.parametrize(
    "backend",
    [fail.Keyring(), null.Keyring(), LockedKeyring()],
    ids=["fail", "null", "locked"],
)
def test_storing_without_a_usable_keyring_names_the_variable_to_use(
    installed_keyring: KeyringBackend, backend: KeyringBackend
) -> None:
    keyring.set_keyring(backend)
    store = SecretStore()

    with pytest.raises(SecretStorageUnavailable) as refused:
        store.set(SecretName.GATEWAY_TRANSACTION_KEY, TRANSACTION_KEY)

    message = str(refused.value)
    assert "W365DESK_TRANSACTION_KEY" in message
    assert "Transaction Key" in message
    assert TRANSACTION_KEY not in message
    # A crash report prints the whole chain; the locked backend's own error echoes the value.
    report = "".join(traceback.format_exception(refused.value))
    assert TRANSACTION_KEY not in report
    with pytest.raises(SecretStorageUnavailable, match="W365DESK_SMTP_PASSWORD"):
        store.delete(SecretName.SMTP_PASSWORD)


def test_a_locked_keyring_reads_as_missing_and_does_not_stop_the_program(
    installed_keyring: KeyringBackend, caplog: pytest.LogCaptureFixture
) -> None:
    keyring.set_keyring(LockedKeyring())
    store = SecretStore()
    with caplog.at_level(logging.WARNING, logger="w365desk.settings"):
        assert store.get(SecretName.DATABASE_PASSWORD) is None
    assert "KeyringLocked" in caplog.text
    # Resolving the database still works, just without a password.
    url = "postgresql+psycopg://desk@db/w365"
    assert resolve_database_url(DesktopSettings(database_url=url)) == url


def test_an_empty_chain_counts_as_no_keyring(
    installed_keyring: KeyringBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [])
    keyring.set_keyring(chainer.ChainerBackend())
    assert not SecretStore().keyring_available()


def test_backend_description_says_where_secrets_live(
    installed_keyring: KeyringBackend,
) -> None:
    keyring.set_keyring(InMemoryKeyring())
    with_keyring = SecretStore().backend_description()
    assert "OS keyring" in with_keyring and InMemoryKeyring.name in with_keyring
    assert "override" in with_keyring

    keyring.set_keyring(fail.Keyring())
    without = SecretStore().backend_description()
    assert "No OS keyring" in without
    for variable in SECRET_ENVIRONMENT_VARIABLES.values():
        assert variable in without


def test_an_explicit_backend_and_environment_are_used_instead_of_the_global_ones(
    no_keyring: fail.Keyring,
) -> None:
    backend = InMemoryKeyring()
    store = SecretStore(backend=backend, environ={"W365DESK_DATABASE_PASSWORD": "from-map"})
    store.set(SecretName.SMTP_PASSWORD, "in-explicit-backend")
    assert backend.passwords == {(SERVICE_NAME, "smtp_password"): "in-explicit-backend"}
    assert store.get(SecretName.DATABASE_PASSWORD) == "from-map"


def test_secrets_never_show_in_a_repr(memory_keyring: InMemoryKeyring) -> None:
    store = SecretStore()
    store.set(SecretName.GATEWAY_TRANSACTION_KEY, TRANSACTION_KEY)
    shown = repr(store) + repr(SharedSettings()) + repr(DesktopSettings())
    assert TRANSACTION_KEY not in shown
    assert not any(name.value in repr(SharedSettings()) for name in SecretName)

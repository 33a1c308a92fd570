"""Desktop settings: the JSON file, its atomic write, and choosing the database URL."""

from __future__ import annotations

import ast
import json
import logging
import os
import sys
from pathlib import Path

import pytest

import w365desk.settings
from w365desk.locations import default_database_url
from w365desk.settings import (
    DesktopSettings,
    SecretStore,
    SettingsError,
    desktop_settings_path,
    load_desktop_settings,
    redact_database_url,
    resolve_database_url,
    save_desktop_settings,
)

SERVER_URL = "postgresql+psycopg://desk@db.example.internal:5432/w365desk"
PASSWORD = "s3cr3t p@ss/word"


def no_secrets() -> SecretStore:
    return SecretStore(environ={})


def test_missing_file_gives_defaults() -> None:
    assert not desktop_settings_path().exists()
    assert load_desktop_settings() == DesktopSettings()


def test_file_lives_in_the_isolated_config_folder(tmp_path: Path) -> None:
    assert desktop_settings_path() == tmp_path / "data" / "config" / "desktop.json"


def test_round_trip_through_the_default_path() -> None:
    settings = DesktopSettings(
        database_url=SERVER_URL,
        window_geometry="AdnQywADAAAAAAAA",
        window_state="AAAA/wAAAAD9",
        last_tab="invoices",
    )
    save_desktop_settings(settings)

    assert load_desktop_settings() == settings
    stored = json.loads(desktop_settings_path().read_text(encoding="utf-8"))
    assert stored["database_url"] == SERVER_URL
    assert stored["format"] == 1


def test_keys_from_a_newer_version_survive_a_save(tmp_path: Path) -> None:
    path = tmp_path / "desktop.json"
    path.write_text(json.dumps({"last_tab": "accounts", "zoom": 1.25, "format": 2}), "utf-8")

    loaded = load_desktop_settings(path)
    assert loaded.extra == {"zoom": 1.25}
    save_desktop_settings(DesktopSettings(last_tab="invoices", extra=loaded.extra), path)

    again = json.loads(path.read_text(encoding="utf-8"))
    assert again["zoom"] == 1.25
    assert again["last_tab"] == "invoices"


def test_save_replaces_the_file_atomically_and_leaves_no_temp_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "desktop.json"
    save_desktop_settings(DesktopSettings(last_tab="accounts"), path)
    old_inode = path.stat().st_ino

    replaced: list[tuple[str, str]] = []
    real_replace = os.replace

    def recording_replace(src: str, dst: str) -> None:
        # The new content must be complete in the temp file before it takes the name.
        assert json.loads(Path(src).read_text(encoding="utf-8"))["last_tab"] == "invoices"
        assert Path(src).parent == path.parent
        replaced.append((str(src), str(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", recording_replace)
    save_desktop_settings(DesktopSettings(last_tab="invoices"), path)

    assert len(replaced) == 1 and replaced[0][1] == str(path)
    assert path.stat().st_ino != old_inode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["desktop.json"]


def test_a_failed_write_keeps_the_old_file_and_removes_the_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "desktop.json"
    save_desktop_settings(DesktopSettings(last_tab="accounts"), path)

    def failing_fsync(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="No space left"):
        save_desktop_settings(DesktopSettings(last_tab="invoices"), path)

    assert load_desktop_settings(path).last_tab == "accounts"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["desktop.json"]


@pytest.mark.parametrize(
    "content",
    [b'{"database_url": "sqlite:///x', b"\xff\xfe garbage", b"[1, 2, 3]", b""],
    ids=["truncated", "not-utf8", "not-an-object", "empty"],
)
def test_corrupt_file_is_reported_kept_aside_and_replaced_by_defaults(
    tmp_path: Path, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "desktop.json"
    path.write_bytes(content)

    with caplog.at_level(logging.WARNING, logger="w365desk.settings"):
        settings = load_desktop_settings(path)

    assert settings == DesktopSettings()
    assert "unreadable" in caplog.text
    assert (tmp_path / "desktop.json.corrupt").read_bytes() == content
    save_desktop_settings(settings, path)
    assert load_desktop_settings(path) == DesktopSettings()


def test_one_bad_value_falls_back_alone(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "desktop.json"
    path.write_text(
        json.dumps({"database_url": SERVER_URL, "last_tab": 7, "window_state": "not base64!"}),
        "utf-8",
    )
    with caplog.at_level(logging.WARNING, logger="w365desk.settings"):
        settings = load_desktop_settings(path)

    assert settings == DesktopSettings(database_url=SERVER_URL)
    assert "last_tab" in caplog.text and "window_state" in caplog.text


def test_save_refuses_a_url_with_a_password_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "desktop.json"
    with_password = f"postgresql+psycopg://desk:{PASSWORD.replace('/', '%2F')}@db/w365desk"

    with pytest.raises(SettingsError) as refused:
        save_desktop_settings(DesktopSettings(database_url=with_password), path)

    assert refused.value.fields == ("database_url",)
    message = str(refused.value)
    assert "password" in message and "database_password" in message
    assert "W365DESK_DATABASE_PASSWORD" in message
    assert "s3cr3t" not in message
    assert not path.exists()


def test_save_refuses_a_password_passed_as_a_query_parameter(tmp_path: Path) -> None:
    url = "postgresql+psycopg://desk@db/w365desk?password=hunter2"
    with pytest.raises(SettingsError, match="contains a password"):
        save_desktop_settings(DesktopSettings(database_url=url), tmp_path / "desktop.json")


def test_save_refuses_an_invalid_url_without_quoting_it(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as refused:
        save_desktop_settings(
            DesktopSettings(database_url="not a url :pw"), tmp_path / "desktop.json"
        )
    assert "not a valid database URL" in str(refused.value)
    assert ":pw" not in str(refused.value)


def test_save_refuses_values_of_the_wrong_kind(tmp_path: Path) -> None:
    bad = DesktopSettings(window_geometry="@@@", last_tab=3)  # type: ignore[arg-type]
    with pytest.raises(SettingsError) as refused:
        save_desktop_settings(bad, tmp_path / "desktop.json")
    assert set(refused.value.fields) == {"window_geometry", "last_tab"}


def test_a_hand_edited_password_is_used_but_never_shown(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "desktop.json"
    url = "postgresql+psycopg://desk:hunter2@db/w365desk"
    path.write_text(json.dumps({"database_url": url}), "utf-8")

    with caplog.at_level(logging.WARNING, logger="w365desk.settings"):
        settings = load_desktop_settings(path)

    assert resolve_database_url(settings, no_secrets()) == url
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in caplog.text
    assert "database_password" in caplog.text


def test_default_database_when_nothing_is_configured() -> None:
    assert resolve_database_url(DesktopSettings(), no_secrets()) == default_database_url()
    assert default_database_url().startswith("sqlite:///")


def test_desktop_file_url_beats_the_default() -> None:
    url = resolve_database_url(DesktopSettings(database_url=SERVER_URL), no_secrets())
    assert url == SERVER_URL


def test_environment_url_beats_the_desktop_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("W365DESK_DATABASE_URL", "postgresql+psycopg://ops@other/w365")
    resolved = resolve_database_url(DesktopSettings(database_url=SERVER_URL), no_secrets())
    assert resolved == "postgresql+psycopg://ops@other/w365"


def test_invalid_environment_url_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("W365DESK_DATABASE_URL", "nonsense")
    with pytest.raises(SettingsError, match="W365DESK_DATABASE_URL is not a valid"):
        resolve_database_url(DesktopSettings(), no_secrets())


def test_stored_password_is_merged_into_a_server_url() -> None:
    secrets = SecretStore(environ={"W365DESK_DATABASE_PASSWORD": PASSWORD + "\n"})

    resolved = resolve_database_url(DesktopSettings(database_url=SERVER_URL), secrets)

    from sqlalchemy.engine import make_url

    parsed = make_url(resolved)
    assert parsed.password == PASSWORD
    assert parsed.username == "desk" and parsed.host == "db.example.internal"
    assert parsed.database == "w365desk" and parsed.port == 5432
    assert PASSWORD not in redact_database_url(resolved)


def test_password_is_not_merged_into_sqlite_or_over_an_explicit_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secrets = SecretStore(environ={"W365DESK_DATABASE_PASSWORD": PASSWORD})
    sqlite_url = "sqlite:////srv/w365/w365desk.sqlite3"
    assert resolve_database_url(DesktopSettings(database_url=sqlite_url), secrets) == sqlite_url

    explicit = "postgresql+psycopg://ops:fromenv@other/w365"
    monkeypatch.setenv("W365DESK_DATABASE_URL", explicit)
    assert resolve_database_url(DesktopSettings(), secrets) == explicit


def test_redaction_hides_every_form_of_password() -> None:
    assert redact_database_url("postgresql+psycopg://u:pw1@h/d") == "postgresql+psycopg://u:***@h/d"
    assert "pw2" not in redact_database_url("postgresql+psycopg://u@h/d?password=pw2")
    assert redact_database_url("garbage") == "<invalid database URL>"


# What the settings package may import besides the standard library (DESIGN.md: stdlib,
# keyring, platformdirs). SQLAlchemy's URL parser is the one exception: the desktop file
# must judge a database URL (does it carry a password?) exactly as the engine will.
_SETTINGS_MAY_IMPORT = ("keyring", "platformdirs", "w365desk.settings", "w365desk.locations")
_URL_PARSING_ONLY = {"desktop.py": ("sqlalchemy.engine", "sqlalchemy.exc")}


def _imported_modules(source: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_settings_package_imports_no_database_or_service_code() -> None:
    package = Path(w365desk.settings.__file__).parent
    modules = sorted(package.glob("*.py"))
    assert {path.name for path in modules} >= {"__init__.py", "desktop.py", "shared.py"}
    for path in modules:
        allowed = _SETTINGS_MAY_IMPORT + _URL_PARSING_ONLY.get(path.name, ())
        for name in _imported_modules(path):
            if name.split(".")[0] in sys.stdlib_module_names or name == "__future__":
                continue
            assert any(name == ok or name.startswith(ok + ".") for ok in allowed), (
                f"w365desk/settings/{path.name} imports {name}"
            )

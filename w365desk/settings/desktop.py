"""This desktop's own settings: a small JSON file in the user's config folder.

What belongs here is what differs between two desks sharing one database: which
database to open, the window layout, the last tab. Never a secret: a database URL with
a password is refused on save, and the password goes to the keyring instead
(``database_password``) to be merged back in by ``resolve_database_url``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from w365desk.locations import DATABASE_URL_ENV, config_dir, default_database_url
from w365desk.settings.errors import SettingsError
from w365desk.settings.secret_store import SecretName, SecretStore

DESKTOP_FILE_NAME = "desktop.json"
FILE_FORMAT = 1

log = logging.getLogger(__name__)

_KNOWN_KEYS = ("database_url", "window_geometry", "window_state", "last_tab")
_BASE64_KEYS = ("window_geometry", "window_state")


@dataclass(frozen=True, repr=False)
class DesktopSettings:
    # None means the embedded default database (``default_database_url()``).
    database_url: str | None = None
    # Qt's saveGeometry()/saveState() bytes, base64-encoded.
    window_geometry: str | None = None
    window_state: str | None = None
    last_tab: str | None = None
    # Keys written by a newer version, kept so saving from this version does not drop them.
    extra: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        url = redact_database_url(self.database_url) if self.database_url else None
        return (
            f"DesktopSettings(database_url={url!r}, "
            f"window_geometry={_size(self.window_geometry)}, "
            f"window_state={_size(self.window_state)}, last_tab={self.last_tab!r}, "
            f"extra_keys={sorted(self.extra)!r})"
        )


def _size(value: str | None) -> str:
    return "None" if value is None else f"<{len(value)} chars>"


def desktop_settings_path() -> Path:
    return config_dir() / DESKTOP_FILE_NAME


def _parse_url(url: str, label: str) -> URL:
    try:
        return make_url(url)
    except (ArgumentError, ValueError):
        # The URL itself is not quoted: it may carry a password.
        raise SettingsError(
            {
                "database_url": (
                    f"{label} is not a valid database URL. Expected something like "
                    "postgresql+psycopg://user@server/w365desk or sqlite:///C:/path/file.sqlite3."
                )
            }
        ) from None


def _has_password(url: URL) -> bool:
    return url.password is not None or any(k.lower() == "password" for k in url.query)


def redact_database_url(url: str) -> str:
    """The URL safe to show or log: any password replaced by ``***``."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return "<invalid database URL>"
    query = {k: ("***" if k.lower() == "password" else v) for k, v in parsed.query.items()}
    return parsed.set(query=query).render_as_string(hide_password=True)


def _valid_base64(value: str) -> bool:
    try:
        base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return False
    return True


def _field_problems(values: dict[str, Any]) -> dict[str, str]:
    problems: dict[str, str] = {}
    for key in _KNOWN_KEYS:
        value = values.get(key)
        if value is not None and not isinstance(value, str):
            problems[key] = f"Desktop setting {key} must be text, not {type(value).__name__}."
        elif key in _BASE64_KEYS and value is not None and not _valid_base64(value):
            problems[key] = f"Desktop setting {key} must be base64 text (as Qt's toBase64 gives)."
    return problems


def load_desktop_settings(path: Path | None = None) -> DesktopSettings:
    """Read this desktop's settings; never fails.

    A missing file gives the defaults. A file that cannot be read as a JSON object is
    logged, kept beside the original as ``desktop.json.corrupt`` for someone to look at,
    and the defaults are used so the program still starts. A single bad value falls back
    to its own default.
    """
    path = path or desktop_settings_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return DesktopSettings()
    except OSError as exc:
        log.warning("cannot read desktop settings %s (%s); using defaults", path, exc)
        return DesktopSettings()
    try:
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("top level is not a JSON object")
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        backup = path.with_name(path.name + ".corrupt")
        with contextlib.suppress(OSError):
            os.replace(path, backup)
        log.warning(
            "desktop settings %s are unreadable (%s); using defaults, kept the file as %s",
            path,
            type(exc).__name__,
            backup.name,
        )
        return DesktopSettings()

    data.pop("format", None)
    problems = _field_problems(data)
    for key, problem in problems.items():
        log.warning("%s Using its default.", problem)
        data.pop(key)
    known = {key: data.pop(key, None) for key in _KNOWN_KEYS}
    url = known["database_url"]
    if url and _url_has_password(url):
        # Kept in memory so this desk still connects; saving will ask to move it.
        log.warning(
            "desktop settings %s hold a database password; store it in the keyring as "
            "database_password and remove it from the URL",
            path,
        )
    return DesktopSettings(**known, extra=data)


def _url_has_password(url: str) -> bool:
    try:
        return _has_password(make_url(url))
    except (ArgumentError, ValueError):
        return False


def _check_before_save(settings: DesktopSettings) -> None:
    values = {f.name: getattr(settings, f.name) for f in fields(settings)}
    problems = _field_problems(values)
    if not isinstance(settings.extra, dict):
        problems["extra"] = "Desktop setting extra must be a dictionary."
    if settings.database_url is not None and "database_url" not in problems:
        if not settings.database_url.strip():
            problems["database_url"] = (
                "Database URL is blank. Leave it unset to use the built-in database."
            )
        elif _has_password(_parse_url(settings.database_url, "Database URL")):
            problems["database_url"] = (
                "Database URL contains a password, which must not be saved in a file. "
                "Save the URL without the password and store the password as the "
                f"'{SecretName.DATABASE_PASSWORD.value}' secret in the keyring "
                "(or the W365DESK_DATABASE_PASSWORD environment variable)."
            )
    if problems:
        raise SettingsError(problems)


def save_desktop_settings(settings: DesktopSettings, path: Path | None = None) -> None:
    """Write the settings atomically: a reader sees the old file or the new one, never half.

    Raises ``SettingsError`` (nothing written) for a value that must not be saved.
    """
    _check_before_save(settings)
    path = path or desktop_settings_path()
    document: dict[str, Any] = {**settings.extra}
    document.update({key: getattr(settings, key) for key in _KNOWN_KEYS})
    document["format"] = FILE_FORMAT
    payload = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as temp_file:
            temp_file.write(payload)
            temp_file.flush()
            os.fsync(temp_file.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable; not possible (nor needed) on Windows."""
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def resolve_database_url(desktop: DesktopSettings, secrets: SecretStore | None = None) -> str:
    """The database this desk should open.

    ``W365DESK_DATABASE_URL`` wins, then the desktop file, then the embedded SQLite
    default. A server URL without a password gets the ``database_password`` secret
    (keyring, or ``W365DESK_DATABASE_PASSWORD``) merged in. The result may therefore
    contain a password: show or log it only through ``redact_database_url``.
    """
    from_environment = os.environ.get(DATABASE_URL_ENV, "").strip()
    if from_environment:
        url, label = from_environment, DATABASE_URL_ENV
    elif desktop.database_url and desktop.database_url.strip():
        url, label = desktop.database_url.strip(), "The database URL in the desktop settings"
    else:
        return default_database_url()
    parsed = _parse_url(url, label)
    if parsed.get_backend_name() == "sqlite" or _has_password(parsed):
        return url
    password = (secrets or SecretStore()).get(SecretName.DATABASE_PASSWORD)
    if password is None:
        return url
    return parsed.set(password=password).render_as_string(hide_password=False)

"""Where the program's files live: user data, user config, and shipped resources.

One place answers these questions so a source checkout, an installed wheel and a
PyInstaller bundle all behave the same.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "w365desk"
APP_AUTHOR = "w365desk"

DATA_DIR_ENV = "W365DESK_DATA_DIR"
DATABASE_URL_ENV = "W365DESK_DATABASE_URL"


def data_dir() -> Path:
    """Folder for the embedded database, the sandbox state and logs.

    ``W365DESK_DATA_DIR`` wins so tests and benchmarks never touch a real user's data.
    """
    override = os.environ.get(DATA_DIR_ENV)
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    """Folder for this desktop's own settings file.

    With ``W365DESK_DATA_DIR`` set the config lives beside the data, again so an
    isolated run cannot read or overwrite the real desktop's configuration.
    """
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        path = Path(override) / "config"
    else:
        path = Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_database_url() -> str:
    """The embedded default: SQLite in the user data folder, unless overridden."""
    override = os.environ.get(DATABASE_URL_ENV)
    if override:
        return override
    return f"sqlite:///{(data_dir() / 'w365desk.sqlite3').as_posix()}"


def _resource_roots() -> list[Path]:
    roots: list[Path] = []
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:  # PyInstaller one-folder bundle
        roots.append(Path(bundle))
    package_dir = Path(__file__).resolve().parent
    roots.append(package_dir.parent)  # source checkout or editable install
    roots.append(Path(sys.prefix) / "share" / APP_NAME)  # wheel installed with data-files
    return roots


def resource_path(*parts: str) -> Path:
    """Locate a shipped file or folder under ``ui/`` or ``resources/``.

    ``resource_path("ui", "main_window.ui")`` or ``resource_path("resources", "templates")``.
    """
    for root in _resource_roots():
        candidate = root.joinpath(*parts)
        if candidate.exists():
            return candidate
    searched = ", ".join(str(r) for r in _resource_roots())
    raise FileNotFoundError(f"resource {'/'.join(parts)!r} not found (searched {searched})")

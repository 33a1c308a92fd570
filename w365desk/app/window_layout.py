"""The main window's layout kept in this desktop's settings file (``desktop.json``).

Read before the first paint, so reading it imports nothing slow: the window's keys are
taken from the file directly (a damaged or missing file gives the default layout).
Saving goes through the settings module, which rewrites the file with everything else
it holds as it is on disk at that moment.
"""

from __future__ import annotations

import binascii
import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

from w365desk.gui.session import WindowLayout
from w365desk.locations import config_dir

log = logging.getLogger(__name__)

DESKTOP_FILE_NAME = "desktop.json"  # as w365desk.settings names it
# Kept in desktop.json beside the window's own state: each table's column widths and order.
HEADERS_KEY = "table_headers"


def _base64(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        binascii.a2b_base64(value.encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None
    return value


class DesktopWindowLayout:
    """``WindowLayoutStore`` over ``desktop.json`` (by default in this user's config folder)."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path

    @property
    def path(self) -> Path:
        return self._path or config_dir() / DESKTOP_FILE_NAME

    def load(self) -> WindowLayout:
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return WindowLayout()
        if not isinstance(document, dict):
            return WindowLayout()
        headers = document.get(HEADERS_KEY)
        last_view = document.get("last_tab")
        return WindowLayout(
            geometry=_base64(document.get("window_geometry")),
            state=_base64(document.get("window_state")),
            last_view=last_view if isinstance(last_view, str) else None,
            headers={
                str(name): value
                for name, value in (headers.items() if isinstance(headers, dict) else ())
                if _base64(value) is not None
            },
        )

    def save(self, layout: WindowLayout) -> None:
        from w365desk.settings import SettingsError, load_desktop_settings, save_desktop_settings

        try:
            desktop = load_desktop_settings(self._path)
            save_desktop_settings(
                dataclasses.replace(
                    desktop,
                    window_geometry=layout.geometry,
                    window_state=layout.state,
                    last_tab=layout.last_view,
                    extra={**desktop.extra, HEADERS_KEY: dict(layout.headers)},
                ),
                self._path,
            )
        except SettingsError as error:
            # E.g. a hand-edited database URL with a password: keep running, say why.
            log.warning("window state not saved: %s", error)

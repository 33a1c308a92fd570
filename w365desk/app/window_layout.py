"""The main window's layout kept in this desktop's settings file (``desktop.json``)."""

from __future__ import annotations

import dataclasses
import logging

from w365desk.gui.session import WindowLayout
from w365desk.settings import DesktopSettings, SettingsError, save_desktop_settings

log = logging.getLogger(__name__)

# Kept in desktop.json beside the window's own state: each table's column widths and order.
HEADERS_KEY = "table_headers"


class DesktopWindowLayout:
    """``WindowLayoutStore`` over ``desktop.json``; remembers what it last saved."""

    def __init__(self, desktop: DesktopSettings) -> None:
        self.desktop = desktop

    def load(self) -> WindowLayout:
        headers = self.desktop.extra.get(HEADERS_KEY)
        return WindowLayout(
            geometry=self.desktop.window_geometry,
            state=self.desktop.window_state,
            last_view=self.desktop.last_tab,
            headers={
                str(name): value
                for name, value in (headers.items() if isinstance(headers, dict) else ())
                if isinstance(value, str)
            },
        )

    def save(self, layout: WindowLayout) -> None:
        desktop = dataclasses.replace(
            self.desktop,
            window_geometry=layout.geometry,
            window_state=layout.state,
            last_tab=layout.last_view,
            extra={**self.desktop.extra, HEADERS_KEY: dict(layout.headers)},
        )
        try:
            save_desktop_settings(desktop)
        except SettingsError as error:
            # E.g. a hand-edited database URL with a password: keep running, say why.
            log.warning("window state not saved: %s", error)
            return
        self.desktop = desktop

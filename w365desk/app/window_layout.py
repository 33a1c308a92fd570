"""The main window's layout kept in this desktop's settings file (``desktop.json``)."""

from __future__ import annotations

import dataclasses
import logging

from w365desk.gui.session import WindowLayout
from w365desk.settings import DesktopSettings, SettingsError, save_desktop_settings

log = logging.getLogger(__name__)


class DesktopWindowLayout:
    """``WindowLayoutStore`` over ``desktop.json``; remembers what it last saved."""

    def __init__(self, desktop: DesktopSettings) -> None:
        self.desktop = desktop

    def load(self) -> WindowLayout:
        return WindowLayout(
            geometry=self.desktop.window_geometry,
            state=self.desktop.window_state,
            last_view=self.desktop.last_tab,
        )

    def save(self, layout: WindowLayout) -> None:
        desktop = dataclasses.replace(
            self.desktop,
            window_geometry=layout.geometry,
            window_state=layout.state,
            last_tab=layout.last_view,
        )
        try:
            save_desktop_settings(desktop)
        except SettingsError as error:
            # E.g. a hand-edited database URL with a password: keep running, say why.
            log.warning("window state not saved: %s", error)
            return
        self.desktop = desktop

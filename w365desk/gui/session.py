"""What the desktop front door is handed by the composition root (no Qt here).

The GUI never builds its own parts: ``run_gui`` is given a function that opens a
``DeskSession``, and the main window gets only the pieces it uses from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from w365desk.services.actors import Actor
from w365desk.services.bundle import Services


@dataclass(frozen=True)
class WindowLayout:
    """The main window as it was left: Qt's saved geometry and state (base64) and the view."""

    geometry: str | None = None
    state: str | None = None
    last_view: str | None = None


class WindowLayoutStore(Protocol):
    """Where this desktop keeps the window layout. ``save`` never raises: a layout that
    cannot be kept is not worth interrupting anyone for."""

    def load(self) -> WindowLayout: ...

    def save(self, layout: WindowLayout) -> None: ...


@dataclass(frozen=True)
class DeskStatus:
    """What the status bar tells staff about where this desk works."""

    database: str
    gateway: str


class DeskSession(Protocol):
    @property
    def services(self) -> Services: ...

    @property
    def actor(self) -> Actor: ...

    @property
    def status(self) -> DeskStatus: ...

    @property
    def window_layout(self) -> WindowLayoutStore: ...

    def close(self) -> None: ...

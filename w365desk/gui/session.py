"""What the desktop front door is handed by the composition root (no Qt here).

The GUI never builds its own parts: ``run_gui`` is given the window layout store (cheap,
read before the first paint) and a function that opens a ``DeskSession``; the main
window gets only the pieces it uses from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # the layout store is read before the services are imported
    from w365desk.services.actors import Actor
    from w365desk.services.bundle import Services


@dataclass(frozen=True)
class WindowLayout:
    """The main window as it was left: Qt's saved geometry and state (base64), the view,
    and each table's column widths and order (Qt's saved header state, by table name)."""

    geometry: str | None = None
    state: str | None = None
    last_view: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


class WindowLayoutStore(Protocol):
    """Where this desktop keeps the window layout. ``save`` never raises: a layout that
    cannot be kept is not worth interrupting anyone for."""

    def load(self) -> WindowLayout: ...

    def save(self, layout: WindowLayout) -> None: ...


@dataclass(frozen=True)
class DeskStatus:
    """What the status bar tells staff about where this desk works. ``environment`` is
    "offline_sandbox", "sandbox" or "production"."""

    database: str
    gateway: str
    environment: str = "offline_sandbox"

    @property
    def offline(self) -> bool:
        return self.environment == "offline_sandbox"


class DeskSession(Protocol):
    @property
    def services(self) -> Services: ...

    @property
    def actor(self) -> Actor: ...

    @property
    def status(self) -> DeskStatus: ...

    def close(self) -> None: ...

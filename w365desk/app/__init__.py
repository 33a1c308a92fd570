"""The composition root: builds settings, database, gateway and services (and later
the mailer and link server) and hands them to a front door.

Nothing else in the program decides which concrete parts are used; tests build their
own ``AppContext`` with a temporary database and a frozen clock.

The names below load on first use, so the desktop can read its window layout
(``w365desk.app.window_layout``) and paint before the database layer is imported.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from w365desk.app.context import AppContext, build_app
    from w365desk.app.gateway_choice import (
        ENVIRONMENT_LABELS,
        GatewayConnection,
        GatewayHolder,
        connect_gateway,
    )

_HOMES = {
    "AppContext": "w365desk.app.context",
    "build_app": "w365desk.app.context",
    "ENVIRONMENT_LABELS": "w365desk.app.gateway_choice",
    "GatewayConnection": "w365desk.app.gateway_choice",
    "GatewayHolder": "w365desk.app.gateway_choice",
    "connect_gateway": "w365desk.app.gateway_choice",
}

__all__ = [
    "ENVIRONMENT_LABELS",
    "AppContext",
    "GatewayConnection",
    "GatewayHolder",
    "build_app",
    "connect_gateway",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)

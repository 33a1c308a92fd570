"""The composition root: builds settings, database, gateway and services (and later
the mailer and link server) and hands them to a front door.

Nothing else in the program decides which concrete parts are used; tests build their
own ``AppContext`` with a temporary database and a frozen clock.
"""

from w365desk.app.context import AppContext, build_app
from w365desk.app.gateway_choice import (
    ENVIRONMENT_LABELS,
    GatewayConnection,
    GatewayHolder,
    connect_gateway,
)

__all__ = [
    "ENVIRONMENT_LABELS",
    "AppContext",
    "GatewayConnection",
    "GatewayHolder",
    "build_app",
    "connect_gateway",
]

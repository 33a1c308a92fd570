"""The composition root: builds settings, database, gateway and services (and later
the mailer and link server) and hands them to a front door.

Nothing else in the program decides which concrete parts are used; tests build their
own ``AppContext`` with a temporary database and a frozen clock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from w365desk.clock import Clock, SystemClock
from w365desk.db.engine import make_engine, make_session_factory
from w365desk.db.migrate import upgrade
from w365desk.gateway.base import Gateway
from w365desk.gateway.connect import GatewayConnection, connect_gateway
from w365desk.locations import data_dir
from w365desk.services.account_import import AccountImporter
from w365desk.services.accounts import AccountsService
from w365desk.services.audit import current_os_user
from w365desk.services.shared_settings import SharedSettingsStore
from w365desk.settings import (
    DesktopSettings,
    SecretStore,
    load_desktop_settings,
    redact_database_url,
    resolve_database_url,
)

log = logging.getLogger(__name__)


@dataclass(repr=False)
class AppContext:
    """Everything a front door needs, already wired."""

    # May carry a password merged in from the keyring (so may the engine's own URL):
    # __repr__ shows only the redacted label.
    database_url: str
    engine: Engine
    session_factory: sessionmaker[Session]
    clock: Clock
    actor: str
    desktop: DesktopSettings
    secrets: SecretStore
    shared_settings: SharedSettingsStore
    accounts: AccountsService
    importer: AccountImporter
    gateway_connection: GatewayConnection
    _closed: bool = field(default=False, repr=False)

    def __repr__(self) -> str:
        return (
            f"AppContext(database={self.database_label!r}, actor={self.actor!r}, "
            f"gateway={self.gateway_connection.description!r})"
        )

    @property
    def gateway(self) -> Gateway | None:
        """The payment gateway, or None until Settings make one usable."""
        return self.gateway_connection.gateway

    @property
    def database_label(self) -> str:
        """Where the data lives, safe to show (no password)."""
        return redact_database_url(self.database_url)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.gateway_connection.close()
            self.engine.dispose()


def build_app(
    database_url: str | None = None,
    *,
    clock: Clock | None = None,
    actor: str | None = None,
    secrets: SecretStore | None = None,
) -> AppContext:
    """Open (and migrate) the database and assemble the services."""
    desktop = load_desktop_settings()
    secrets = secrets or SecretStore()
    url = database_url or resolve_database_url(desktop, secrets)
    clock = clock or SystemClock()
    actor = actor or current_os_user()
    engine = make_engine(url)
    try:
        upgrade(engine)
        session_factory = make_session_factory(engine)
        log.info("database ready at %s", redact_database_url(url))
        shared_settings = SharedSettingsStore(session_factory, clock)
        gateway_connection = connect_gateway(
            shared_settings.load(), secrets, clock, data_dir() / "sandbox"
        )
    except Exception:
        engine.dispose()
        raise
    log.info("gateway: %s", gateway_connection.description)
    return AppContext(
        database_url=url,
        engine=engine,
        session_factory=session_factory,
        clock=clock,
        actor=actor,
        desktop=desktop,
        secrets=secrets,
        shared_settings=shared_settings,
        accounts=AccountsService(session_factory, clock, actor),
        importer=AccountImporter(session_factory, clock, actor),
        gateway_connection=gateway_connection,
    )

"""``build_app``: open (and migrate) the database, choose the gateway, build the services."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from w365desk.app.gateway_choice import (
    GatewayConnection,
    GatewayHolder,
    connect_gateway,
    test_gateway_keys,
)
from w365desk.app.window_layout import DesktopWindowLayout
from w365desk.clock import Clock, SystemClock
from w365desk.db.engine import make_engine, make_session_factory
from w365desk.db.migrate import upgrade
from w365desk.gateway import Gateway
from w365desk.gui.session import DeskStatus
from w365desk.locations import data_dir
from w365desk.services.actors import Actor, current_os_user
from w365desk.services.bundle import Services
from w365desk.services.shared_settings import SharedSettingsStore
from w365desk.settings import (
    SecretStore,
    load_desktop_settings,
    redact_database_url,
    resolve_database_url,
)

log = logging.getLogger(__name__)


@dataclass(repr=False)
class AppContext:
    """Everything a front door needs, already wired (a ``DeskSession`` for the GUI)."""

    # May carry a password merged in from the keyring (so may the engine's own URL):
    # __repr__ shows only the redacted label.
    database_url: str
    engine: Engine
    session_factory: sessionmaker[Session]
    clock: Clock
    actor: Actor
    secrets: SecretStore
    services: Services
    window_layout: DesktopWindowLayout
    gateways: GatewayHolder
    _closed: bool = field(default=False, repr=False)

    def __repr__(self) -> str:
        return (
            f"AppContext(database={self.database_label!r}, actor={self.actor.audit_name!r}, "
            f"gateway={self.gateway_connection.description!r})"
        )

    @property
    def gateway_connection(self) -> GatewayConnection:
        return self.gateways.connection

    @property
    def gateway(self) -> Gateway | None:
        """The payment gateway, or None until Settings make one usable."""
        return self.gateways.current()

    @property
    def database_label(self) -> str:
        """Where the data lives, safe to show (no password)."""
        return redact_database_url(self.database_url)

    @property
    def status(self) -> DeskStatus:
        connection = self.gateway_connection
        return DeskStatus(
            database=self.database_label,
            gateway=connection.description,
            environment=connection.environment.value,
        )

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.gateways.close()
            self.engine.dispose()


def build_app(
    database_url: str | None = None,
    *,
    clock: Clock | None = None,
    actor: Actor | None = None,
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
        holder = GatewayHolder(GatewayConnection.not_started())
        sandbox_dir = data_dir() / "sandbox"
        store = SharedSettingsStore(session_factory, clock)
        secret_store = secrets

        def apply_gateway() -> str:
            connection = holder.reconnect(
                lambda: connect_gateway(store.load(), secret_store, clock, sandbox_dir)
            )
            return connection.description

        services = Services.build(
            session_factory,
            clock,
            gateway=holder.current,
            secrets=secrets,
            test_gateway=lambda draft, key: test_gateway_keys(draft, key, holder.current(), clock),
            apply_gateway=apply_gateway,
        )
        holder.replace(connect_gateway(store.load(), secrets, clock, sandbox_dir))
    except Exception:
        engine.dispose()
        raise
    log.info("gateway: %s", holder.connection.description)
    return AppContext(
        database_url=url,
        engine=engine,
        session_factory=session_factory,
        clock=clock,
        actor=actor,
        secrets=secrets,
        services=services,
        window_layout=DesktopWindowLayout(),
        gateways=holder,
    )

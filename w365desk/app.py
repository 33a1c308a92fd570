"""The composition root: builds settings, database, services (and later the gateway,
mailer and link server) and hands them to a front door.

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
from w365desk.services.account_import import AccountImporter
from w365desk.services.accounts import AccountsService
from w365desk.services.audit import current_os_user
from w365desk.settings import (
    DesktopSettings,
    SecretStore,
    SharedSettingsStore,
    load_desktop_settings,
    redact_database_url,
    resolve_database_url,
)

log = logging.getLogger(__name__)


@dataclass
class AppContext:
    """Everything a front door needs, already wired."""

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
    _closed: bool = field(default=False, repr=False)

    @property
    def database_label(self) -> str:
        """Where the data lives, safe to show (no password)."""
        return redact_database_url(self.database_url)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
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
    except Exception:
        engine.dispose()
        raise
    session_factory = make_session_factory(engine)
    log.info("database ready at %s", redact_database_url(url))
    return AppContext(
        database_url=url,
        engine=engine,
        session_factory=session_factory,
        clock=clock,
        actor=actor,
        desktop=desktop,
        secrets=secrets,
        shared_settings=SharedSettingsStore(session_factory, clock),
        accounts=AccountsService(session_factory, clock, actor),
        importer=AccountImporter(session_factory, clock, actor),
    )

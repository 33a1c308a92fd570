"""Choose and start the gateway the shared settings ask for (composition-root work).

The offline sandbox is the default until real credentials are entered, so a fresh
desktop works with no network and no Authorize.Net account: it is started here and
the same Authorize.Net adapter is pointed at it, so the app speaks the real wire
protocol either way.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from w365desk.clock import Clock
from w365desk.gateway import Gateway, GatewayUnavailable
from w365desk.gateway.authorizenet import PRODUCTION_URL, SANDBOX_URL, AuthorizeNetGateway
from w365desk.sandbox.authorizenet import DataDirInUse, SandboxServer, StateFileError
from w365desk.settings import GatewayEnvironment, SecretName, SecretStore, SharedSettings

log = logging.getLogger(__name__)

ENVIRONMENT_LABELS = {
    GatewayEnvironment.OFFLINE_SANDBOX: "Offline sandbox",
    GatewayEnvironment.SANDBOX: "Authorize.Net sandbox",
    GatewayEnvironment.PRODUCTION: "Authorize.Net production",
}


@dataclass(frozen=True)
class GatewayConnection:
    """The gateway in use (None when it cannot be used yet) and what to tell staff."""

    environment: GatewayEnvironment
    gateway: Gateway | None
    sandbox: SandboxServer | None
    description: str

    @classmethod
    def not_started(cls) -> GatewayConnection:
        return cls(GatewayEnvironment.OFFLINE_SANDBOX, None, None, "Gateway: starting…")

    @property
    def ready(self) -> bool:
        return self.gateway is not None

    def close(self) -> None:
        if isinstance(self.gateway, AuthorizeNetGateway):
            self.gateway.close()
        if self.sandbox is not None:
            self.sandbox.stop()


class GatewayHolder:
    """The gateway connection in use, which Settings can replace while the app runs
    (switching environment or keys); services ask it for the current gateway each time."""

    def __init__(self, connection: GatewayConnection) -> None:
        self._lock = threading.Lock()
        self._connection = connection

    @property
    def connection(self) -> GatewayConnection:
        with self._lock:
            return self._connection

    def current(self) -> Gateway | None:
        return self.connection.gateway

    def reconnect(self, connect: Callable[[], GatewayConnection]) -> GatewayConnection:
        """Close the connection in use, then open the one ``connect`` makes (the offline
        sandbox's data folder can be held by one server at a time)."""
        with self._lock:
            self._connection.close()
            self._connection = connect()
            return self._connection

    def replace(self, connection: GatewayConnection) -> None:
        with self._lock:
            old, self._connection = self._connection, connection
        if old is not connection:
            old.close()

    def close(self) -> None:
        self.connection.close()


def test_gateway_keys(
    shared: SharedSettings, transaction_key: str, current: Gateway | None, clock: Clock
) -> None:
    """Ask the environment ``shared`` names whether these keys work (a GatewayError if
    not). The offline sandbox is asked through the connection in use."""
    environment = shared.gateway_environment
    if environment is GatewayEnvironment.OFFLINE_SANDBOX:
        if current is None:
            raise GatewayUnavailable("The offline sandbox is not running on this desk.")
        current.test_credentials()
        return
    url = PRODUCTION_URL if environment is GatewayEnvironment.PRODUCTION else SANDBOX_URL
    gateway = AuthorizeNetGateway(
        shared.gateway_api_login_id,
        transaction_key,
        url,
        timeout_s=float(shared.gateway_timeout_seconds),
        clock=clock,
    )
    try:
        gateway.test_credentials()
    finally:
        gateway.close()


def connect_gateway(
    shared: SharedSettings, secrets: SecretStore, clock: Clock, sandbox_dir: Path
) -> GatewayConnection:
    environment = shared.gateway_environment
    label = ENVIRONMENT_LABELS[environment]
    if environment is GatewayEnvironment.OFFLINE_SANDBOX:
        return _offline(shared, clock, sandbox_dir)
    transaction_key = secrets.get(SecretName.GATEWAY_TRANSACTION_KEY)
    if not shared.gateway_api_login_id or not transaction_key:
        missing = "API login id" if not shared.gateway_api_login_id else "transaction key"
        return GatewayConnection(
            environment, None, None, f"{label}: not set up — enter the {missing} in Settings."
        )
    url = PRODUCTION_URL if environment is GatewayEnvironment.PRODUCTION else SANDBOX_URL
    gateway = AuthorizeNetGateway(
        shared.gateway_api_login_id,
        transaction_key,
        url,
        timeout_s=float(shared.gateway_timeout_seconds),
        clock=clock,
    )
    return GatewayConnection(environment, gateway, None, label)


def _offline(shared: SharedSettings, clock: Clock, sandbox_dir: Path) -> GatewayConnection:
    environment = GatewayEnvironment.OFFLINE_SANDBOX
    server = SandboxServer(sandbox_dir, clock=clock.now)
    try:
        server.start()
    except DataDirInUse:
        return GatewayConnection(
            environment,
            None,
            None,
            "Offline sandbox: unavailable — another w365desk on this computer is using it. "
            "Close the other window and start again.",
        )
    except OSError as error:
        # An unwritable or missing data folder must not stop the app from opening.
        return GatewayConnection(
            environment,
            None,
            None,
            f"Offline sandbox: unavailable — its folder {sandbox_dir} cannot be used "
            f"({error.strerror or type(error).__name__}).",
        )
    except StateFileError as error:
        # The file is kept for inspection; training data is not worth guessing about.
        return GatewayConnection(
            environment,
            None,
            None,
            f"Offline sandbox: unavailable — its state file cannot be read ({error}). "
            f"Move {sandbox_dir} aside to start a fresh sandbox.",
        )
    gateway = AuthorizeNetGateway(
        server.api_login_id,
        server.transaction_key,
        server.api_url,
        timeout_s=float(shared.gateway_timeout_seconds),
        clock=clock,
    )
    log.info("offline sandbox listening at %s", server.base_url)
    return GatewayConnection(
        environment, gateway, server, f"Offline sandbox at {server.base_url} (no real money)"
    )

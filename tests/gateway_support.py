"""Pointing the real Authorize.Net adapter at a running offline sandbox, as the app does."""

from __future__ import annotations

from w365desk.clock import Clock
from w365desk.gateway.authorizenet import DEFAULT_TIMEOUT_S, AuthorizeNetGateway
from w365desk.sandbox.authorizenet import SandboxServer


def gateway_for(
    server: SandboxServer,
    *,
    api_login_id: str | None = None,
    transaction_key: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    clock: Clock | None = None,
) -> AuthorizeNetGateway:
    """The adapter on ``server``, with the credentials it was started with unless others
    are given (e.g. to test a wrong key)."""
    return AuthorizeNetGateway(
        api_login_id or server.api_login_id,
        transaction_key or server.transaction_key,
        server.api_url,
        timeout_s=timeout_s,
        clock=clock,
    )

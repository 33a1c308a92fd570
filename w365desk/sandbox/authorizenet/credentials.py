"""The merchant credentials a sandbox accepts; anything else is answered with E00007.

The defaults are fixed, documented strings so staff training material and tests can
name them. They are sandbox-only values and unlock nothing anywhere else.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

DEFAULT_API_LOGIN_ID = "w365sandbox"
DEFAULT_TRANSACTION_KEY = "w365SandboxKey16"  # the XSD caps transaction keys at 16 characters
DEFAULT_CLIENT_KEY = "w365SandboxPublicClientKey4AcceptJsOfflineTraining"

MAX_LOGIN_ID_LENGTH = 25
MAX_TRANSACTION_KEY_LENGTH = 16


@dataclass(frozen=True)
class Credentials:
    api_login_id: str = DEFAULT_API_LOGIN_ID
    transaction_key: str = DEFAULT_TRANSACTION_KEY
    client_key: str = DEFAULT_CLIENT_KEY

    def __post_init__(self) -> None:
        if not 1 <= len(self.api_login_id) <= MAX_LOGIN_ID_LENGTH:
            raise ValueError(f"the API login id must be 1 to {MAX_LOGIN_ID_LENGTH} characters")
        if not 1 <= len(self.transaction_key) <= MAX_TRANSACTION_KEY_LENGTH:
            raise ValueError(
                f"the transaction key must be 1 to {MAX_TRANSACTION_KEY_LENGTH} characters"
            )
        if not self.client_key:
            raise ValueError("the client key must not be empty")

    def accepts_transaction_key(self, name: str | None, key: str | None) -> bool:
        return _same(name, self.api_login_id) and _same(key, self.transaction_key)

    def accepts_client_key(self, name: str | None, client_key: str | None) -> bool:
        return _same(name, self.api_login_id) and _same(client_key, self.client_key)


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())

"""An offline, Authorize.Net-compatible sandbox server for development, tests and staff training.

It speaks the real XML wire protocol (and Accept's JSON call), so the unchanged
official SDK and the app's adapter run against it exactly as against Authorize.Net.
"""

from w365desk.gateway.sandbox.credentials import (
    DEFAULT_API_LOGIN_ID,
    DEFAULT_CLIENT_KEY,
    DEFAULT_TRANSACTION_KEY,
)
from w365desk.gateway.sandbox.faults import Fault, FaultKind
from w365desk.gateway.sandbox.records import LedgerEntry
from w365desk.gateway.sandbox.server import SandboxServer

__all__ = [
    "DEFAULT_API_LOGIN_ID",
    "DEFAULT_CLIENT_KEY",
    "DEFAULT_TRANSACTION_KEY",
    "Fault",
    "FaultKind",
    "LedgerEntry",
    "SandboxServer",
]

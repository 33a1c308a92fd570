"""An offline, Authorize.Net-compatible sandbox server for development, tests and staff training.

It speaks the real XML wire protocol (and Accept's JSON call), so the unchanged
official SDK and the app's adapter run against it exactly as against Authorize.Net.
"""

from w365desk.sandbox.authorizenet.credentials import (
    DEFAULT_API_LOGIN_ID,
    DEFAULT_CLIENT_KEY,
    DEFAULT_TRANSACTION_KEY,
)
from w365desk.sandbox.authorizenet.dirlock import DataDirInUse
from w365desk.sandbox.authorizenet.faults import Fault, FaultKind
from w365desk.sandbox.authorizenet.records import LedgerEntry
from w365desk.sandbox.authorizenet.server import SandboxServer
from w365desk.sandbox.authorizenet.state import StateFileError

__all__ = [
    "DEFAULT_API_LOGIN_ID",
    "DEFAULT_CLIENT_KEY",
    "DEFAULT_TRANSACTION_KEY",
    "DataDirInUse",
    "Fault",
    "FaultKind",
    "LedgerEntry",
    "SandboxServer",
    "StateFileError",
]

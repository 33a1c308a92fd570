"""The Authorize.Net adapter: the only package of the program that imports the official SDK.

One job per module: ``building`` (requests from the SDK's contract classes),
``transport`` (the POST with a hard deadline; injectable), ``answers`` (every answer
read into the gateway's value types), ``codes`` (the table of gateway codes and the
errors they mean), ``outcomes`` (what a failed or refused call proves, above all for
money) and ``adapter`` (``AuthorizeNetGateway``, the ``Gateway`` port over them).

Importing this package silences the SDK's and PyXB's loggers (``sdk_logging``).
"""

from w365desk.gateway.authorizenet.adapter import AuthorizeNetGateway
from w365desk.gateway.authorizenet.endpoints import DEFAULT_TIMEOUT_S, PRODUCTION_URL, SANDBOX_URL
from w365desk.gateway.authorizenet.sdk_logging import silence_sdk_logging
from w365desk.gateway.authorizenet.transport import (
    DeadlineTransport,
    HttpReply,
    MaybeSent,
    NotSent,
    Transport,
)

silence_sdk_logging()

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "PRODUCTION_URL",
    "SANDBOX_URL",
    "AuthorizeNetGateway",
    "DeadlineTransport",
    "HttpReply",
    "MaybeSent",
    "NotSent",
    "Transport",
    "silence_sdk_logging",
]

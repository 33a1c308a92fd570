"""Keep the SDK's and PyXB's loggers mute, whatever level the app configures.

At debug level the SDK prints whole requests, card numbers included. Each of its loggers
(``authorizenet.*``) and PyXB's (``pyxb.*``) gets no propagation, a NullHandler, a level
above CRITICAL and a filter that drops every record, so nothing they might say can
reach a handler.
"""

from __future__ import annotations

import logging

from authorizenet.constants import constants as sdk_constants


class _DropEverything(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return False


_DROP_EVERYTHING = _DropEverything()


def silence_sdk_logging() -> None:
    """Make the SDK's and PyXB's loggers unable to emit anything. Safe to call again."""
    names = {"authorizenet", sdk_constants.defaultLoggerName, "pyxb"}
    names.update(
        name
        for name in list(logging.root.manager.loggerDict)
        if name.startswith(("authorizenet.", "pyxb."))
    )
    for name in names:
        logger = logging.getLogger(name)
        if _DROP_EVERYTHING not in logger.filters:
            logger.addFilter(_DROP_EVERYTHING)
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())
        logger.propagate = False
        logger.setLevel(logging.CRITICAL + 1)

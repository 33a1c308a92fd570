"""Time in the sandbox: a callable returning an aware UTC datetime, passed in from outside.

A plain callable rather than the desk's own clock type keeps this package free of the
rest of w365desk; a test hands in ``frozen_clock.now`` to move the sandbox's time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Now = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)

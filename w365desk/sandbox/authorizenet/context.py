"""What every operation handler is given: the state, the time, the nonce vault, the refId."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from xml.etree.ElementTree import Element

from w365desk.sandbox.authorizenet.nonces import NonceVault
from w365desk.sandbox.authorizenet.state import SandboxState


@dataclass(frozen=True)
class Context:
    state: SandboxState
    now: datetime
    nonces: NonceVault
    ref_id: str | None
    response_name: str


Handler = Callable[[Context, Element], Element]

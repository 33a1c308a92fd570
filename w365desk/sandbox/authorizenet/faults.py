"""Fault injection: what can go wrong between the app and the gateway, on demand.

A fault is set per request type ("createTransactionRequest") or for every type ("*");
a type's own fault wins over "*". ``times`` limits how many requests it affects.

- latency: extra delay before the answer (the request is processed normally)
- hang: processed (a charge lands in the ledger), then no answer until stop() or the
  client gives up
- reset: processed, then the TCP connection is reset with no answer
- reset_before: the connection is reset before processing (nothing happens)
- http_500 / http_503: an HTTP error status, not processed
- malformed_xml: HTTP 200 with a truncated XML body, not processed
- busy: a well-formed E00053 "Server too busy" error, not processed
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Literal, get_args

FaultKind = Literal[
    "latency", "hang", "reset", "reset_before", "http_500", "http_503", "malformed_xml", "busy"
]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)
EVERY_TYPE = "*"
# Faults that let the request be processed before they strike.
AFTER_PROCESSING = ("latency", "hang", "reset")


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    latency_ms: int = 0  # for "latency": extra delay before answering
    times: int | None = None  # how many requests it affects, None = until cleared

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(
                f"unknown fault kind {self.kind!r}; use one of {', '.join(FAULT_KINDS)}"
            )
        if self.latency_ms < 0:
            raise ValueError("latency_ms must not be negative")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be at least 1 (or None for until cleared)")

    @property
    def processes_request(self) -> bool:
        return self.kind in AFTER_PROCESSING


class FaultBook:
    """The faults in force; thread-safe, and each use counts against ``times``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, Fault] = {}

    def set(self, request_type: str, fault: Fault | None) -> None:
        if not request_type:
            raise ValueError('request_type must name a request type or "*"')
        with self._lock:
            if fault is None:
                self._faults.pop(request_type, None)
            else:
                self._faults[request_type] = fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def snapshot(self) -> dict[str, Fault]:
        with self._lock:
            return dict(self._faults)

    def take(self, request_type: str) -> Fault | None:
        """The fault for this request, counting one use of it."""
        with self._lock:
            key = request_type if request_type in self._faults else EVERY_TYPE
            fault = self._faults.get(key)
            if fault is None:
                return None
            if fault.times is not None:
                if fault.times <= 1:
                    del self._faults[key]
                else:
                    self._faults[key] = replace(fault, times=fault.times - 1)
            return fault

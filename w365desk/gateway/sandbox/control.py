"""The JSON control surface of a running sandbox (faults, settlement, ledger), for training and
for tests written in other languages. Only loopback clients may use it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from w365desk.gateway.sandbox.faults import FAULT_KINDS, Fault
from w365desk.gateway.sandbox.records import LedgerEntry

FAULTS_PATH = "/sandbox/faults"
SETTLE_PATH = "/sandbox/settle"
LEDGER_PATH = "/sandbox/ledger"
LATENCY_PATH = "/sandbox/latency"


class ControlError(ValueError):
    """A control request that cannot be applied; the message says why."""


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _optional_int(document: Mapping[str, Any], key: str) -> int | None:
    value = document.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ControlError(f"{key} must be a whole number or null")
    return value


def fault_from_json(document: Any) -> tuple[str, Fault | None]:
    """``{"requestType", "kind", "latencyMs", "times"}``; ``kind`` null clears that type."""
    if not isinstance(document, Mapping):
        raise ControlError("send a JSON object")
    request_type = document.get("requestType")
    if not isinstance(request_type, str) or not request_type:
        raise ControlError('requestType must name a request type, or "*" for every type')
    kind = document.get("kind")
    if kind is None:
        return request_type, None
    if kind not in FAULT_KINDS:
        raise ControlError(f"kind must be one of {', '.join(FAULT_KINDS)}")
    try:
        fault = Fault(
            kind=kind,
            latency_ms=_optional_int(document, "latencyMs") or 0,
            times=_optional_int(document, "times"),
        )
    except ValueError as error:
        raise ControlError(str(error)) from None
    return request_type, fault


def latency_from_json(document: Any) -> int:
    if not isinstance(document, Mapping):
        raise ControlError("send a JSON object")
    value = _optional_int(document, "latencyMs")
    if value is None or value < 0:
        raise ControlError("latencyMs must be a whole number of milliseconds, 0 or more")
    return value


def faults_to_json(faults: Mapping[str, Fault]) -> list[dict[str, Any]]:
    return [
        {"requestType": name, "kind": f.kind, "latencyMs": f.latency_ms, "times": f.times}
        for name, f in faults.items()
    ]


def ledger_to_json(entries: list[LedgerEntry]) -> list[dict[str, Any]]:
    return [
        {
            "kind": entry.kind,
            "transactionId": entry.transaction_id,
            "amount": f"{entry.amount:.2f}",
            "refId": entry.ref_id,
            "invoiceNumber": entry.invoice_number,
            "customerProfileId": entry.customer_profile_id,
            "paymentProfileId": entry.payment_profile_id,
            "responseCode": entry.response_code,
            "at": entry.at.isoformat(),
        }
        for entry in entries
    ]

"""The JSON control surface of a running sandbox (faults, settlement, ledger), for training and
for tests written in other languages.

Only programs on this computer may use it, never a web page: the client must be on
loopback, the ``Host`` it asked for must be a loopback name (a page that rebinds its
own domain to 127.0.0.1 still sends its domain), no ``Origin`` header may be present
(browsers send one with every cross-site write), and a POST must declare
``application/json``, which a page cannot send to another site without a preflight.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from w365desk.sandbox.authorizenet.faults import FAULT_KINDS, Fault
from w365desk.sandbox.authorizenet.records import LedgerEntry

FAULTS_PATH = "/sandbox/faults"
SETTLE_PATH = "/sandbox/settle"
LEDGER_PATH = "/sandbox/ledger"
LATENCY_PATH = "/sandbox/latency"
RESET_PATH = "/sandbox/reset"
POST_PATHS = frozenset({FAULTS_PATH, SETTLE_PATH, LATENCY_PATH, RESET_PATH})


class ControlError(ValueError):
    """A control request that cannot be applied; the message says why."""


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def host_is_loopback(host: str) -> bool:
    """A ``Host`` header naming this computer: localhost or a loopback address, any port."""
    name = host.strip().lower()
    if name.startswith("["):
        name = name[1:].split("]", 1)[0]
    elif name.count(":") == 1:
        name = name.split(":", 1)[0]
    return name == "localhost" or is_loopback(name)


def refusal(
    *,
    client_address: str,
    host: str | None,
    origin: str | None,
    method: str,
    path: str,
    content_type: str | None,
) -> tuple[HTTPStatus, str] | None:
    """Why a control request is refused (status and text), or None when it may proceed."""
    if not is_loopback(client_address):
        return HTTPStatus.FORBIDDEN, "the control endpoints answer loopback clients only"
    if host is not None and not host_is_loopback(host):
        return HTTPStatus.FORBIDDEN, "the control endpoints answer requests for localhost only"
    if origin is not None:
        return HTTPStatus.FORBIDDEN, "the control endpoints do not answer web pages"
    declared = (content_type or "").split(";", 1)[0].strip().lower()
    if method == "POST" and path in POST_PATHS and declared != "application/json":
        return (
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            "send the control request as JSON (Content-Type: application/json)",
        )
    return None


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

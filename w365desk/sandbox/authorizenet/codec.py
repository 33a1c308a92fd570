"""Plain JSON values for the sandbox's records and back, guided by their type hints.

Decimals travel as strings (exact), datetimes as ISO 8601 with their UTC offset.
Unknown keys in a record are ignored, so an older sandbox's file still loads.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import datetime
from decimal import Decimal
from typing import Any


def encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: encode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [encode(item) for item in value]
    return value


def decode(kind: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        return decode(options[0], value)
    if origin is typing.Literal:
        return value
    if origin is list:
        (item_kind,) = typing.get_args(kind)
        return [decode(item_kind, item) for item in value]
    if origin is dict:
        _, item_kind = typing.get_args(kind)
        return {key: decode(item_kind, item) for key, item in value.items()}
    if dataclasses.is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        known = {f.name for f in dataclasses.fields(kind)}
        record_type: Any = kind
        return record_type(**{k: decode(hints[k], v) for k, v in value.items() if k in known})
    if kind is Decimal:
        return Decimal(value)
    if kind is datetime:
        return datetime.fromisoformat(value)
    return value

"""Tryton's JSON-RPC values: the typed objects it wraps in `{"__class__": ...}` dictionaries.

Tryton sends dates, timestamps, decimals, durations and bytes as small tagged objects, and
expects them back in the same shape. Timestamps are naive and in UTC on the wire; we hand out
timezone-aware UTC datetimes and accept aware or naive (taken as UTC) ones.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import orjson


def _naive_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _encode_datetime(value: dt.datetime) -> dict[str, Any]:
    value = _naive_utc(value)
    return {
        "__class__": "datetime",
        "year": value.year,
        "month": value.month,
        "day": value.day,
        "hour": value.hour,
        "minute": value.minute,
        "second": value.second,
        "microsecond": value.microsecond,
    }


# Checked in order: a datetime is also a date.
_ENCODERS: tuple[tuple[type | tuple[type, ...], Callable[[Any], Any]], ...] = (
    (Decimal, lambda value: {"__class__": "Decimal", "decimal": str(value)}),
    (dt.datetime, _encode_datetime),
    (
        dt.date,
        lambda value: {
            "__class__": "date",
            "year": value.year,
            "month": value.month,
            "day": value.day,
        },
    ),
    (dt.timedelta, lambda value: {"__class__": "timedelta", "seconds": value.total_seconds()}),
    (
        (bytes, bytearray),
        lambda value: {"__class__": "bytes", "base64": base64.b64encode(value).decode("ascii")},
    ),
    (Mapping, lambda value: {str(key): to_wire(item) for key, item in value.items()}),
    ((list, tuple, set, frozenset), lambda value: [to_wire(item) for item in value]),
)


def to_wire(value: Any) -> Any:
    """Python values (recursively) as Tryton's JSON-RPC expects them."""
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    for kind, encode in _ENCODERS:
        if isinstance(value, kind):
            return encode(value)
    raise TypeError(f"cannot send a {type(value).__name__} to Tryton")


def _decode_datetime(tagged: Mapping[str, Any]) -> dt.datetime:
    return dt.datetime(
        tagged["year"],
        tagged["month"],
        tagged["day"],
        tagged.get("hour", 0),
        tagged.get("minute", 0),
        tagged.get("second", 0),
        tagged.get("microsecond", 0),
        tzinfo=dt.UTC,
    )


_DECODERS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "datetime": _decode_datetime,
    "date": lambda tagged: dt.date(tagged["year"], tagged["month"], tagged["day"]),
    "time": lambda tagged: dt.time(
        tagged.get("hour", 0),
        tagged.get("minute", 0),
        tagged.get("second", 0),
        tagged.get("microsecond", 0),
    ),
    "timedelta": lambda tagged: dt.timedelta(seconds=tagged["seconds"]),
    "Decimal": lambda tagged: Decimal(tagged["decimal"]),
    "bytes": lambda tagged: base64.b64decode(tagged["base64"]),
}


def from_wire(value: Any) -> Any:
    """Tryton's JSON-RPC values (recursively) as Python values."""
    if isinstance(value, dict):
        decode = _DECODERS.get(value.get("__class__", ""))
        if decode is not None:
            return decode(value)
        return {key: from_wire(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_wire(item) for item in value]
    return value


def dumps(payload: Any) -> bytes:
    return orjson.dumps(to_wire(payload))


def loads(body: bytes) -> Any:
    return from_wire(orjson.loads(body))

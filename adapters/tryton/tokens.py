"""Opaque strings handed out by the connector: change tokens and page cursors.

A change token is a watermark: the last change read (its `last_modified_at`, Tryton's
`coalesce(write_date, create_date)`, and its id, which breaks ties between records changed in
the same microsecond). A page cursor is the offset of the next page.
"""

from __future__ import annotations

import base64
import datetime as dt

import orjson

from adapters.errors import ValidationError

_WATERMARK = "w1."
_CURSOR = "o1."
SNAPSHOT = "s1"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _pack(prefix: str, payload: object) -> str:
    return prefix + base64.urlsafe_b64encode(orjson.dumps(payload)).decode("ascii").rstrip("=")


def _unpack(prefix: str, token: str, what: str) -> object:
    if not token.startswith(prefix):
        raise ValidationError(f"{what}: not issued by this connector", system="tryton")
    body = token[len(prefix) :]
    try:
        return orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, orjson.JSONDecodeError):
        raise ValidationError(f"{what}: damaged", system="tryton") from None


def encode_watermark(moment: dt.datetime, last_id: int) -> str:
    return _pack(_WATERMARK, {"t": moment.astimezone(dt.UTC).isoformat(), "i": last_id})


def decode_watermark(token: str) -> tuple[dt.datetime, int]:
    payload = _unpack(_WATERMARK, token, "token")
    moment = payload.get("t") if isinstance(payload, dict) else None
    last_id = payload.get("i") if isinstance(payload, dict) else None
    if not isinstance(moment, str) or not isinstance(last_id, int):
        raise ValidationError("token: damaged", system="tryton")
    try:
        parsed = dt.datetime.fromisoformat(moment)
    except ValueError:
        raise ValidationError("token: damaged", system="tryton") from None
    return parsed, last_id


def encode_cursor(offset: int) -> str:
    return _pack(_CURSOR, {"o": offset})


def decode_cursor(cursor: str) -> int:
    payload = _unpack(_CURSOR, cursor, "cursor")
    offset = payload.get("o") if isinstance(payload, dict) else None
    if not isinstance(offset, int) or offset < 0:
        raise ValidationError("cursor: damaged", system="tryton")
    return offset

"""Opaque paging and delta tokens: a small JSON state, base64url-encoded. Clients must treat
them as opaque, exactly as with the real services' paging cookies and delta tokens."""

from __future__ import annotations

import base64
from typing import Any

import orjson

from sandbox.errors import ErrorKind, SandboxError


def encode(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(state)).decode().rstrip("=")


def decode(token: str, what: str) -> dict[str, Any]:
    try:
        padded = token + "=" * (-len(token) % 4)
        state = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, orjson.JSONDecodeError):
        raise SandboxError(ErrorKind.BAD_QUERY, f"The {what} '{token}' is not valid.") from None
    if not isinstance(state, dict):
        raise SandboxError(ErrorKind.BAD_QUERY, f"The {what} '{token}' is not valid.")
    return state

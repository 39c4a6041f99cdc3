"""HTTP status and OData error body → the connector error the caller can act on.

Both Dataverse and Business Central answer errors as `{"error": {"code": ..., "message": ...}}`
(OData JSON error format). The class is chosen from the status alone, as the protocol's
callers need it: 429, 5xx and timeouts can be retried, 412 is a stale version, 404 is a
missing record, 401/403 are credentials or permissions, and everything else is the request's
fault. Messages name the system, what was being done and the server's reason; the caller
passes the secrets to strip in case a server ever echoes one back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from adapters.errors import (
    AuthenticationError,
    ConflictError,
    ConnectorError,
    NotFoundError,
    RetriableError,
    ValidationError,
)
from adapters.retry import parse_retry_after

MAX_REASON_LENGTH = 500

RETRIABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def reason_from_body(body: bytes) -> tuple[str | None, str | None]:
    """(code, message) from an OData or OAuth error body, or (None, None)."""
    if not body:
        return None, None
    try:
        data: Any = orjson.loads(body)
    except orjson.JSONDecodeError:
        text = body.decode("utf-8", "replace").strip()
        return None, text[:MAX_REASON_LENGTH] or None
    if not isinstance(data, dict):
        return None, None
    error = data.get("error")
    if isinstance(error, dict):  # OData: {"error": {"code": ..., "message": ...}}
        code = error.get("code")
        message = error.get("message")
        if isinstance(message, dict):  # SharePoint: "message": {"lang": "en-US", "value": ...}
            message = message.get("value")
        return (str(code) if code else None, str(message) if message else None)
    if isinstance(error, str):  # OAuth 2.0: {"error": "invalid_client", "error_description": ...}
        description = data.get("error_description")
        return error, str(description) if description else None
    return None, None


def error_for_status(
    status: int,
    *,
    system: str,
    doing: str,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    secrets: Iterable[str] = (),
) -> ConnectorError:
    """The error for a failed exchange; `doing` says what was attempted ("update account X")."""
    code, reason = reason_from_body(body)
    reason = (reason or default_reason(status))[:MAX_REASON_LENGTH]
    message = redact(f"{doing}: {reason}", list(secrets))
    if status in RETRIABLE_STATUSES:
        retry_after = parse_retry_after((headers or {}).get("retry-after"))
        return RetriableError(
            message, system=system, status=status, code=code, retry_after=retry_after
        )
    error_class: type[ConnectorError]
    if status == 412:
        error_class = ConflictError
    elif status == 404:
        error_class = NotFoundError
    elif status in (401, 403):
        error_class = AuthenticationError
    else:
        error_class = ValidationError
    return error_class(message, system=system, status=status, code=code)


def default_reason(status: int) -> str:
    return {
        400: "the request was refused as invalid",
        401: "the credentials were not accepted",
        403: "the credentials lack a permission",
        404: "not found",
        405: "the operation is not allowed on this resource",
        408: "the request timed out",
        412: "the record changed since it was read",
        413: "the request is too large",
        429: "too many requests (service protection limit)",
        500: "the server failed",
        501: "the operation is not implemented",
        502: "bad gateway",
        503: "the service is unavailable",
        504: "the gateway timed out",
    }.get(status, f"HTTP {status}")

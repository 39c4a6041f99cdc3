"""Tryton's failures, classified by what the caller must do (see `adapters.errors`).

Tryton reports a business refusal inside a JSON-RPC answer, `{"error": [name, args]}`:

- `UserError` (args: message, description, domain): the data or the state is refused, or the
  user lacks an access right (Tryton's `AccessError` travels under the same name) or the record
  does not exist. Access and existence are told apart by Tryton's English messages; an answer
  in another language still classifies as a `ValidationError`, which is just as final.
- `UserWarning` (args: name, message, description): the server wants a confirmation the gateway
  cannot give: a `ValidationError`.
- `LoginException` (args: name, message, type): more login parameters are needed.
- `ConcurrencyException` (args: message): the `_timestamp` sent with a write is stale.
- anything else is `[str(exception), traceback]`: a failure inside the server, like a 500.

Failures outside a JSON-RPC answer come as HTTP statuses: 401 (no or expired session), 403
(method not exposed, or login refused), 404 (no such database), 429 (too many login attempts),
503 (database busy), 504 (timed out), other 5xx.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from adapters.errors import (
    AuthenticationError,
    ConflictError,
    ConnectorError,
    FatalError,
    NotFoundError,
    RetriableError,
    ValidationError,
)

# How Tryton's English messages begin when the refusal is about access rights.
_ACCESS_PREFIXES = (
    "You are not allowed to access",
    "You are not allowed to read",
    "You are not allowed to create",
    "You are not allowed to write to records",
    "You are not allowed to delete",
    "Calling button",
)
_MISSING_MARKER = "that don't exist"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def error_from_payload(  # noqa: PLR0911 - one answer per Tryton exception name
    error: Any, *, system: str, method: str
) -> ConnectorError:
    """The connector error for the `error` member of a JSON-RPC answer to `method`."""
    if isinstance(error, Sequence) and not isinstance(error, str) and len(error) >= 2:
        name, args = error[0], error[1]
    else:
        name, args = error, None
    if name == "UserError":
        message, description = _parts(args, 2)
        text = _join(message, description)
        if message.startswith(_ACCESS_PREFIXES):
            return AuthenticationError(text, system=system, code="AccessError")
        if _MISSING_MARKER in message:
            return NotFoundError(text, system=system, code="UserError")
        return ValidationError(text, system=system, code="UserError")
    if name == "UserWarning":
        _, message, description = _parts(args, 3)
        return ValidationError(_join(message, description), system=system, code="UserWarning")
    if name == "LoginException":
        _, message, _ = _parts(args, 3)
        return AuthenticationError(
            message or "the server asks for more login parameters",
            system=system,
            code="LoginException",
        )
    if name == "ConcurrencyException":
        message = _text(args) or "the record was modified in the meantime"
        return ConflictError(message, system=system, code="ConcurrencyException")
    # An unexpected exception inside the server: [str(exception), traceback].
    summary = _text(name) or "unexpected server error"
    return RetriableError(
        f"{method} failed inside the server: {summary}",
        system=system,
        status=500,
        code="ServerError",
    )


def _parts(args: Any, count: int) -> list[str]:
    values = list(args) if isinstance(args, Sequence) and not isinstance(args, str) else [args]
    values += [""] * count
    return [_text(value) for value in values[:count]]


def _join(message: str, description: str) -> str:
    message = message or "refused by the server"
    return f"{message} ({description})" if description.strip() else message


def error_from_status(
    response: httpx.Response, *, system: str, method: str, login: bool = False
) -> ConnectorError:
    """The connector error for an HTTP failure of a JSON-RPC call to `method`."""
    status = response.status_code
    if status == 401:
        reason = "login refused: wrong user or password" if login else "session refused"
        return AuthenticationError(reason, system=system, status=status)
    if status == 403:
        reason = (
            "login refused" if login else f"{method} is not allowed for this user or not exposed"
        )
        return AuthenticationError(reason, system=system, status=status)
    if status == 404:
        return FatalError(
            "database not found on the server (check the URL and the database name)",
            system=system,
            status=status,
        )
    if status == 429:
        return RetriableError(
            "too many requests",
            system=system,
            status=status,
            retry_after=_retry_after(response),
        )
    if status >= 500:
        return RetriableError(
            f"{method}: server unavailable",
            system=system,
            status=status,
            retry_after=_retry_after(response),
        )
    return ValidationError(f"{method}: request refused", system=system, status=status)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def error_from_transport(exc: httpx.TransportError, *, system: str, method: str) -> RetriableError:
    kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "connection failed"
    return RetriableError(f"{method}: {kind}", system=system, code=type(exc).__name__)

"""Connector errors, classified by what the caller must do about them.

- `RetriableError`: try again later (429, 5xx, timeouts); `retry_after` says when, if known.
  `LockedError`, one of them: someone else holds the record (a project checked out by a
  person) until they release it.
- `ConflictError`: the record changed since it was read (412); re-read, then decide.
- `NotFoundError`: the record or entity does not exist.
- `FatalError`: retrying will not help (bad credentials, no permission, invalid data).

Messages never carry credentials or tokens: they name the system, the entity and the reason.
"""

from __future__ import annotations


class ConnectorError(Exception):
    def __init__(
        self,
        message: str,
        *,
        system: str,
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.system = system
        self.status = status
        self.code = code

    def __str__(self) -> str:
        parts = [self.system]
        if self.status is not None:
            parts.append(str(self.status))
        if self.code:
            parts.append(self.code)
        return f"[{' '.join(parts)}] {self.message}"


class RetriableError(ConnectorError):
    def __init__(
        self,
        message: str,
        *,
        system: str,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, system=system, status=status, code=code)
        self.retry_after = retry_after


class LockedError(RetriableError):
    """The record is held by someone else (checked out for editing); retry once released."""


class ConflictError(ConnectorError):
    pass


class NotFoundError(ConnectorError):
    pass


class FatalError(ConnectorError):
    pass


class AuthenticationError(FatalError):
    """401/403: the credentials are wrong or lack a permission."""


class ValidationError(FatalError):
    """The system refused the data (400 and its kin, Tryton user errors)."""

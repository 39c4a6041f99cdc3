"""Why a synchronization request was refused, in the words the API uses for it.

Services raise `SyncRefusedError` for expected failures (unknown mapping, record not coupled,
upstream down, ...) before they write anything, naming the input field at fault; the GraphQL
layer turns it into a user error with the same code and field."""

from __future__ import annotations

from enum import StrEnum


class RefusalCode(StrEnum):
    NOT_FOUND = "NOT_FOUND"
    NOT_COUPLED = "NOT_COUPLED"
    DEPENDENCY_NOT_COUPLED = "DEPENDENCY_NOT_COUPLED"
    CONFLICT = "CONFLICT"
    INVALID_INPUT = "INVALID_INPUT"
    UPSTREAM_UNAVAILABLE = "UPSTREAM_UNAVAILABLE"


class SyncRefusedError(Exception):
    def __init__(self, code: RefusalCode, message: str, *field: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field: tuple[str, ...] = field

"""Errors as the API speaks them.

Expected failures of a mutation are data: `userErrors` on its payload, never top-level errors.
Bad arguments to a query (a page size above the maximum, a cursor that is not ours) are
top-level errors with `extensions.code` and the argument's path.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

import strawberry
from graphql import GraphQLError


@strawberry.enum(description="Why a mutation could not do what it was asked.")
class UserErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"
    ALREADY_COUPLED = "ALREADY_COUPLED"
    NOT_COUPLED = "NOT_COUPLED"
    DEPENDENCY_NOT_COUPLED = "DEPENDENCY_NOT_COUPLED"
    CONFLICT = "CONFLICT"
    INVALID_INPUT = "INVALID_INPUT"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    UPSTREAM_UNAVAILABLE = "UPSTREAM_UNAVAILABLE"


@strawberry.type(description="An expected failure of a mutation; nothing was half done.")
class UserError:
    code: UserErrorCode
    message: str
    field: list[str] | None = strawberry.field(
        default=None, description="Path of the input field at fault, if one is."
    )


def user_error(code: UserErrorCode, message: str, *field: str) -> UserError:
    return UserError(code=code, message=message, field=list(field) if field else None)


class InvalidArgumentError(GraphQLError):
    """A query argument that cannot be honoured; names the argument."""

    def __init__(self, argument: str, reason: str) -> None:
        super().__init__(
            f"{argument}: {reason}",
            extensions={"code": "INVALID_INPUT", "field": [argument]},
        )


def field_path(*parts: str | int) -> Sequence[str]:
    return [str(part) for part in parts]

"""Errors as the API speaks them.

Expected failures of a mutation are data: `userErrors` on its payload, never top-level errors.
Bad arguments to a query (a page size above the maximum, a cursor that is not ours) are
top-level errors with `extensions.code` and the argument's path.
"""

from __future__ import annotations

from collections.abc import Sequence

import strawberry
from graphql import GraphQLError

from gateway.refusals import RefusalCode, RefusalError
from schema.types import enums as _registered  # noqa: F401 - registers UserErrorCode

# The services' refusal codes are the API's `UserErrorCode` (registered in `schema.types.enums`):
# one enum, so that none can go missing between.
UserErrorCode = RefusalCode


@strawberry.type(description="An expected failure of a mutation; nothing was half done.")
class UserError:
    code: RefusalCode
    message: str
    field: list[str] | None = strawberry.field(
        default=None, description="Path of the input field at fault, if one is."
    )


def user_error(code: RefusalCode, message: str, *field: str) -> UserError:
    return UserError(code=code, message=message, field=list(field) if field else None)


def user_errors(refusal: RefusalError) -> list[UserError]:
    """A refusal as the payload's `userErrors`, each field path under the mutation's `input`."""
    return [
        user_error(
            problem.code, problem.message, *(("input", *problem.field) if problem.field else ())
        )
        for problem in refusal.problems
    ]


class InvalidArgumentError(GraphQLError):
    """A query argument that cannot be honoured; names the argument."""

    def __init__(self, argument: str, reason: str) -> None:
        super().__init__(
            f"{argument}: {reason}",
            extensions={"code": "INVALID_INPUT", "field": [argument]},
        )


def field_path(*parts: str | int) -> Sequence[str]:
    return [str(part) for part in parts]

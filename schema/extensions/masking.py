"""Which errors a client sees as they are, and which are masked and logged with an id.

Ours to show: errors about the client's document or variables (syntax, validation, limits,
variable types, ids that are not ours, values `gateway.security.inputs` rejected) and errors
raised on purpose with an `extensions.code` (permissions, invalid arguments). Everything else
is a fault of ours: the client gets `Internal error` with `extensions: {code: INTERNAL,
errorId}` (in dev the original message stays, to help), and the server log gets the same id
with the traceback.

This is done where strawberry reports every error of every path (`Schema.process_errors`,
called once per error, before extensions see the result), rather than in an extension's
`on_operation`, which an exception raised in another extension would skip.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.types import ExecutionContext

from gateway.security.inputs import InputRejectedError

log = logging.getLogger(__name__)

INTERNAL = "INTERNAL"
INTERNAL_MESSAGE = "Internal error"
INVALID_INPUT = "INVALID_INPUT"
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"

# graphql-core's messages about unknown names list names it knows ("Did you mean
# 'AccountConnection'?"): fields, arguments, types, enum values, input fields.
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def shown_extensions(error: GraphQLError) -> dict[str, Any] | None:
    """The extensions an error is shown with, or None if it is a fault of ours."""
    original = error.original_error
    shown: dict[str, Any] | None = None
    if isinstance(original, InputRejectedError):
        shown = {"code": INVALID_INPUT, "field": list(original.field)}
    elif isinstance(original, StrawberryInputCoercionError):  # e.g. an ID that is not ours
        shown = {"code": INVALID_INPUT}
    elif original is not None and not isinstance(original, GraphQLError):
        # A Python exception: the client's fault only when it was raised while reading the
        # client's variables (it then points at the document and has no response path).
        if error.path is None and error.locations:
            shown = {"code": VALIDATION_FAILED}
    elif error.extensions and error.extensions.get("code"):
        shown = dict(error.extensions)
    elif error.path is None:
        syntax = isinstance(error, GraphQLSyntaxError)
        shown = {"code": PARSE_FAILED if syntax else VALIDATION_FAILED}
    return shown


def is_ours_to_show(error: GraphQLError) -> bool:
    return shown_extensions(error) is not None


class GatewaySchema(strawberry.Schema):
    """The schema with our error policy; `mask_errors` hides unexpected messages."""

    def __init__(
        self, *args: Any, mask_errors: bool = True, suggestions: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.mask_errors = mask_errors
        self.suggestions = suggestions

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            if error.extensions and error.extensions.get("errorId"):
                continue  # already reported
            extensions = shown_extensions(error)
            if extensions is None:
                self._report_internal(error, execution_context)
            else:
                error.extensions = extensions
                if not self.suggestions:  # they would reveal the schema as introspection does
                    error.message = _SUGGESTION.sub("", error.message)
                log.debug("request refused: %s", error.message)

    def _report_internal(
        self, error: GraphQLError, execution_context: ExecutionContext | None
    ) -> None:
        error_id = uuid.uuid4().hex
        operation = execution_context.operation_name if execution_context else None
        path = ".".join(str(part) for part in error.path) if error.path else "-"
        log.error(
            "Internal error %s at %s in operation %s",
            error_id,
            path,
            operation or "(anonymous)",
            exc_info=error.original_error or error,
        )
        error.extensions = {"code": INTERNAL, "errorId": error_id}
        if self.mask_errors:
            error.message = INTERNAL_MESSAGE

"""Refusals in the shape GraphQL clients read: `{"errors": [{message, extensions: {code}}]}`."""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from starlette.responses import Response

JSON = "application/json"
# The media type of GraphQL over HTTP, whose status codes say how a request failed.
GRAPHQL_RESPONSE = "application/graphql-response+json"


def graphql_error_body(code: str, message: str) -> bytes:
    return orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})


def graphql_error_response(
    status_code: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
    *,
    media_type: str = JSON,
) -> Response:
    """An HTTP refusal whose body is a GraphQL error naming the reason with `code`."""
    return Response(
        graphql_error_body(code, message),
        status_code=status_code,
        media_type=media_type,
        headers=dict(headers or {}),
    )

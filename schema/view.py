"""The GraphQL-over-HTTP endpoint: strawberry's ASGI view with our context and JSON.

The caller was authenticated before the request got here (`gateway.security.gate`), which left
it in `request.state.caller`. Refusals of the HTTP layer (a malformed body, too many operations
in a batch, a mutation over GET) are GraphQL-shaped like every other error.
"""

from __future__ import annotations

from typing import Any

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from gateway.auth.roles import Caller
from gateway.security.responses import graphql_error_response
from schema.context import Context

_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "REQUEST_TOO_LARGE"}


class GatewayGraphQL(GraphQL[Context, None]):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as exc:
            response = graphql_error_response(
                exc.status_code, _CODES.get(exc.status_code, "BAD_REQUEST"), exc.reason
            )
        await response(scope, receive, send)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        assert isinstance(request, Request)
        assert isinstance(response, Response)
        caller = getattr(request.state, "caller", None)
        return Context(
            request=request,
            response=response,
            services=request.state.services,
            caller=caller if isinstance(caller, Caller) else None,
        )

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> Any:
        return orjson.loads(data)

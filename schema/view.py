"""The GraphQL endpoint: strawberry's ASGI view with our context and JSON, over HTTP and over
WebSocket (`graphql-transport-ws`).

Over HTTP the caller was authenticated before the request got here (`gateway.security.gate`),
which left it in `request.state.caller`. Over WebSocket the key travels in the
`connection_init` payload (`{"Authorization": "Bearer <key>"}`, as browsers cannot set headers
on a WebSocket); the same check runs there, and a connection without a valid key is closed
(4403) before any operation. Refusals of the HTTP layer (a malformed body, too many operations
in a batch, a mutation over GET) are GraphQL-shaped like every other error.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import orjson
import strawberry
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UnsetType

from gateway.auth.roles import Caller
from gateway.security.gate import Authenticator
from gateway.security.responses import graphql_error_response
from gateway.web import graphiql_page
from schema.context import Context

_CODES = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "REQUEST_TOO_LARGE"}
# A socket that has not said who it is by then is closed; live subscriptions per socket.
CONNECTION_INIT_SECONDS = 10
MAX_SUBSCRIPTIONS_PER_SOCKET = 20


class _TextFrames(ASGIWebSocketAdapter):
    """graphql-transport-ws messages are text frames; our JSON encoder makes bytes."""

    async def send_json(self, message: Mapping[str, object]) -> None:
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class GatewayGraphQL(GraphQL[Context, None]):
    protocols = (GRAPHQL_TRANSPORT_WS_PROTOCOL,)
    websocket_adapter_class = _TextFrames
    connection_init_wait_timeout = timedelta(seconds=CONNECTION_INIT_SECONDS)
    max_subscriptions_per_connection = MAX_SUBSCRIPTIONS_PER_SOCKET

    def __init__(
        self,
        schema: strawberry.Schema,
        *,
        authenticator: Authenticator | None = None,
        allowed_origins: list[str] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(schema, **options)
        self.authenticator = authenticator
        # Browsers send no CORS preflight for WebSockets: pages of other origins are refused
        # at the handshake unless configured, as they are for HTTP.
        self.allowed_origins = frozenset(allowed_origins or ())

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

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        """GraphiQL from the gateway's own files: it works without any internet access."""
        return HTMLResponse(graphiql_page())

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        caller = getattr(request.state, "caller", None)
        return Context(
            request=request,
            response=response,
            services=request.state.services,
            caller=caller if isinstance(caller, Caller) else None,
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Authenticate the socket from its `connection_init` payload; the ack names the
        caller."""
        params = context.connection_params or {}
        header = next(
            (v for k, v in params.items() if k.lower() == "authorization" and isinstance(v, str)),
            None,
        )
        if self.authenticator is None:
            raise ConnectionRejectionError
        client = context.request.client.host if context.request.client else "unknown"
        caller = await self.authenticator.caller(header, context.services, client=client)
        if not isinstance(caller, Caller):
            raise ConnectionRejectionError
        context.caller = caller
        return {"name": caller.name, "role": caller.role.value}

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> Any:
        return orjson.loads(data)

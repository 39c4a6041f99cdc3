"""The GraphQL endpoint: strawberry's ASGI view with our context, JSON and checks, over HTTP
and over WebSocket (`graphql-transport-ws`, for subscriptions).

The caller was authenticated before the request got here (`gateway.security.gate`), which left
it in `request.state.caller`. Refusals of the HTTP layer (a malformed body, too many operations
in a batch, a mutation over GET) are GraphQL-shaped like every other error, and so are the
checks of the whole request before anything runs (`schema.preflight`).

Media types (GraphQL over HTTP): a client that asks for `application/graphql-response+json`
gets it, with the status codes that media type carries (400 when the request failed before
execution, and then no `data` entry); everyone else gets `application/json`, where GraphQL
errors come with 200.

Over WebSocket the key travels in the `connection_init` payload (`{"Authorization": "Bearer
<key>"}`, as browsers cannot set headers on a WebSocket); the same check runs there, and a
connection without a valid key is closed (4403) before any operation.
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
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http import process_result as http_result
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.unset import UnsetType

from gateway.auth.roles import Caller
from gateway.security.gate import GraphQLGate
from gateway.security.responses import GRAPHQL_RESPONSE, JSON, graphql_error_response
from gateway.settings import Settings
from gateway.web import graphiql_page
from schema.context import Context
from schema.preflight import PlannedOperation, Refusal, preflight

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
        *args: Any,
        settings: Settings,
        authenticator: GraphQLGate | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.settings = settings
        self.authenticator = authenticator
        # Browsers send no CORS preflight for WebSockets: pages of other origins are refused
        # at the handshake unless configured, as they are for HTTP.
        self.allowed_origins = frozenset(settings.api_cors_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        media_type = negotiate(request.headers.get("accept", ""))
        request.state.media_type = media_type
        try:
            response = await self.run(request)
        except HTTPException as exc:
            response = graphql_error_response(
                exc.status_code,
                _CODES.get(exc.status_code, "BAD_REQUEST"),
                exc.reason,
                media_type=media_type,
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

    async def execute_operation(  # noqa: PLR0917 - strawberry's signature
        self,
        request: Request,
        request_adapter: Any,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Response,
    ) -> Any:
        batch = request_data if isinstance(request_data, list) else [request_data]
        schema = self.schema
        assert isinstance(schema, strawberry.Schema)
        refusal = await preflight(
            schema._schema,
            self.settings,
            [PlannedOperation(d.query, d.variables, d.operation_name) for d in batch],
            services=context.services,
            caller=context.caller,
            limiter=getattr(request.state, "rate_limiter", None),
        )
        if refusal is not None:
            raise _Refused(refusal, batch=isinstance(request_data, list))
        return await super().execute_operation(
            request, request_adapter, request_data, context, root_value, sub_response
        )

    async def run(  # type: ignore[override]
        self, request: Request, context: Context | None = None, root_value: None = None
    ) -> Response:
        try:
            response: Response = await super().run(request)
        except _Refused as refused:
            return refused.response(request.state.media_type)
        media_type = request.state.media_type
        if media_type == GRAPHQL_RESPONSE and response.media_type == JSON:
            response.headers["content-type"] = GRAPHQL_RESPONSE
            if getattr(request.state, "request_error", False) and response.status_code == 200:
                response.status_code = 400
        return response

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        processed = http_result(result)
        if isinstance(result, PreExecutionError):
            # Nothing ran: the specification says such a response carries no `data` entry.
            processed.pop("data", None)
            request.state.request_error = True
        return processed

    def parse_json(self, data: str | bytes) -> Any:
        decoded = super().parse_json(data)
        if not isinstance(decoded, dict) and not (
            isinstance(decoded, list) and all(isinstance(item, dict) for item in decoded)
        ):
            raise HTTPException(400, "Expected a JSON object (or, for a batch, a list of objects).")
        return decoded

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> Any:
        return orjson.loads(data)


class _Refused(Exception):  # noqa: N818 - a way out of strawberry's view, not an error
    def __init__(self, refusal: Refusal, *, batch: bool) -> None:
        super().__init__(refusal.code)
        self.refusal = refusal
        self.batch = batch

    def response(self, media_type: str) -> Response:
        refusal = self.refusal
        bodies = refusal.bodies()
        return Response(
            orjson.dumps(bodies if self.batch else bodies[0]),
            status_code=refusal.status if media_type == GRAPHQL_RESPONSE else refusal.json_status,
            media_type=media_type,
            headers=refusal.headers,
        )


def negotiate(accept: str) -> str:
    """`application/graphql-response+json` when the client prefers it to `application/json`
    (by quality, then by order); `application/json` otherwise, `*/*` included."""
    best, best_quality = JSON, 0.0
    for entry in accept.split(","):
        media, *parameters = (part.strip() for part in entry.split(";"))
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media.lower() in (GRAPHQL_RESPONSE, JSON) and quality > best_quality:
            best, best_quality = media.lower(), quality
    return best

"""The ASGI application: GraphQL at /graphql (HTTP and WebSocket), the console at /console,
/metrics, change notifications at /hooks/<hook>, /healthz and /readyz, shared clients per
process."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import strawberry
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Route, WebSocketRoute

from gateway.auth.keys import DevKeyBootstrap
from gateway.health import healthz, readyz
from gateway.notifications.receiver import HookReceiver
from gateway.observability.endpoint import MetricsEndpoint
from gateway.observability.tracing import configure_tracing
from gateway.security import install_secret_redaction, secret_values
from gateway.security.gate import GraphQLGate
from gateway.security.middleware import security_middleware
from gateway.services import open_services
from gateway.settings import Settings, load_settings
from gateway.web import web_routes
from schema import build_schema
from schema.view import GatewayGraphQL


def create_app(
    settings: Settings | None = None, *, schema: strawberry.Schema | None = None
) -> Starlette:
    """The application; `schema` replaces the product schema (tests, benchmarks)."""
    settings = settings or load_settings()
    settings.require("mongodb_url", "redis_url")
    install_secret_redaction(secret_values(settings))
    configure_tracing(settings, service="gateway-api")
    dev_key = DevKeyBootstrap(
        settings.gateway_dev_api_key.get_secret_value()
        if settings.is_dev and settings.gateway_dev_api_key is not None
        else None
    )
    graphql = GatewayGraphQL(
        schema or build_schema(settings),
        graphql_ide="graphiql" if settings.graphiql_enabled else None,
        allow_queries_via_get=True,
        settings=settings,
    )
    # The gate's key check also guards the WebSocket (at `connection_init`) and /metrics.
    gate = GraphQLGate(graphql, settings, dev_key=dev_key)
    graphql.authenticator = gate

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, object]]:
        async with open_services(settings) as services, dev_key.running(services):
            yield {"services": services}

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/hooks/{hook}", HookReceiver().handle, methods=["POST"]),
        Route("/graphql", gate, methods=["GET", "POST"]),
        # The socket authenticates in its first message (browsers cannot set its headers).
        WebSocketRoute("/graphql", graphql),
        Route(
            "/metrics",
            MetricsEndpoint(gate, public=settings.metrics_public).serve,
            methods=["GET"],
        ),
        *web_routes(),
    ]
    return Starlette(routes=routes, middleware=security_middleware(settings), lifespan=lifespan)

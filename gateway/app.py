"""The ASGI application: GraphQL at /graphql, /healthz and /readyz, change notifications at
/hooks/<hook>, shared clients per process."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import strawberry
from starlette.applications import Starlette
from starlette.routing import Route

from gateway.auth.keys import DevKeyBootstrap
from gateway.health import healthz, readyz
from gateway.notifications.receiver import HookReceiver
from gateway.security import install_secret_redaction, secret_values
from gateway.security.gate import GraphQLGate
from gateway.security.middleware import security_middleware
from gateway.services import open_services
from gateway.settings import Settings, load_settings
from schema import build_schema
from schema.view import GatewayGraphQL


def create_app(
    settings: Settings | None = None, *, schema: strawberry.Schema | None = None
) -> Starlette:
    """The application; `schema` replaces the product schema (tests, benchmarks)."""
    settings = settings or load_settings()
    settings.require("mongodb_url", "redis_url")
    install_secret_redaction(secret_values(settings))
    graphql = GatewayGraphQL(
        schema or build_schema(settings),
        graphql_ide="graphiql" if settings.graphiql_enabled else None,
        allow_queries_via_get=True,
        settings=settings,
    )
    dev_key = DevKeyBootstrap(
        settings.gateway_dev_api_key.get_secret_value()
        if settings.is_dev and settings.gateway_dev_api_key is not None
        else None
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, object]]:
        async with open_services(settings) as services, dev_key.running(services):
            yield {"services": services}

    hooks = HookReceiver()
    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/hooks/{hook}", hooks.handle, methods=["POST"]),
            Route(
                "/graphql", GraphQLGate(graphql, settings, dev_key=dev_key), methods=["GET", "POST"]
            ),
        ],
        middleware=security_middleware(settings),
        lifespan=lifespan,
    )

"""The ASGI application: GraphQL at /graphql, /healthz and /readyz, shared clients per process."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.routing import Route

from gateway.health import healthz, readyz
from gateway.services import open_services
from gateway.settings import Settings, load_settings
from schema import build_schema
from schema.view import GatewayGraphQL


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or load_settings()
    settings.require("mongodb_url", "redis_url")
    graphql = GatewayGraphQL(
        build_schema(settings),
        graphql_ide="graphiql" if settings.is_dev else None,
        allow_queries_via_get=True,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, object]]:
        async with open_services(settings) as services:
            yield {"services": services}

    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/graphql", graphql, methods=["GET", "POST"]),
        ],
        lifespan=lifespan,
    )

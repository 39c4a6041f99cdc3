"""Fixtures of the security tests: keys of each role, apps with other settings, and a probe
schema whose resolvers count their calls (to prove that a refused request ran none)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import strawberry
from strawberry.scalars import JSON

from gateway.app import create_app
from gateway.asgi_server import running_server
from gateway.auth.keys import ApiKeyStore
from gateway.auth.roles import Role
from gateway.services import Services
from gateway.settings import Environment, Settings
from schema import MUTATION_TYPES, QUERY_TYPES, build_schema
from schema.permissions import requires
from tests.support import poll_readiness

PROBE_CALLS: list[str] = []


@strawberry.type
class Probe:
    @strawberry.field
    def value(self) -> int:
        PROBE_CALLS.append("value")
        return 1

    @strawberry.field
    def probe(self) -> Probe:
        PROBE_CALLS.append("probe")
        return Probe()


@strawberry.type
class ProbeQuery:
    @strawberry.field
    def probe(self) -> Probe:
        PROBE_CALLS.append("probe")
        return Probe()

    @strawberry.field
    def probes(self, first: int | None = None) -> list[Probe]:
        PROBE_CALLS.append("probes")
        return [Probe() for _ in range(first or 0)]

    @strawberry.field
    def boom(self) -> int:
        PROBE_CALLS.append("boom")
        raise RuntimeError("the ledger at /srv/secret-path exploded")


@strawberry.input
class CredentialInput:
    name: str
    client_secret: str
    note: str


@strawberry.type
class CredentialPayload:
    name: str


@strawberry.type
class ProbeMutation:
    @strawberry.mutation(permission_classes=requires(Role.ADMIN))
    def store_credential(self, input: CredentialInput) -> CredentialPayload:
        PROBE_CALLS.append("storeCredential")
        return CredentialPayload(name=input.name)

    @strawberry.mutation(permission_classes=requires(Role.INTEGRATOR))
    def remember(self, value: JSON | None = None) -> int:
        PROBE_CALLS.append("remember")
        return 1


def probe_schema(settings: Settings) -> strawberry.Schema:
    """The product schema plus the probe fields, with the same security treatment."""
    return build_schema(
        settings,
        query_types=(*QUERY_TYPES, ProbeQuery),
        mutation_types=(*MUTATION_TYPES, ProbeMutation),
    )


@pytest.fixture(autouse=True)
def _reset_probe_calls() -> None:
    PROBE_CALLS.clear()


@pytest.fixture
def production(settings: Settings) -> Settings:
    """The test settings in production mode (no dev key, no GraphiQL, masked errors)."""
    return settings.model_copy(update={"gateway_env": Environment.PRODUCTION})


@pytest.fixture
def make_key(services: Services) -> Callable[..., Any]:
    async def make(role: Role, name: str | None = None) -> str:
        _, key = await ApiKeyStore(services.db).create(name or f"{role.value}-key", role)
        return key

    return make


ServeApp = Callable[..., contextlib.AbstractAsyncContextManager[str]]


@pytest.fixture
def serve_app() -> ServeApp:
    """Serve an app built from `settings` (and the probe schema, unless told otherwise)."""

    @contextlib.asynccontextmanager
    async def serve(settings: Settings, *, probe: bool = True) -> AsyncIterator[str]:
        schema = probe_schema(settings) if probe else None
        async with running_server(create_app(settings, schema=schema)) as url:
            await poll_readiness(url)
            yield url

    return serve


def client(url: str, key: str | None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.AsyncClient(base_url=url, headers=headers, timeout=30)


def error_codes(body: dict[str, Any]) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in body.get("errors") or []]

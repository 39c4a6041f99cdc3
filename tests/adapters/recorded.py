"""Recorded-protocol helpers: connectors wired to an `httpx.MockTransport` that answers with
payloads shaped like the examples in Microsoft's Dataverse Web API and Business Central API
v2.0 documentation."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import orjson

from adapters.business_central import BusinessCentralConnector
from adapters.dataverse import DataverseConnector
from adapters.registry import ConnectionConfig, build_business_central, build_dataverse

ORG = "https://contoso.crm.dynamics.com"
DATAVERSE_API = f"{ORG}/api/data/v9.2/"
BC = "https://api.businesscentral.dynamics.com/v2.0/tenant/production"
BC_API = f"{BC}/api/v2.0/"
COMPANY = "f2a5738a-44e3-ea11-bb43-000d3a2feca1"
TOKEN_URL = "https://login.microsoftonline.com/tenant/oauth2/v2.0/token"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
SECRET = "Very.Secret~Client-Value_42"

Handler = Callable[[httpx.Request], httpx.Response]


def guid() -> str:
    return str(uuid.uuid4())


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status,
        content=orjson.dumps(body),
        headers={"Content-Type": "application/json; odata.metadata=minimal", **(headers or {})},
    )


def odata_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    return json_response(status, {"error": {"code": code, "message": message}}, headers)


def query_of(request: httpx.Request) -> dict[str, str]:
    """The decoded query options of a request (`$filter`, `$select`, ...)."""
    raw = urlsplit(str(request.url)).query
    return {key: values[0] for key, values in parse_qs(raw, keep_blank_values=True).items()}


def path_of(request: httpx.Request) -> str:
    return unquote(urlsplit(str(request.url)).path)


@dataclass
class Service:
    """A fake Microsoft service: an OAuth token endpoint plus `api`, the handler for the rest."""

    api: Handler
    tokens_issued: int = 0
    token_lifetime: int = 3600
    requests: list[httpx.Request] = field(default_factory=list)
    token_bodies: list[dict[str, list[str]]] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)
    # Answers the token endpoint instead of issuing a token, when set.
    token_refusal: httpx.Response | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL:
            if self.token_refusal is not None:
                return self.token_refusal
            self.tokens_issued += 1
            self.token_bodies.append(parse_qs(request.content.decode()))
            return json_response(
                200,
                {
                    "token_type": "Bearer",
                    "expires_in": self.token_lifetime,
                    "access_token": f"eyJ0eXAi.token-{self.tokens_issued}",
                },
            )
        self.requests.append(request)
        return self.api(request)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    @property
    def current_token(self) -> str:
        return f"eyJ0eXAi.token-{self.tokens_issued}"


def config(base_url: str, **overrides: Any) -> ConnectionConfig:
    values: dict[str, Any] = {
        "base_url": base_url,
        "token_url": TOKEN_URL,
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        **overrides,
    }
    return ConnectionConfig(**values)


def dataverse(api: Handler, **overrides: Any) -> tuple[DataverseConnector, Service]:
    service = Service(api)
    http = httpx.AsyncClient(transport=httpx.MockTransport(service))
    connector = build_dataverse(config(ORG, **overrides), http=http, sleep=service.sleep)
    return connector, service


def business_central(api: Handler, **overrides: Any) -> tuple[BusinessCentralConnector, Service]:
    service = Service(api)
    http = httpx.AsyncClient(transport=httpx.MockTransport(service))
    connector = build_business_central(config(BC, **overrides), http=http, sleep=service.sleep)
    return connector, service

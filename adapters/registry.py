"""Build connectors from plain configuration values (no environment, no settings object).

`ConnectionConfig` holds what a deployment knows about one system: where it is, how to get a
token, and the limits to respect. `build_connector("dataverse" | "business_central", config)`
returns a ready connector that has not touched the network yet: the token, and for Business
Central the company, are fetched on first use.

Default concurrency stays within Microsoft's service protection limits: Dataverse allows 52
concurrent requests per user (16 leaves room for other clients of the same application user);
Business Central processes 5 OData requests per user at a time and queues the rest, so more
than 5 in flight only waits on the server instead of here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from adapters.base import Connector
from adapters.budget import BudgetOf, unlimited
from adapters.business_central import API_PATH as BC_API_PATH
from adapters.business_central import MAX_BATCH, BusinessCentralConnector
from adapters.dataverse import API_PATH as DATAVERSE_API_PATH
from adapters.dataverse import DataverseConnector
from adapters.odata.auth import ClientCredentials, TokenProvider
from adapters.odata.client import Credential, ODataClient, Sleep
from adapters.odata.connector import ConnectorLimits
from adapters.project_server import API_PATH as PROJECT_SERVER_API_PATH
from adapters.project_server import ProjectServerConnector
from adapters.retry import RetryPolicy
from adapters.transport import TransportWrapper, client_transport

DATAVERSE = "dataverse"
BUSINESS_CENTRAL = "business_central"
PROJECT_SERVER = "project_server"

# Project Online throttles per user much like SharePoint Online; a handful in flight is what
# its guidance for CSOM and REST clients asks for.
DEFAULT_CONCURRENCY = {DATAVERSE: 16, BUSINESS_CENTRAL: 5, PROJECT_SERVER: 6}
BC_SCOPE = "https://api.businesscentral.dynamics.com/.default"


@dataclass(frozen=True, slots=True)
class ConnectionConfig:
    """One external system. `base_url` is the Dataverse organization root or the Business
    Central environment root; the connector appends the API path."""

    base_url: str  # for Project Server: the Project Web App site, e.g. `…/sites/pwa/`
    token_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    scope: str | None = None
    company_id: str | None = None
    max_concurrency: int | None = None
    timeout: float = 30.0
    max_attempts: int = 5
    max_url_length: int = 2048
    batch_size: int | None = None
    read_etag_when_missing: bool = False
    # Wraps the HTTP transport of the connector's own client (metrics, traces).
    wrap_transport: TransportWrapper | None = field(default=None, repr=False, compare=False)
    # More application users (client id, secret) of the same app registration's tenant: the
    # services' limits hold per user, so requests are spread over all of them.
    more_credentials: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    def check(self) -> None:
        """Raise `ValueError` naming the first field that is missing or wrong."""
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url must be an http(s) URL, not {self.base_url!r}")
        if self.token_url is not None:
            for name in ("client_id", "client_secret"):
                if not getattr(self, name):
                    raise ValueError(f"{name} is required when token_url is set")
        if self.more_credentials and self.token_url is None:
            raise ValueError("more credentials need token_url")
        seen = {self.client_id}
        for client_id, secret in self.more_credentials:
            if not client_id or not secret:
                raise ValueError("more credentials need a client id and a secret each")
            if client_id in seen:
                raise ValueError(f"client id {client_id!r} is given twice")
            seen.add(client_id)
        if self.max_concurrency is not None and self.max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        if self.timeout <= 0:
            raise ValueError("timeout must be positive")


def service_root(base_url: str, api_path: str) -> str:
    return base_url.rstrip("/") + "/" + api_path


def odata_client(
    system: str,
    config: ConnectionConfig,
    api_path: str,
    *,
    default_scope: str,
    http: httpx.AsyncClient | None,
    sleep: Sleep = asyncio.sleep,
    budget_of: BudgetOf = unlimited,
    headers: dict[str, str] | None = None,
) -> tuple[ODataClient, bool]:
    """The client for `config` and whether it owns (must close) its HTTP client."""
    config.check()
    concurrency = config.max_concurrency or DEFAULT_CONCURRENCY[system]
    identities = 1 + len(config.more_credentials)
    owns = http is None
    if http is None:
        connections = concurrency * identities
        limits = httpx.Limits(
            max_connections=connections + 2, max_keepalive_connections=connections
        )
        http = httpx.AsyncClient(
            timeout=httpx.Timeout(config.timeout, connect=min(10.0, config.timeout)),
            limits=limits,
            transport=client_transport(config.wrap_transport, limits),
        )
    scope = config.scope or default_scope

    def tokens_of(client_id: str, secret: str) -> TokenProvider:
        credentials = ClientCredentials(
            token_url=config.token_url or "",
            client_id=client_id,
            client_secret=secret,
            scope=scope,
        )
        return TokenProvider(credentials, http, system=system)

    tokens = None
    if config.token_url and config.client_id and config.client_secret:
        tokens = tokens_of(config.client_id, config.client_secret)
    more = [
        Credential(tokens_of(client_id, secret), budget_of(client_id))
        for client_id, secret in config.more_credentials
    ]
    client = ODataClient(
        system=system,
        http=http,
        base_url=service_root(config.base_url, api_path),
        tokens=tokens,
        max_concurrency=concurrency,
        retry=RetryPolicy(max_attempts=config.max_attempts),
        headers=headers,
        sleep=sleep,
        budget=budget_of(config.client_id or ""),
        more_credentials=more,
    )
    return client, owns


def build_dataverse(
    config: ConnectionConfig,
    *,
    http: httpx.AsyncClient | None = None,
    sleep: Sleep = asyncio.sleep,
    budget_of: BudgetOf = unlimited,
) -> DataverseConnector:
    parts = urlsplit(config.base_url)
    scope = f"{parts.scheme}://{parts.netloc}/.default"
    client, owns = odata_client(
        DATAVERSE,
        config,
        DATAVERSE_API_PATH,
        default_scope=scope,
        http=http,
        sleep=sleep,
        budget_of=budget_of,
    )
    limits = ConnectorLimits(
        max_url_length=config.max_url_length,
        batch_size=config.batch_size or 100,
    )
    return DataverseConnector(client, limits=limits, owns_http=owns)


def build_business_central(
    config: ConnectionConfig,
    *,
    http: httpx.AsyncClient | None = None,
    sleep: Sleep = asyncio.sleep,
    budget_of: BudgetOf = unlimited,
) -> BusinessCentralConnector:
    client, owns = odata_client(
        BUSINESS_CENTRAL,
        config,
        BC_API_PATH,
        default_scope=BC_SCOPE,
        http=http,
        sleep=sleep,
        budget_of=budget_of,
    )
    limits = ConnectorLimits(
        max_url_length=config.max_url_length,
        batch_size=min(config.batch_size or MAX_BATCH, MAX_BATCH),
    )
    return BusinessCentralConnector(
        client,
        company_id=config.company_id,
        read_etag_when_missing=config.read_etag_when_missing,
        limits=limits,
        owns_http=owns,
    )


def build_project_server(
    config: ConnectionConfig,
    *,
    http: httpx.AsyncClient | None = None,
    sleep: Sleep = asyncio.sleep,
    budget_of: BudgetOf = unlimited,
) -> ProjectServerConnector:
    parts = urlsplit(config.base_url)
    # SharePoint's JSON light without metadata; OData v3 is what `_api/` speaks.
    headers = {
        "Accept": "application/json;odata=nometadata",
        "OData-MaxVersion": "3.0",
        "OData-Version": "3.0",
    }
    client, owns = odata_client(
        PROJECT_SERVER,
        config,
        PROJECT_SERVER_API_PATH,
        default_scope=f"{parts.scheme}://{parts.netloc}/.default",
        http=http,
        sleep=sleep,
        budget_of=budget_of,
        headers=headers,
    )
    return ProjectServerConnector(client, owns_http=owns)


BUILDERS: dict[str, Callable[..., Connector]] = {
    DATAVERSE: build_dataverse,
    BUSINESS_CENTRAL: build_business_central,
    PROJECT_SERVER: build_project_server,
}


def build_connector(
    kind: str,
    config: ConnectionConfig,
    *,
    http: httpx.AsyncClient | None = None,
    budget_of: BudgetOf = unlimited,
) -> Connector:
    """A connector of `kind` for `config`; with `http`, that client is used and not closed;
    `budget_of` gives each credential's request budget shared with other processes."""
    builder = BUILDERS.get(kind)
    if builder is None:
        raise ValueError(f"unknown connector kind {kind!r}; known: {', '.join(sorted(BUILDERS))}")
    return builder(config, http=http, budget_of=budget_of)

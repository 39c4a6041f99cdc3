"""The connectors of this process, built from the settings.

`CRM_URL` is the Dataverse organization root (the connector appends `api/data/v9.2/`),
`BC_URL` the Business Central environment root (it appends `api/v2.0/`) and
`PROJECTSERVER_URL` the Project Web App site (it appends `_api/`). Each connector gets
its own `httpx.AsyncClient`, sized to its concurrency limit, and closes it in `aclose`.
Building touches no network: tokens, and the Business Central company when `BC_COMPANY_ID`
is unset, are fetched on first use.
"""

from __future__ import annotations

import dataclasses

from redis.asyncio import Redis

from adapters.base import Connector
from adapters.budget import UNLIMITED, BudgetOf, RequestBudget, unlimited
from adapters.registry import (
    BUSINESS_CENTRAL,
    DATAVERSE,
    PROJECT_SERVER,
    ConnectionConfig,
    build_connector,
)
from adapters.systems import TRYTON
from adapters.tryton import TrytonConfig, TrytonConnector
from gateway.budget import BudgetLimits, RedisBudget
from gateway.observability.backend import observed
from gateway.settings import ConfigurationError, OAuthSystem, Settings


def crm_connection(settings: Settings) -> ConnectionConfig | None:
    """The Dataverse connection, or None when `CRM_URL` is not set."""
    return _connection(settings, settings.crm)


def erp_connection(settings: Settings) -> ConnectionConfig | None:
    """The Business Central connection, or None when the ERP is not Business Central or
    `BC_URL` is not set."""
    return _connection(settings, settings.bc)


def build_crm(settings: Settings, redis: Redis | None = None) -> Connector | None:
    config = crm_connection(settings)
    if config is None:
        return None
    return _build(DATAVERSE, config, "CRM", _budgets(settings, redis, settings.crm, DATAVERSE))


def project_server_connection(settings: Settings) -> ConnectionConfig | None:
    """The Project Server connection, or None when `PROJECTSERVER_URL` is not set."""
    return _connection(settings, settings.project_server)


def build_project_management(settings: Settings, redis: Redis | None = None) -> Connector | None:
    """The project-management system's connector, if one is configured."""
    config = project_server_connection(settings)
    if config is None:
        return None
    budgets = _budgets(settings, redis, settings.project_server, PROJECT_SERVER)
    return _build(PROJECT_SERVER, config, "PROJECTSERVER", budgets)


def tryton_connection(settings: Settings) -> TrytonConfig | None:
    """The Tryton connection, or None when the ERP is not Tryton or `TRYTON_URL` is not set."""
    system = settings.tryton
    if system is None:
        return None
    system.require()
    try:
        return TrytonConfig(
            url=system.url,
            database=system.database or "",
            user=system.user or "",
            password=system.password.get_secret_value() if system.password is not None else "",
            timeout=settings.connector_timeout_seconds,
            wrap_transport=observed(TRYTON),
            max_attempts=settings.connector_max_attempts,
            max_concurrency=system.max_concurrency,
        )
    except ValueError as exc:
        raise ConfigurationError(f"TRYTON_* settings: {exc}") from None


def build_erp(settings: Settings, redis: Redis | None = None) -> Connector | None:
    tryton = tryton_connection(settings)
    if tryton is not None:
        limits = (settings.tryton_budget_concurrency, 0, 1.0)
        name = f"{TRYTON}:{tryton.database}:{tryton.user}"
        return TrytonConnector(tryton, budget=_shared(settings, redis, name, limits))
    config = erp_connection(settings)
    if config is None:
        return None
    budgets = _budgets(settings, redis, settings.bc, BUSINESS_CENTRAL)
    return _build(BUSINESS_CENTRAL, config, "BC", budgets)


def _budgets(
    settings: Settings, redis: Redis | None, system: OAuthSystem | None, kind: str
) -> BudgetOf:
    """The budget of each credential of one system, shared by every process through Redis."""
    if system is None:
        return unlimited
    limits = system.budget

    def budget_of(client_id: str) -> RequestBudget:
        return _shared(settings, redis, f"{kind}:{client_id}", limits)

    return budget_of


def _shared(
    settings: Settings, redis: Redis | None, name: str, limits: tuple[int, int, float]
) -> RequestBudget:
    if redis is None or not settings.request_budget_shared:
        return UNLIMITED
    concurrency, requests, window = limits
    lease = settings.connector_timeout_seconds * settings.connector_max_attempts + 5
    return RedisBudget(redis, name, BudgetLimits(concurrency, requests, window, lease))


def _connection(settings: Settings, system: OAuthSystem | None) -> ConnectionConfig | None:
    if system is None:
        return None
    system.require()
    secret = system.client_secret
    return ConnectionConfig(
        base_url=system.url,
        token_url=system.token_url,
        client_id=system.client_id,
        client_secret=secret.get_secret_value() if secret is not None else None,
        scope=system.scope,
        company_id=system.company_id,
        max_concurrency=system.max_concurrency,
        timeout=settings.connector_timeout_seconds,
        max_attempts=settings.connector_max_attempts,
        max_url_length=settings.connector_max_url_length,
        more_credentials=tuple(
            (client_id, secret.get_secret_value()) for client_id, secret in system.more_credentials
        ),
    )


def _build(kind: str, config: ConnectionConfig, prefix: str, budgets: BudgetOf) -> Connector:
    """The connector, its every request counted and traced under its kind's name."""
    config = dataclasses.replace(config, wrap_transport=observed(kind))
    try:
        return build_connector(kind, config, budget_of=budgets)
    except ValueError as exc:  # the message names the field; say which variables it came from
        raise ConfigurationError(f"{prefix}_* settings: {exc}") from None

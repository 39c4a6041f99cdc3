"""The connectors of this process, built from the settings.

`CRM_URL` is the Dataverse organization root (the connector appends `api/data/v9.2/`) and
`BC_URL` the Business Central environment root (it appends `api/v2.0/`). Each connector gets
its own `httpx.AsyncClient`, sized to its concurrency limit, and closes it in `aclose`.
Building touches no network: tokens, and the Business Central company when `BC_COMPANY_ID`
is unset, are fetched on first use.
"""

from __future__ import annotations

from adapters.base import Connector
from adapters.registry import BUSINESS_CENTRAL, DATAVERSE, ConnectionConfig, build_connector
from adapters.tryton import TrytonConfig, TrytonConnector
from gateway.settings import ConfigurationError, OAuthSystem, Settings


def crm_connection(settings: Settings) -> ConnectionConfig | None:
    """The Dataverse connection, or None when `CRM_URL` is not set."""
    return _connection(settings, settings.crm)


def erp_connection(settings: Settings) -> ConnectionConfig | None:
    """The Business Central connection, or None when the ERP is not Business Central or
    `BC_URL` is not set."""
    return _connection(settings, settings.bc)


def build_crm(settings: Settings) -> Connector | None:
    config = crm_connection(settings)
    return _build(DATAVERSE, config, "CRM") if config else None


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
            max_attempts=settings.connector_max_attempts,
            max_concurrency=system.max_concurrency,
        )
    except ValueError as exc:
        raise ConfigurationError(f"TRYTON_* settings: {exc}") from None


def build_erp(settings: Settings) -> Connector | None:
    tryton = tryton_connection(settings)
    if tryton is not None:
        return TrytonConnector(tryton)
    config = erp_connection(settings)
    return _build(BUSINESS_CENTRAL, config, "BC") if config else None


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
    )


def _build(kind: str, config: ConnectionConfig, prefix: str) -> Connector:
    try:
        return build_connector(kind, config)
    except ValueError as exc:  # the message names the field; say which variables it came from
        raise ConfigurationError(f"{prefix}_* settings: {exc}") from None

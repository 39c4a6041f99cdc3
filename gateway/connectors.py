"""The connectors of this process, built from the settings.

`CRM_URL` is the Dataverse organization root (the connector appends `api/data/v9.2/`) and
`BC_URL` the Business Central environment root (it appends `api/v2.0/`). Each connector gets
its own `httpx.AsyncClient`, sized to its concurrency limit, and closes it in `aclose`.
Building touches no network: tokens, and the Business Central company when `BC_COMPANY_ID`
is unset, are fetched on first use.
"""

from __future__ import annotations

import dataclasses

from adapters.base import Connector
from adapters.registry import BUSINESS_CENTRAL, DATAVERSE, ConnectionConfig, build_connector
from adapters.tryton import TrytonConfig, TrytonConnector
from gateway.observability.backend import observed
from gateway.settings import ConfigurationError, ErpKind, Settings


def crm_connection(settings: Settings) -> ConnectionConfig | None:
    """The Dataverse connection, or None when `CRM_URL` is not set."""
    if settings.crm_url is None:
        return None
    _require(settings, "crm", "token_url", "client_id", "client_secret")
    return _connection(settings, "crm", max_concurrency=settings.crm_max_concurrency)


def erp_connection(settings: Settings) -> ConnectionConfig | None:
    """The Business Central connection, or None when the ERP is not Business Central or
    `BC_URL` is not set."""
    if settings.erp is not ErpKind.BUSINESS_CENTRAL or settings.bc_url is None:
        return None
    _require(settings, "bc", "token_url", "client_id", "client_secret")
    return _connection(
        settings,
        "bc",
        max_concurrency=settings.bc_max_concurrency,
        company_id=settings.bc_company_id,
    )


def build_crm(settings: Settings) -> Connector | None:
    config = crm_connection(settings)
    return _build(DATAVERSE, config, "CRM") if config else None


TRYTON = "tryton"  # the system name the Tryton connector reports


def tryton_connection(settings: Settings) -> TrytonConfig | None:
    """The Tryton connection, or None when the ERP is not Tryton or `TRYTON_URL` is not set."""
    if settings.erp is not ErpKind.TRYTON or settings.tryton_url is None:
        return None
    _require(settings, "tryton", "database", "user", "password")
    password = settings.tryton_password
    try:
        return TrytonConfig(
            url=str(settings.tryton_url),
            database=settings.tryton_database or "",
            user=settings.tryton_user or "",
            password=password.get_secret_value() if password is not None else "",
            timeout=settings.connector_timeout_seconds,
            wrap_transport=observed(TRYTON),
        )
    except ValueError as exc:
        raise ConfigurationError(f"TRYTON_* settings: {exc}") from None


def build_erp(settings: Settings) -> Connector | None:
    tryton = tryton_connection(settings)
    if tryton is not None:
        return TrytonConnector(tryton)
    config = erp_connection(settings)
    return _build(BUSINESS_CENTRAL, config, "BC") if config else None


def _require(settings: Settings, prefix: str, *names: str) -> None:
    for name in names:
        if getattr(settings, f"{prefix}_{name}") is None:
            raise ConfigurationError(
                f"{prefix.upper()}_{name.upper()} is required when {prefix.upper()}_URL is set"
            )


def _connection(
    settings: Settings, prefix: str, *, max_concurrency: int, company_id: str | None = None
) -> ConnectionConfig:
    secret = getattr(settings, f"{prefix}_client_secret")
    return ConnectionConfig(
        base_url=str(getattr(settings, f"{prefix}_url")),
        token_url=str(getattr(settings, f"{prefix}_token_url")),
        client_id=getattr(settings, f"{prefix}_client_id"),
        client_secret=secret.get_secret_value() if secret is not None else None,
        scope=getattr(settings, f"{prefix}_scope"),
        company_id=company_id,
        max_concurrency=max_concurrency,
        timeout=settings.connector_timeout_seconds,
        max_attempts=settings.connector_max_attempts,
        max_url_length=settings.connector_max_url_length,
    )


def _build(kind: str, config: ConnectionConfig, prefix: str) -> Connector:
    """The connector, its every request counted and traced under its kind's name."""
    config = dataclasses.replace(config, wrap_transport=observed(kind))
    try:
        return build_connector(kind, config)
    except ValueError as exc:  # the message names the field; say which variables it came from
        raise ConfigurationError(f"{prefix}_* settings: {exc}") from None

"""Connectors built from settings and registry configs, without touching the network."""

from __future__ import annotations

import dataclasses

import pytest

from adapters.business_central import BusinessCentralConnector
from adapters.dataverse import DataverseConnector
from adapters.project_server import ProjectServerConnector
from adapters.registry import ConnectionConfig, build_connector
from gateway.connectors import build_crm, build_erp, build_project_management
from gateway.services import build_services
from gateway.settings import ConfigurationError, Settings

SANDBOX = "http://127.0.0.1:8001"


def connector_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "_env_file": None,
        "crm_url": f"{SANDBOX}/dataverse/",
        "crm_token_url": f"{SANDBOX}/oauth2/token",
        "crm_client_id": "gateway-dev",
        "crm_client_secret": "gateway-dev-secret",
        "bc_url": f"{SANDBOX}/bc",
        "bc_token_url": f"{SANDBOX}/oauth2/token",
        "bc_client_id": "gateway-dev",
        "bc_client_secret": "gateway-dev-secret",
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


async def test_settings_build_both_connectors_with_their_api_roots() -> None:
    settings = connector_settings(bc_max_concurrency=3)
    crm, erp = build_crm(settings), build_erp(settings)
    assert isinstance(crm, DataverseConnector)
    assert isinstance(erp, BusinessCentralConnector)
    assert crm.client.base_url == f"{SANDBOX}/dataverse/api/data/v9.2/"
    assert erp.client.base_url == f"{SANDBOX}/bc/api/v2.0/"
    assert crm.client.max_concurrency == 16
    assert erp.client.max_concurrency == 3
    assert crm.client.requests_sent == 0
    assert crm.client.tokens is not None
    assert crm.client.tokens.fetches == 0
    for connector in (crm, erp):
        await connector.aclose()
        assert connector.client.http.is_closed


def test_unconfigured_systems_have_no_connector() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert build_crm(settings) is None
    assert build_erp(settings) is None
    assert build_erp(connector_settings(erp="tryton")) is None


def test_missing_credentials_name_the_variable() -> None:
    with pytest.raises(
        ConfigurationError, match="CRM_CLIENT_SECRET is required when CRM_URL is set"
    ):
        build_crm(connector_settings(crm_client_secret=None))
    with pytest.raises(ConfigurationError, match="BC_TOKEN_URL is required"):
        build_erp(connector_settings(bc_token_url=None))
    with pytest.raises(ConfigurationError, match="company_id must be the company's id"):
        build_erp(connector_settings(bc_company_id="CRONUS"))


async def test_services_own_and_close_the_connectors() -> None:
    settings = connector_settings(
        mongodb_url="mongodb://127.0.0.1:1", redis_url="redis://127.0.0.1:1"
    )
    services = build_services(settings)
    assert isinstance(services.crm, DataverseConnector)
    assert isinstance(services.erp, BusinessCentralConnector)
    await services.aclose()
    assert services.crm.client.http.is_closed
    assert services.erp.client.http.is_closed


def test_registry_checks_configs_and_kinds() -> None:
    with pytest.raises(ValueError, match="client_id is required when token_url is set"):
        build_connector("dataverse", ConnectionConfig(base_url=SANDBOX, token_url=f"{SANDBOX}/t"))
    with pytest.raises(ValueError, match="base_url must be an http"):
        build_connector("dataverse", ConnectionConfig(base_url="ftp://x"))
    with pytest.raises(ValueError, match="unknown connector kind 'salesforce'"):
        build_connector("salesforce", ConnectionConfig(base_url=SANDBOX))


async def test_more_credentials_come_from_a_json_object_and_each_has_its_own_tokens(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CRM_MORE_CREDENTIALS", '{"second-user": "s2", "third-user": "s3"}')
    settings = connector_settings(crm_max_concurrency=4)
    crm = build_crm(settings)
    assert isinstance(crm, DataverseConnector)
    try:
        ids = [c.tokens.client_id for c in crm.client.credentials if c.tokens]
        assert ids == ["gateway-dev", "second-user", "third-user"]
        assert crm.client.max_concurrency == 12  # the limit holds per user
        assert set(crm.client.secrets()) >= {"s2", "s3", "gateway-dev-secret"}
    finally:
        await crm.aclose()


def test_more_credentials_are_checked_before_use() -> None:
    base = ConnectionConfig(
        base_url=SANDBOX, token_url=f"{SANDBOX}/oauth2/token", client_id="a", client_secret="s"
    )
    for more, reason in (
        ((("a", "other"),), "client id 'a' is given twice"),
        ((("b", ""),), "a client id and a secret each"),
    ):
        config = dataclasses.replace(base, more_credentials=more)
        with pytest.raises(ValueError, match=reason):
            config.check()


async def test_settings_build_the_project_server_connector() -> None:
    settings = connector_settings(
        projectserver_url=f"{SANDBOX}/projectserver/",
        projectserver_token_url=f"{SANDBOX}/oauth2/token",
        projectserver_client_id="gateway-dev",
        projectserver_client_secret="gateway-dev-secret",
        projectserver_max_concurrency=2,
    )
    connector = build_project_management(settings)
    assert isinstance(connector, ProjectServerConnector)
    assert connector.client.base_url == f"{SANDBOX}/projectserver/_api/"
    assert connector.client.max_concurrency == 2
    assert connector.client.requests_sent == 0
    await connector.aclose()
    assert connector.client.http.is_closed
    assert build_project_management(connector_settings()) is None
    with pytest.raises(ConfigurationError, match="PROJECTSERVER_CLIENT_ID is required"):
        build_project_management(
            connector_settings(
                projectserver_url=f"{SANDBOX}/projectserver/",
                projectserver_token_url=f"{SANDBOX}/oauth2/token",
            )
        )

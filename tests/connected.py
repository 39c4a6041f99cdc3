"""Fixtures for tests that run the gateway against the sandbox: settings whose connectors
point at the session's sandbox, services built from them, and the API served over TCP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from gateway.app import create_app
from gateway.asgi_server import running_server
from gateway.services import Services, open_services
from gateway.settings import Settings
from tests.support import poll_readiness
from tests.support_sandbox import SandboxHandle

API_KEY = "gw_test_admin_key_0123456789"


@pytest.fixture
def connected_settings(settings: Settings, sandbox: SandboxHandle) -> Settings:
    """The test's settings with the CRM and the ERP wired to the (reset) sandbox."""
    return settings.model_copy(
        update={
            "crm_url": sandbox.dataverse_url,
            "crm_token_url": sandbox.token_url,
            "crm_client_id": sandbox.client_id,
            "crm_client_secret": SecretStr(sandbox.client_secret),
            "bc_url": sandbox.bc_url,
            "bc_token_url": sandbox.token_url,
            "bc_client_id": sandbox.client_id,
            "bc_client_secret": SecretStr(sandbox.client_secret),
            "bc_company_id": sandbox.company_id,
        }
    )


@pytest.fixture
async def connected_services(connected_settings: Settings) -> AsyncIterator[Services]:
    """Services with both connectors, the store prepared and the default mappings stored."""
    async with open_services(connected_settings, wait_for_store=True) as services:
        yield services


@pytest.fixture
async def connected_http(connected_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An admin client of the gateway's API, itself connected to the sandbox."""
    async with running_server(create_app(connected_settings)) as url:
        await poll_readiness(url)
        async with httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=60
        ) as client:
            yield client

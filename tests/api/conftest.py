"""The gateway's API wired to the sandbox, with settings for counting requests: URLs long
enough for a page of ids per request, no retries (a fault is seen at once), no rate limit."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from gateway.app import create_app
from gateway.asgi_server import running_server
from gateway.services import Services, open_services
from gateway.settings import Settings
from tests.conftest import TEST_API_KEY
from tests.support import poll_readiness


@pytest.fixture
def api_settings(connected_settings: Settings) -> Settings:
    return connected_settings.model_copy(
        update={
            "connector_max_url_length": 16384,
            "connector_max_attempts": 1,
            "api_rate_limit": 0,
        }
    )


@pytest.fixture
async def store(api_settings: Settings) -> AsyncIterator[Services]:
    """Services of the test itself (same database as the API), to arrange and to check."""
    async with open_services(api_settings, wait_for_store=True) as services:
        yield services


@pytest.fixture
async def api(api_settings: Settings, store: Services) -> AsyncIterator[httpx.AsyncClient]:
    """An admin client of the API, itself connected to the sandbox."""
    async with running_server(create_app(api_settings)) as url:
        await poll_readiness(url)
        async with httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {TEST_API_KEY}"}, timeout=120
        ) as client:
            yield client

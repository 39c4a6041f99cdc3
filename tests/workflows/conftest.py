"""Fixtures of the lifecycle tests: settings with a write-in item and short workflow leases,
services connected to the (reset) sandbox, a small world of coupled records or the seeded
demo data coupled as a tenant has it, and direct HTTP clients of the sandbox's APIs to act
and check with."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from gateway.services import Services, open_services
from gateway.settings import Settings
from tests.support_sandbox import SandboxHandle
from tests.workflows.support import WRITE_IN_NUMBER, Systems, World, build_world, systems
from tests.workflows.tenant import Tenant, seeded_tenant


@pytest.fixture
def lifecycle_settings(connected_settings: Settings) -> Settings:
    return connected_settings.model_copy(
        update={
            "write_in_product_number": WRITE_IN_NUMBER,
            "workflow_lease_seconds": 2.0,
            "connector_max_attempts": 1,
            "api_rate_limit": 0,
        }
    )


@pytest.fixture
async def lifecycle_services(lifecycle_settings: Settings) -> AsyncIterator[Services]:
    async with open_services(lifecycle_settings, wait_for_store=True) as services:
        yield services


@pytest.fixture
async def world(lifecycle_services: Services) -> World:
    return await build_world(lifecycle_services)


@pytest.fixture
async def check(sandbox: SandboxHandle) -> AsyncIterator[Systems]:
    async for found in systems(sandbox):
        yield found


@pytest.fixture
async def tenant(lifecycle_services: Services, sandbox: SandboxHandle) -> Tenant:
    """The sandbox's demo data, coupled as a tenant would have it (`tests/workflows/tenant.py`)."""
    return await seeded_tenant(lifecycle_services, sandbox)

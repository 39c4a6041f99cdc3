"""Clients of the sandbox's APIs, authenticated with a token from its token endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.sandbox.projectserver import ProjectServerClient, projectserver_client
from tests.support_sandbox import BC_SCOPE, DATAVERSE_SCOPE, SandboxHandle


@pytest.fixture
async def dataverse(sandbox: SandboxHandle) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the Dataverse Web API (`…/api/data/v9.2/`)."""
    token = await sandbox.token(DATAVERSE_SCOPE)
    headers = {"Authorization": f"Bearer {token}", "OData-Version": "4.0"}
    async with httpx.AsyncClient(
        base_url=sandbox.dataverse_api, headers=headers, timeout=120
    ) as client:
        yield client


@pytest.fixture
async def bc(sandbox: SandboxHandle) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the default company in Business Central (`…/api/v2.0/companies(<id>)/`)."""
    token = await sandbox.token(BC_SCOPE)
    async with httpx.AsyncClient(
        base_url=sandbox.bc_company_api, headers={"Authorization": f"Bearer {token}"}, timeout=120
    ) as client:
        yield client


@pytest.fixture
async def projectserver(sandbox: SandboxHandle) -> AsyncIterator[ProjectServerClient]:
    """A client of Project Server's REST API (`…/projectserver/_api/`), digest included."""
    async with projectserver_client(sandbox) as client:
        yield client

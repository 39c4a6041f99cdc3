"""Jobs against the sandbox: settings with short leases and quick retries, and the reference
data (salespeople, currencies) already synchronized so that customers can be."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from gateway.app import create_app
from gateway.asgi_server import running_server
from gateway.auth.keys import ApiKeyStore
from gateway.auth.roles import Role
from gateway.scheduling.entries import EntryChange, list_entries, update_entry
from gateway.services import Services, open_services
from gateway.settings import Settings
from gateway.store.sync_runs import RunStatus
from gateway.sync.full import run_full_synchronization, start_full_synchronization
from tests.conftest import TEST_API_KEY
from tests.jobs.support import running_worker
from tests.support import poll_readiness
from tests.support_sandbox import SandboxHandle
from tests.sync.support import PARTIES_ONLY


@pytest.fixture
def job_settings(connected_settings: Settings) -> Settings:
    return connected_settings.model_copy(
        update={
            "sync_page_size": 25,
            "sync_lease_seconds": 3.0,
            "connector_max_attempts": 1,  # an outage reaches the job at once
            "job_retry_base_seconds": 0.1,
            "job_retry_max_seconds": 0.5,
            "api_rate_limit": 0,
            # Full runs here apply their pages themselves: the jobs counted are the runs'.
            "sync_parallel_pages": 1,
        }
    )


@pytest.fixture
async def job_services(job_settings: Settings) -> AsyncIterator[Services]:
    async with open_services(job_settings, wait_for_store=True) as services:
        yield services


@pytest.fixture
async def seeded(job_services: Services, sandbox: SandboxHandle) -> Services:
    """A few customers and accounts; salespeople and currencies synchronized."""
    await sandbox.seed(accounts=12, **PARTIES_ONLY)
    run = await start_full_synchronization(job_services, ["SALESPEOPLE", "CURRENCY"], actor="t")
    assert run.id is not None
    done = await run_full_synchronization(job_services, run.id)
    assert done.status is RunStatus.SUCCEEDED, done.message
    return job_services


async def create_counterparts(services: Services, mapping: str = "CUSTOMER") -> None:
    """Let scheduled runs of `mapping` create and couple the other side's records."""
    await services.db["table_mappings"].update_one(
        {"name": mapping}, {"$set": {"sync_only_coupled": False}}
    )


async def only(services: Services, *names: str) -> None:
    """Pause every entry but `names`, so that a tick starts only those."""
    for entry in await list_entries(services):
        if entry.mapping not in names:
            await update_entry(services, entry.mapping, EntryChange(on_hold=True), actor="t")


@pytest.fixture
async def jobs_api(job_settings: Settings, seeded: Services) -> AsyncIterator[httpx.AsyncClient]:
    """An admin client of the API, with a worker (no scheduler) carrying out what it queues."""
    async with (
        running_server(create_app(job_settings)) as url,
        running_worker(job_settings),
    ):
        await poll_readiness(url)
        async with httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {TEST_API_KEY}"}, timeout=120
        ) as client:
            yield client


@pytest.fixture
def key_of(job_services: Services) -> Callable[[Role], Awaitable[str]]:
    async def make(role: Role) -> str:
        _, key = await ApiKeyStore(job_services.db).create(f"{role.value}-key", role)
        return key

    return make

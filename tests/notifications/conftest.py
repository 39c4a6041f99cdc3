"""Fixtures of the change notification tests: settings with notifications on for both
systems at a port chosen in advance, and demo customers coupled with their accounts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from gateway.processes import free_port
from gateway.services import Services, open_services
from gateway.settings import Settings
from gateway.store.sync_runs import RunStatus
from gateway.sync.full import run_full_synchronization, start_full_synchronization
from tests.notifications.support import People
from tests.support_sandbox import SandboxHandle
from tests.sync.support import PARTIES_ONLY

PAIRS = 6


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def notified_settings(connected_settings: Settings, port: int) -> Settings:
    return connected_settings.model_copy(
        update={
            "erp_notifications": True,
            "crm_notifications": True,
            "notifications_public_url": f"http://127.0.0.1:{port}/",
            "notification_window_seconds": 0.2,
            "sync_lease_seconds": 5.0,
            "connector_max_attempts": 2,
            "job_retry_base_seconds": 0.2,
            "job_retry_max_seconds": 1.0,
            "api_rate_limit": 0,
        }
    )


@pytest.fixture
async def notified_services(notified_settings: Settings) -> AsyncIterator[Services]:
    async with open_services(notified_settings, wait_for_store=True) as services:
        yield services


@pytest.fixture
async def coupled(notified_services: Services, sandbox: SandboxHandle) -> list[tuple[str, str]]:
    """Demo customers and accounts coupled by a full synchronization: (erp, crm) ids."""
    await sandbox.seed(accounts=PAIRS, customers=PAIRS, matched=PAIRS, seed=5, **PARTIES_ONLY)
    run = await start_full_synchronization(
        notified_services, ["SALESPEOPLE", "CURRENCY", "CUSTOMER"], actor="test"
    )
    assert run.id is not None
    done = await run_full_synchronization(notified_services, run.id)
    assert done.status is RunStatus.SUCCEEDED, done.message
    page, _ = await notified_services.couplings.page(mapping="CUSTOMER", size=100)
    assert len(page) == PAIRS
    await sandbox.set_notifications(delay_ms=300, retry_base_ms=200, max_attempts=3)
    return [(coupling.erp.id, coupling.crm.id) for coupling in page]


@pytest.fixture
async def people(sandbox: SandboxHandle, coupled: list[tuple[str, str]]) -> People:
    users = await People(sandbox, "").crm("GET", "systemusers?$select=systemuserid,fullname")
    me = await People(sandbox, "").crm("GET", "WhoAmI")
    person = next(u["systemuserid"] for u in users["value"] if u["systemuserid"] != me["UserId"])
    return People(sandbox, person)


@dataclass
class Notified:
    """The world of a test: the gateway's settings and services, the port it serves on, the
    coupled (ERP, CRM) pairs, and the people who edit records."""

    settings: Settings
    services: Services
    port: int
    pairs: list[tuple[str, str]]
    people: People

    @property
    def sandbox(self) -> SandboxHandle:
        return self.people.sandbox


@pytest.fixture
def notified(
    notified_settings: Settings,
    notified_services: Services,
    port: int,
    coupled: list[tuple[str, str]],
    people: People,
) -> Notified:
    return Notified(notified_settings, notified_services, port, coupled, people)

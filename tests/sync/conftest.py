"""A world of two in-memory systems behind real services (MongoDB for couplings, runs,
errors, tokens and leases), for fine-grained engine tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from adapters.base import Side
from adapters.memory import MemoryConnector
from gateway.mappings.model import (
    ConflictPolicy,
    DeletionPolicy,
    FieldMapping,
    MappingDirection,
    TableMapping,
)
from gateway.services import Services, open_services
from gateway.settings import Settings
from gateway.store.couplings import Coupling
from gateway.store.sync_errors import SyncError
from gateway.store.sync_runs import SyncRun
from gateway.sync.incremental import run_incremental
from tests.support_sandbox import SandboxHandle

BOTH = MappingDirection.BIDIRECTIONAL
TO_CRM = MappingDirection.TO_CRM


def row(
    erp: str | None, crm: str | None, direction: MappingDirection = BOTH, **extra: Any
) -> FieldMapping:
    return FieldMapping.model_validate(
        {"erp_field": erp, "crm_field": crm, "direction": direction, **extra}
    )


def party(**changes: Any) -> TableMapping:
    """Customers ↔ accounts, without references, creating both ways."""
    base = TableMapping(
        name="PARTY",
        erp_entity="customer",
        crm_entity="account",
        direction=BOTH,
        sync_only_coupled=False,
        conflict_policy=ConflictPolicy.ERP_WINS,
        deletion_policy=DeletionPolicy.UNCOUPLE,
        erp_key_field="number",
        crm_key_field="accountnumber",
        fields=(
            row("displayName", "name"),
            row("number", "accountnumber", TO_CRM),
            row("email", "emailaddress1"),
            row("phoneNumber", "telephone1"),
        ),
    )
    return base.model_copy(update=changes)


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@dataclass
class World:
    services: Services
    erp: MemoryConnector
    crm: MemoryConnector
    clock: Clock

    async def store(self, *mappings: TableMapping) -> None:
        for mapping in mappings:
            await self.services.db["table_mappings"].replace_one(
                {"name": mapping.name}, mapping.to_doc(), upsert=True
            )

    async def run(self, name: str = "PARTY") -> SyncRun:
        return await run_incremental(self.services, name, actor="test")

    async def couplings(self, name: str = "PARTY") -> list[Coupling]:
        page, _ = await self.services.couplings.page(mapping=name, size=1000)
        return page

    async def errors(self, name: str = "PARTY") -> list[SyncError]:
        page, _ = await self.services.sync_errors.page(mapping=name, size=1000)
        return page

    def reset_calls(self) -> None:
        self.erp.calls.clear()
        self.crm.calls.clear()

    def writes(self) -> int:
        return sum(
            connector.calls[name]
            for connector in (self.erp, self.crm)
            for name in ("create", "update", "delete", "write_many")
        )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def world(services: Services, clock: Clock) -> Iterator[World]:
    erp = MemoryConnector("business_central", Side.ERP, clock=clock)
    crm = MemoryConnector("dataverse", Side.CRM, clock=clock)
    # The entities exist (empty) so that mappings validate against the catalogues.
    erp.seed("customer", [])
    crm.seed("account", [])
    services.erp, services.crm = erp, crm
    try:
        yield World(services, erp, crm, clock)
    finally:
        services.erp = services.crm = None


# Business Central and Project Server in the sandbox (tests/sync/test_project_server_*.py).
@pytest.fixture
def planned_settings(connected_settings: Settings, sandbox: SandboxHandle) -> Settings:
    """Business Central as the ERP and the sandbox's Project Server."""
    return connected_settings.model_copy(
        update={
            "projectserver_url": sandbox.projectserver_url,
            "projectserver_token_url": sandbox.token_url,
            "projectserver_client_id": sandbox.client_id,
            "projectserver_client_secret": SecretStr(sandbox.client_secret),
            # A failed record is due again at the next run.
            "sync_retry_base_seconds": 0.001,
        }
    )


@pytest.fixture
async def planned(planned_settings: Settings) -> AsyncIterator[Services]:
    async with open_services(planned_settings, wait_for_store=True) as services:
        yield services

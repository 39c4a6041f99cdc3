"""Synchronizing pairs in a chosen direction (the engine's push) and creating one
counterpart: only what differs is written, the baseline is remembered, and creation and
coupling succeed or fail together."""

from __future__ import annotations

import pytest

from adapters.base import Side
from adapters.memory import MemoryConnector
from gateway.mappings.defaults import business_central_defaults
from gateway.mappings.model import Direction, TableMapping
from gateway.services import Services
from gateway.store.couplings import (
    AlreadyCoupledError,
    CoupledRecord,
    Coupling,
    CouplingRepository,
)
from gateway.store.integration_log import IntegrationLog
from gateway.sync.context import SyncContext
from gateway.sync.engine import Applied, SyncEngine
from gateway.sync.pairs import CounterpartError, create_counterpart

MAPPINGS = {mapping.name: mapping for mapping in business_central_defaults()}
CUSTOMER: TableMapping = MAPPINGS["CUSTOMER"]


@pytest.fixture
def erp() -> MemoryConnector:
    return MemoryConnector("business_central", Side.ERP)


@pytest.fixture
def crm() -> MemoryConnector:
    return MemoryConnector("dataverse", Side.CRM)


@pytest.fixture
async def ctx(services: Services, erp: MemoryConnector, crm: MemoryConnector) -> SyncContext:
    couplings = CouplingRepository(services.db)
    await couplings.couple(
        "SALESPEOPLE",
        CoupledRecord("business_central", "salesperson", "sp-1", key="JR"),
        CoupledRecord("dataverse", "user", "user-1"),
    )
    await couplings.couple(
        "CURRENCY",
        CoupledRecord("business_central", "currency", "cur-1", key="EUR"),
        CoupledRecord("dataverse", "currency", "tc-1"),
    )
    return SyncContext(erp, crm, couplings, IntegrationLog(services.db), actor="test")


async def push(
    services: Services, ctx: SyncContext, coupling: Coupling, direction: Direction
) -> tuple[Applied, Coupling]:
    engine = SyncEngine(
        ctx, services.sync_errors, CUSTOMER, create=False, skip_after=3, run_id=None
    )
    applied = await engine.push(direction, [coupling])
    after = await ctx.couplings.get(coupling.id)
    assert after is not None
    return applied, after


CUSTOMER_VALUES = {
    "number": "C00010",
    "displayName": "Contoso Ltd",
    "email": "info@contoso.example",
    "phoneNumber": "+44 20 1234",
    "website": "contoso.example",
    "addressLine1": "1 Main St",
    "city": "London",
    "postalCode": "N1",
    "country": "GB",
    "salespersonCode": "JR",
    "currencyCode": "EUR",
}


async def test_create_account_from_customer_couples_them(
    ctx: SyncContext, erp: MemoryConnector, crm: MemoryConnector
) -> None:
    [customer] = erp.seed("customer", [CUSTOMER_VALUES])
    result, account = await create_counterpart(ctx, CUSTOMER, customer, Direction.TO_CRM)

    assert account.values["name"] == "Contoso Ltd"
    assert account.values["accountnumber"] == "C00010"
    assert account.values["_ownerid_value"] == "user-1"
    assert account.values["_transactioncurrencyid_value"] == "tc-1"
    assert (result.coupling.erp.id, result.coupling.crm.id) == (customer.id, account.id)
    assert result.coupling.erp.key == "C00010"
    assert result.coupling.synced_values["displayName|name"] == {
        "erp": "Contoso Ltd",
        "crm": "Contoso Ltd",
    }
    entries, _ = await ctx.log.page(None, 10)
    assert [(e.operation, e.target.id if e.target else None) for e in entries] == [
        ("create", account.id)
    ]


async def test_a_counterpart_that_cannot_be_coupled_is_removed(
    ctx: SyncContext, erp: MemoryConnector, crm: MemoryConnector
) -> None:
    [customer] = erp.seed("customer", [CUSTOMER_VALUES])
    await create_counterpart(ctx, CUSTOMER, customer, Direction.TO_CRM)
    with pytest.raises(AlreadyCoupledError):
        await create_counterpart(ctx, CUSTOMER, customer, Direction.TO_CRM, replace_existing=False)
    accounts = await crm.query("account")
    assert len(accounts.records) == 1


async def test_an_uncoupled_salesperson_stops_creation_naming_it(
    ctx: SyncContext, erp: MemoryConnector, crm: MemoryConnector
) -> None:
    [customer] = erp.seed("customer", [CUSTOMER_VALUES | {"salespersonCode": "ZZ"}])
    with pytest.raises(CounterpartError, match="couple SALESPEOPLE first") as caught:
        await create_counterpart(ctx, CUSTOMER, customer, Direction.TO_CRM)
    assert caught.value.problems[0].dependency == "SALESPEOPLE"
    assert (await crm.query("account")).records == []


async def test_synchronize_writes_only_what_differs_then_nothing(
    services: Services, ctx: SyncContext, erp: MemoryConnector, crm: MemoryConnector
) -> None:
    [customer] = erp.seed("customer", [CUSTOMER_VALUES])
    result, account = await create_counterpart(ctx, CUSTOMER, customer, Direction.TO_CRM)
    await crm.update("account", account.id, {"telephone1": "+44 20 9999"}, etag=account.etag)
    crm.calls.clear()

    pulled, coupling = await push(services, ctx, result.coupling, Direction.FROM_CRM)

    assert pulled.counters.modified == 1
    assert pulled.changes == {customer.id: {"phoneNumber": "+44 20 9999"}}
    assert (await erp.get_many("customer", [customer.id]))[customer.id].values[
        "phoneNumber"
    ] == "+44 20 9999"
    assert coupling.last_direction == "FROM_CRM"
    assert coupling.synced_values["phoneNumber|telephone1"] == {
        "erp": "+44 20 9999",
        "crm": "+44 20 9999",
    }

    again, _ = await push(services, ctx, coupling, Direction.FROM_CRM)
    assert again.counters.unchanged == 1
    assert again.changes == {customer.id: {}}
    assert crm.calls["update"] == 0
    assert erp.calls["write_many"] == 1


async def test_a_push_of_many_pairs_reads_and_writes_each_system_once(
    services: Services, ctx: SyncContext, erp: MemoryConnector, crm: MemoryConnector
) -> None:
    customers = erp.seed("customer", [CUSTOMER_VALUES | {"number": f"C{i:05d}"} for i in range(20)])
    couplings = [
        (await create_counterpart(ctx, CUSTOMER, c, Direction.TO_CRM))[0].coupling
        for c in customers
    ]
    for customer in customers:
        await erp.update("customer", customer.id, {"city": "Leeds"})
    erp.calls.clear()
    crm.calls.clear()

    engine = SyncEngine(
        ctx, services.sync_errors, CUSTOMER, create=False, skip_after=3, run_id=None
    )
    applied = await engine.push(Direction.TO_CRM, couplings)

    assert applied.counters.modified == 20
    assert all(changes == {"address1_city": "Leeds"} for changes in applied.changes.values())
    assert (erp.calls["get_many"], crm.calls["get_many"]) == (1, 1)
    assert crm.calls["write_many"] == 1
    assert crm.calls["update"] == 0


async def test_synchronize_reports_a_missing_record(
    services: Services, ctx: SyncContext, erp: MemoryConnector, crm: MemoryConnector
) -> None:
    [customer] = erp.seed("customer", [CUSTOMER_VALUES])
    result, account = await create_counterpart(ctx, CUSTOMER, customer, Direction.TO_CRM)
    await crm.delete("account", account.id)
    applied, coupling = await push(services, ctx, result.coupling, Direction.TO_CRM)
    failure = applied.failure_of(customer.id)
    assert failure is not None
    assert failure.code == "NOT_FOUND"
    assert failure.message == f"the CRM account {account.id} no longer exists"
    assert coupling.error_count == 1
    [error] = await services.sync_errors.for_record("CUSTOMER", "erp", customer.id)
    assert error.message == failure.message

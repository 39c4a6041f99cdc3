"""Synchronizing one pair and creating one counterpart: only what differs is written, the
baseline is remembered, and creation and coupling succeed or fail together."""

from __future__ import annotations

import pytest

from adapters.base import Side
from adapters.memory import MemoryConnector
from gateway.mappings.defaults import business_central_defaults
from gateway.mappings.model import Direction, TableMapping
from gateway.services import Services
from gateway.store.couplings import AlreadyCoupledError, CoupledRecord, CouplingRepository
from gateway.store.integration_log import IntegrationLog
from gateway.sync.context import SyncContext
from gateway.sync.pairs import (
    CounterpartError,
    create_counterpart,
    synchronize_pair,
)

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
    ctx: SyncContext, erp: MemoryConnector, crm: MemoryConnector
) -> None:
    [customer] = erp.seed("customer", [CUSTOMER_VALUES])
    result, account = await create_counterpart(ctx, CUSTOMER, customer, Direction.TO_CRM)
    await crm.update("account", account.id, {"telephone1": "+44 20 9999"}, etag=account.etag)
    crm.calls.clear()

    pulled = await synchronize_pair(ctx, CUSTOMER, result.coupling, Direction.FROM_CRM)

    assert pulled.status == "modified"
    assert pulled.changes == {"phoneNumber": "+44 20 9999"}
    assert (await erp.get_many("customer", [customer.id]))[customer.id].values[
        "phoneNumber"
    ] == "+44 20 9999"
    assert pulled.coupling.last_direction == "FROM_CRM"
    assert pulled.coupling.synced_values["phoneNumber|telephone1"] == {
        "erp": "+44 20 9999",
        "crm": "+44 20 9999",
    }

    again = await synchronize_pair(ctx, CUSTOMER, pulled.coupling, Direction.FROM_CRM)
    assert again.status == "unchanged"
    assert again.changes == {}
    assert crm.calls["update"] == 0


async def test_synchronize_reports_a_missing_record(
    ctx: SyncContext, erp: MemoryConnector, crm: MemoryConnector
) -> None:
    [customer] = erp.seed("customer", [CUSTOMER_VALUES])
    result, account = await create_counterpart(ctx, CUSTOMER, customer, Direction.TO_CRM)
    await crm.delete("account", account.id)
    outcome = await synchronize_pair(ctx, CUSTOMER, result.coupling, Direction.TO_CRM)
    assert outcome.status == "failed"
    assert outcome.message == f"CRM record {account.id} not found"

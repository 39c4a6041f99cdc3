"""The default mappings on the sandbox's own demo data, as a new user meets them: a full
synchronization fails no record and a second one writes nothing; documents in the CRM's base
currency go to the ERP in its local currency (which has no currency record); the item that
write-in products are sold as is never offered to the CRM as a product."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from adapters.filters import eq
from gateway.mappings.model import Direction
from gateway.mappings.translate import resolve_lookups, translate
from gateway.services import Services, open_services
from gateway.settings import Settings
from gateway.store.sync_runs import RunStatus, SyncRun
from gateway.sync.currency import LOCAL_CURRENCY_ID
from gateway.sync.full import run_full_synchronization, start_full_synchronization
from tests.api.support import data, table
from tests.support_sandbox import SandboxHandle

DEMO = {"seed": 42, "accounts": 30}  # what `gateway dev` seeds on a first start
USD = "8a1b7c55-0c6e-4d8e-9d4f-2b5c3a1e0101"  # the sandbox CRM's base currency


async def full(services: Services, names: list[str] | None = None) -> SyncRun:
    run = await start_full_synchronization(services, names, actor="test")
    assert run.id is not None
    return await run_full_synchronization(services, run.id)


def writes(stats: dict[str, object]) -> int:
    """Requests that changed something in either system, from the sandbox's statistics."""
    total = 0
    for api in ("dataverse", "bc"):
        sets = stats["apis"][api]["entity_sets"]  # type: ignore[index]
        for methods in sets.values():
            total += sum(n for m, n in methods.items() if m in ("POST", "PATCH", "DELETE"))
    return total


async def test_a_full_synchronization_of_the_demo_data_fails_nothing(
    sandbox: SandboxHandle, connected_services: Services
) -> None:
    services = connected_services
    await sandbox.seed(**DEMO)

    first = await full(services)

    assert first.status is RunStatus.SUCCEEDED, first.message
    assert first.counters.failed == 0
    errors, _ = await services.sync_errors.page(size=100)
    assert [(e.mapping, e.message) for e in errors] == []
    assert first.counters.inserted > 0
    assert first.counters.coupled >= first.counters.inserted  # created pairs are coupled
    assert set(first.by_mapping) <= set(first.mappings)
    assert {"CUSTOMER", "CURRENCY", "ITEM-PRODUCT"} <= set(first.by_mapping)
    assert sum(c.inserted for c in first.by_mapping.values()) == first.counters.inserted

    await sandbox.reset_stats()
    second = await full(services)

    assert second.status is RunStatus.SUCCEEDED, second.message
    assert (second.counters.inserted, second.counters.modified) == (0, 0)
    assert second.counters.failed == 0
    assert writes(await sandbox.stats()) == 0


async def test_the_local_currency_is_coupled_to_the_base_currency(
    sandbox: SandboxHandle, connected_services: Services
) -> None:
    services = connected_services
    await sandbox.seed(**DEMO)
    run = await full(services, ["CURRENCY"])
    assert run.status is RunStatus.SUCCEEDED, run.message

    [lcy] = (await services.couplings.by_ids("CURRENCY", "erp", [LOCAL_CURRENCY_ID])).values()
    assert (lcy.crm.id, lcy.erp.key, lcy.crm.key) == (USD, "", "USD")

    # A CRM quote in the base currency goes to the ERP with a blank code (LCY)...
    assert services.crm is not None
    [quote, *_] = await table(services.crm, "quote", eq("_transactioncurrencyid_value", USD))
    quotes = await services.mappings.get("SALESQUOTE")
    assert quotes is not None
    lookups = await resolve_lookups(quotes, Direction.FROM_CRM, [quote.values], services.couplings)
    to_erp = translate(quotes, Direction.FROM_CRM, quote.values, lookups)
    assert to_erp.values["currencyCode"] == ""
    assert not any("CURRENCY" in problem.message for problem in to_erp.problems)
    # ...and an ERP customer in LCY comes to the CRM in the base currency.
    customers = await services.mappings.get("CUSTOMER")
    assert customers is not None
    local = {"displayName": "Local Ltd", "number": "C9", "currencyCode": ""}
    lookups = await resolve_lookups(customers, Direction.TO_CRM, [local], services.couplings)
    to_crm = translate(customers, Direction.TO_CRM, local, lookups)
    assert to_crm.values["_transactioncurrencyid_value"] == USD


async def test_the_currency_mapping_says_it_couples_the_local_currency(
    connected_http: httpx.AsyncClient,
) -> None:
    query = '{ tableMapping(name: "currency") { name coupleLocalCurrency } }'
    result = await data(connected_http, query)
    assert result["tableMapping"] == {"name": "CURRENCY", "coupleLocalCurrency": True}


@pytest.fixture
async def write_in_services(
    connected_settings: Settings, sandbox: SandboxHandle
) -> AsyncIterator[Services]:
    await sandbox.seed(**DEMO)
    async with open_services(connected_settings, wait_for_store=True) as services:
        assert services.erp is not None
        [item, *_] = await table(services.erp, "item")
        number = str(item.values["number"])
    settings = connected_settings.model_copy(update={"write_in_product_number": number})
    async with open_services(settings, wait_for_store=True) as services:
        yield services


async def test_the_write_in_item_is_never_coupled_to_a_product(
    write_in_services: Services,
) -> None:
    services = write_in_services
    number = services.settings.write_in_product_number
    run = await full(services, ["UNIT OF MEASURE", "ITEM-PRODUCT"])
    assert run.status is RunStatus.SUCCEEDED, run.message
    couplings, _ = await services.couplings.page(mapping="ITEM-PRODUCT", size=1000)
    assert couplings  # the other items are offered
    assert number not in {c.erp.key for c in couplings}

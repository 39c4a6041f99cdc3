"""Automatic processing by the background jobs, run by a burst worker: activated quotes go to
the ERP when AUTO_PROCESS_QUOTES is on, submitted orders when AUTO_CREATE_SALES_ORDERS is on,
and nothing moves when they are off."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from gateway.services import Services, open_services
from gateway.settings import Settings
from gateway.workflows.instances import WorkflowStatus, WorkflowStore
from tests.workflows.support import Systems, World, build_world, run_burst_worker


@pytest.fixture
def automatic(lifecycle_settings: Settings) -> Settings:
    return lifecycle_settings.model_copy(
        update={"auto_process_quotes": True, "auto_create_sales_orders": True}
    )


@pytest.fixture
async def automatic_world(automatic: Settings) -> AsyncIterator[World]:
    async with open_services(automatic, wait_for_store=True) as services:
        yield await build_world(services)


async def test_activated_quotes_and_submitted_orders_are_processed_by_the_worker(
    automatic: Settings, automatic_world: World, check: Systems
) -> None:
    world = automatic_world
    quote = await world.quote("Activated in the CRM", lines=2)
    await world.crm.transition("quote", quote.id, "activate")  # by a person, in the CRM
    draft = await world.quote("Still a draft", lines=1)
    order = await world.submit_order(await world.order("Submitted in the CRM", lines=1))

    worker = await run_burst_worker(automatic, "lifecycle_tick")
    assert worker.jobs_complete == 1

    couplings = world.services.couplings
    quote_coupling = (await couplings.by_ids("SALESQUOTE", "crm", [quote.id]))[quote.id]
    erp_quote = await check.erp(
        f"salesQuotes({quote_coupling.erp.id})", **{"$expand": "salesQuoteLines"}
    )
    assert erp_quote["externalDocumentNumber"] == "Activated in the CRM"
    assert len(erp_quote["salesQuoteLines"]) == 2
    assert (await check.crm(f"quotes({quote.id})"))["statecode"] == 1
    assert await couplings.by_ids("SALESQUOTE", "crm", [draft.id]) == {}
    order_coupling = (await couplings.by_ids("SALESORDER-ORDER", "crm", [order.id]))[order.id]
    erp_order = await check.erp(f"salesOrders({order_coupling.erp.id})")
    assert erp_order["externalDocumentNumber"] == "Submitted in the CRM"

    again = await run_burst_worker(automatic, "lifecycle_tick")
    assert again.jobs_complete == 1
    found = await check.erp(
        "salesQuotes", **{"$filter": "externalDocumentNumber eq 'Activated in the CRM'"}
    )
    assert len(found["value"]) == 1
    instances, _ = await WorkflowStore(world.services.db).page(after=None, size=10)
    assert sorted((i.operation, i.status) for i in instances) == [
        ("createSalesOrderInErp", WorkflowStatus.SUCCEEDED),
        ("processQuote", WorkflowStatus.SUCCEEDED),
    ]


async def test_with_the_settings_off_the_worker_leaves_documents_alone(
    lifecycle_settings: Settings, world: World, lifecycle_services: Services
) -> None:
    quote = await world.quote("Activated, not processed", lines=1)
    await world.crm.transition("quote", quote.id, "activate")
    order = await world.submit_order(await world.order("Submitted, not created", lines=1))
    await run_burst_worker(lifecycle_settings, "lifecycle_tick")
    couplings = lifecycle_services.couplings
    assert await couplings.by_ids("SALESQUOTE", "crm", [quote.id]) == {}
    assert await couplings.by_ids("SALESORDER-ORDER", "crm", [order.id]) == {}

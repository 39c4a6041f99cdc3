"""With automatic quote processing on, `activateQuote` hands the quote to the background jobs:
a burst worker then creates it in the ERP."""

from __future__ import annotations

import httpx
import pytest

from gateway.services import Services
from gateway.settings import Settings
from tests.api.lifecycle_support import ok
from tests.jobs.support import drain
from tests.workflows.support import WRITE_IN_NUMBER, World, build_world


@pytest.fixture
def api_settings(connected_settings: Settings) -> Settings:
    return connected_settings.model_copy(
        update={
            "write_in_product_number": WRITE_IN_NUMBER,
            "auto_process_quotes": True,
            "connector_max_attempts": 1,
            "api_rate_limit": 0,
        }
    )


@pytest.fixture
async def world(store: Services) -> World:
    return await build_world(store)


async def test_an_activated_quote_is_processed_by_the_worker(
    api: httpx.AsyncClient, world: World, store: Services, api_settings: Settings
) -> None:
    quote = await world.quote("Processed automatically", lines=1)
    activated = await ok(api, "activateQuote", crmQuoteId=quote.id)
    assert activated["erpQuote"] is None  # not yet: the worker does it
    assert await store.couplings.by_ids("SALESQUOTE", "crm", [quote.id]) == {}

    worker = await drain(api_settings)
    assert worker.jobs_complete == 1  # the process_quote job the mutation enqueued

    coupling = (await store.couplings.by_ids("SALESQUOTE", "crm", [quote.id]))[quote.id]
    assert world.services.erp is not None
    erp = (await world.services.erp.get_many("quote", [coupling.erp.id]))[coupling.erp.id]
    assert erp.values["externalDocumentNumber"] == "Processed automatically"

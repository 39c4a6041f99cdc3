"""Sales orders, invoices and payments over GraphQL against the sandbox, as the seeds describe
them: a submitted CRM order becomes an ERP order (name → external document number, write-in
products, comment lines for long descriptions); the ERP's delivery date flows back; shipping
and invoicing make the CRM order Invoiced and the posted invoice a Billed CRM invoice; payments
make it Paid, Partial then Complete, when account statistics are updated."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway.services import Services
from gateway.settings import Settings
from gateway.sync.incremental import run_incremental
from gateway.workflows.background import invoice_posted_orders
from tests.api.lifecycle_support import mutate, ok
from tests.api.support import data
from tests.support_sandbox import SandboxHandle
from tests.workflows.support import (
    LONG_TEXT,
    WRITE_IN_NUMBER,
    Systems,
    World,
    build_world,
    systems,
    writes,
)

STATISTICS = """mutation ($input: UpdateAccountStatisticsInput!) {
    updateAccountStatistics(input: $input) { syncRun { status modified } userErrors { code } }
}"""


@pytest.fixture
def api_settings(connected_settings: Settings) -> Settings:
    return connected_settings.model_copy(
        update={
            "write_in_product_number": WRITE_IN_NUMBER,
            "connector_max_attempts": 1,
            "api_rate_limit": 0,
        }
    )


@pytest.fixture
async def world(store: Services) -> World:
    return await build_world(store)


@pytest.fixture
async def check(sandbox: SandboxHandle) -> AsyncIterator[Systems]:
    async for found in systems(sandbox):
        yield found


async def erp_order(check: Systems, erp_id: str) -> dict[str, Any]:
    return await check.erp(f"salesOrders({erp_id})", **{"$expand": "salesOrderLines"})


async def test_a_submitted_order_becomes_an_erp_order_with_write_ins_and_comment_lines(
    api: httpx.AsyncClient, world: World, check: Systems, sandbox: SandboxHandle
) -> None:
    name = "Order from the CRM with a rather long name"
    order = await world.submit_order(await world.order(name, lines=1, write_in=True))

    created = await ok(api, "createSalesOrderInErp", crmOrderId=order.id)
    assert (created["crmOrder"]["state"], created["erpOrder"]["state"]) == ("Submitted", "Draft")
    erp = await erp_order(check, created["erpOrder"]["id"])
    assert erp["externalDocumentNumber"] == name[:35]
    assert erp["customerId"] == world.customer.id
    lines = erp["salesOrderLines"]
    assert [line["lineType"] for line in lines] == ["Item", "Item", "Comment", "Comment"]
    assert (lines[0]["itemId"], lines[0]["quantity"]) == (world.item.id, 2.0)
    assert (lines[1]["lineObjectNumber"], lines[1]["unitPrice"]) == (WRITE_IN_NUMBER, 250.0)
    assert lines[1]["description"] == LONG_TEXT.strip()[:100]
    assert "".join(line["description"] for line in lines[2:]) == LONG_TEXT.strip()

    await sandbox.reset_stats()
    assert await ok(api, "createSalesOrderInErp", crmOrderId=order.id) == created
    assert writes(await sandbox.stats()) == 0
    found = await check.erp(
        "salesOrders", **{"$filter": f"externalDocumentNumber eq '{name[:35]}'"}
    )
    assert len(found["value"]) == 1


async def test_an_order_that_is_not_submitted_is_refused_naming_its_state(
    api: httpx.AsyncClient, world: World, sandbox: SandboxHandle
) -> None:
    order = await world.order("Draft order", lines=1)
    await sandbox.reset_stats()
    answer = await mutate(api, "createSalesOrderInErp", crmOrderId=order.id)
    [error] = answer["userErrors"]
    assert error["code"] == "INVALID_TRANSITION"
    assert "the CRM order is Active and there is no ERP order" in error["message"]
    assert writes(await sandbox.stats()) == 0


async def test_the_erp_delivery_date_flows_back_to_the_crm_order(
    api: httpx.AsyncClient, world: World, check: Systems, store: Services
) -> None:
    order = await world.submit_order(await world.order("Dated order", lines=1))
    erp_id = (await ok(api, "createSalesOrderInErp", crmOrderId=order.id))["erpOrder"]["id"]
    erp = await erp_order(check, erp_id)
    changed = await check.bc.patch(
        f"salesOrders({erp_id})",
        json={"requestedDeliveryDate": "2031-02-14"},
        headers={"If-Match": erp["@odata.etag"]},
    )
    assert changed.status_code == 200, changed.text
    run = await run_incremental(store, "SALESORDER-ORDER")
    assert run.counters.modified >= 1, run.message
    crm = await check.crm(f"salesorders({order.id})")
    assert crm["requestdeliveryby"].startswith("2031-02-14")
    assert crm["statecode"] == 1  # still submitted


async def test_shipping_and_invoicing_bill_the_crm_and_payments_mark_it_paid(
    api: httpx.AsyncClient, world: World, check: Systems, store: Services
) -> None:
    order = await world.submit_order(await world.order("Order to invoice", lines=1))
    erp_id = (await ok(api, "createSalesOrderInErp", crmOrderId=order.id))["erpOrder"]["id"]
    shipped = await check.bc.post(f"salesOrders({erp_id})/Microsoft.NAV.shipAndInvoice")
    assert shipped.status_code == 204, shipped.text
    [invoice] = (await check.erp("salesInvoices", **{"$filter": f"orderId eq {erp_id}"}))["value"]

    assert await invoice_posted_orders(store) == 1  # what the background tick does
    assert await invoice_posted_orders(store) == 0  # once

    coupling = (await store.couplings.by_ids("POSTEDSALESINV-INV", "erp", [invoice["id"]]))[
        invoice["id"]
    ]
    crm_invoice = await check.crm(f"invoices({coupling.crm.id})")
    assert (crm_invoice["statecode"], crm_invoice["statuscode"]) == (0, 4)  # Billed
    assert crm_invoice["invoicenumber"] == invoice["number"]
    assert crm_invoice["_salesorderid_value"] == order.id
    assert crm_invoice["_customerid_value"] == world.account.id
    crm_order = await check.crm(f"salesorders({order.id})")
    assert (crm_order["statecode"], crm_order["statuscode"]) == (4, 100003)  # Invoiced

    total = invoice["totalAmountIncludingTax"]
    await pay(check, world, invoice, total / 4)
    statistics = await data(api, STATISTICS, input={"erpId": world.customer.id})
    assert statistics["updateAccountStatistics"]["userErrors"] == []
    crm_invoice = await check.crm(f"invoices({coupling.crm.id})")
    assert (crm_invoice["statecode"], crm_invoice["statuscode"]) == (2, 100002)  # Partial
    balance = (await check.crm(f"accounts({world.account.id})"))["gw_balance"]
    assert balance == pytest.approx(total * 3 / 4)

    await pay(check, world, invoice, total * 3 / 4)
    await data(api, STATISTICS, input={})
    crm_invoice = await check.crm(f"invoices({coupling.crm.id})")
    assert (crm_invoice["statecode"], crm_invoice["statuscode"]) == (2, 100001)  # Complete


async def pay(check: Systems, world: World, invoice: dict[str, Any], amount: float) -> None:
    paid = await check.bc.post(
        "customerPayments",
        json={
            "customerId": world.customer.id,
            "amount": amount,
            "appliesToInvoiceId": invoice["id"],
        },
    )
    assert paid.status_code == 201, paid.text


async def test_an_invoice_of_an_erp_order_goes_to_the_crm_on_request(
    api: httpx.AsyncClient, world: World, check: Systems, store: Services
) -> None:
    draft = await check.bc.post("salesInvoices", json={"customerId": world.customer.id})
    assert draft.status_code == 201, draft.text
    invoice = draft.json()
    line = await check.bc.post(
        "salesInvoiceLines",
        json={"documentId": invoice["id"], "itemId": world.item.id, "quantity": 1},
    )
    assert line.status_code == 201, line.text
    refused = await mutate(api, "createInvoiceInCrm", erpInvoiceId=invoice["id"])
    assert refused["userErrors"][0]["code"] == "INVALID_TRANSITION"
    assert "the ERP invoice is Draft" in refused["userErrors"][0]["message"]
    posted = await check.bc.post(f"salesInvoices({invoice['id']})/Microsoft.NAV.post")
    assert posted.status_code == 204

    assert await invoice_posted_orders(store) == 0  # not from a CRM order: only on request
    billed = await ok(api, "createInvoiceInCrm", erpInvoiceId=invoice["id"])
    assert billed["crmInvoice"]["state"] == "Billed"
    assert billed["crmOrder"] is None
    crm_invoice = await check.crm(f"invoices({billed['crmInvoice']['id']})")
    assert crm_invoice["_customerid_value"] == world.account.id
    assert crm_invoice["name"] == billed["erpInvoice"]["number"]

"""The quote lifecycle over GraphQL with Tryton as the ERP and the sandbox as the CRM: a
submitted quote becomes a draft Tryton sale with its lines, approval issues it (quotation),
rejection cancels it, resubmission changes the same sale, winning confirms it; approval and
cancellation done in Tryton reach the CRM with Tryton's edits; a posted invoice reaches the
CRM with its lines; what Tryton cannot do is refused naming Tryton, and a refused transition
writes nothing. Results are read from trytond over JSON-RPC and from the sandbox's API."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from adapters.base import Entity, Record
from adapters.filters import eq
from gateway.services import Services
from gateway.settings import Settings
from gateway.store.couplings import CoupledRecord
from gateway.workflows.background import run_lifecycle_tick
from tests.adapters.tryton_server import (
    LiveTryton,
    TrytonServer,
    gateway_settings,
    tryton,
    tryton_server,
)
from tests.adapters.tryton_template import SECOND_PRODUCT_CODE, SERVICE_PRODUCT_CODE
from tests.api.lifecycle_support import mutate, ok
from tests.api.support import data
from tests.support_sandbox import SandboxHandle
from tests.workflows.support import Systems, systems

__all__ = ["tryton", "tryton_server"]

pytestmark = pytest.mark.tryton

SUBMITTED, APPROVED, REJECTED = 100000000, 100000001, 100000002


@pytest.fixture
def api_settings(connected_settings: Settings, tryton_server: TrytonServer) -> Settings:
    return gateway_settings(
        connected_settings,
        tryton_server,
        write_in_product_number=SECOND_PRODUCT_CODE,
        connector_max_attempts=1,
        api_rate_limit=0,
    )


@pytest.fixture
async def check(sandbox: SandboxHandle) -> AsyncIterator[Systems]:
    async for found in systems(sandbox):
        yield found


@dataclass
class World:
    services: Services
    tryton: LiveTryton
    party: Record
    account: Record
    product: Record
    crm_product: Record

    async def quote(self, name: str, *, lines: int = 2, write_in: bool = False) -> Record:
        crm = self.services.crm
        assert crm is not None
        quote = await crm.create("quote", {"name": name, "_customerid_value": self.account.id})
        for i in range(lines):
            await crm.create(
                "quote_line",
                {
                    "_quoteid_value": quote.id,
                    "_productid_value": self.crm_product.id,
                    "quantity": 2.0 + i,
                    "priceperunit": 120.0,
                },
            )
        if write_in:
            await crm.create(
                "quote_line",
                {
                    "_quoteid_value": quote.id,
                    "isproductoverridden": True,
                    "productdescription": "On-site workshop",
                    "quantity": 1.0,
                    "priceperunit": 500.0,
                },
            )
        return (await crm.get_many("quote", [quote.id]))[quote.id]

    async def sale(self, sale_id: str) -> dict[str, Any]:
        [sale] = await self.tryton.connector.rpc.model(
            "sale.sale",
            "read",
            [int(sale_id)],
            ["state", "reference", "description", "party", "untaxed_amount"],
        )
        lines = await self.tryton.connector.rpc.model(
            "sale.line",
            "search_read",
            [["sale", "=", int(sale_id)]],
            0,
            None,
            [["sequence", "ASC"], ["id", "ASC"]],
            ["product", "quantity", "unit_price", "description", "type"],
        )
        return {**sale, "lines": lines}

    async def stamp(self, sale_id: str) -> Any:
        """When the sale last changed (any write, button or line change moves it)."""
        [sale] = await self.tryton.connector.rpc.model(
            "sale.sale", "read", [int(sale_id)], ["write_date", "state"]
        )
        return (sale["write_date"], sale["state"])


@pytest.fixture
async def world(store: Services, tryton: LiveTryton) -> World:
    crm = store.crm
    assert crm is not None
    tag = uuid.uuid4().hex[:6]
    party = await tryton.connector.create(
        Entity.CUSTOMER, {"name": f"Tryton buyer {tag}", "city": "Turin"}
    )
    account = await crm.create(
        "account", {"name": f"Tryton buyer {tag}", "accountnumber": party.values["code"]}
    )
    await store.couplings.couple(
        "CUSTOMER",
        CoupledRecord("tryton", "customer", party.id, party.values["code"]),
        CoupledRecord(account.system, "account", account.id),
    )
    [product] = (
        await tryton.connector.query(Entity.ITEM, eq("code", SERVICE_PRODUCT_CODE))
    ).records
    crm_product = await crm.create(
        "product", {"name": f"Consulting {tag}", "productnumber": f"{SERVICE_PRODUCT_CODE}-{tag}"}
    )
    await store.couplings.couple(
        "ITEM-PRODUCT",
        CoupledRecord("tryton", "item", product.id, SERVICE_PRODUCT_CODE),
        CoupledRecord(crm_product.system, "product", crm_product.id),
    )
    return World(store, tryton, party, account, product, crm_product)


async def test_a_quote_from_submission_to_a_confirmed_tryton_sale(
    api: httpx.AsyncClient, world: World, check: Systems
) -> None:
    quote = await world.quote("Cloud migration", lines=2, write_in=True)

    submitted = await ok(api, "submitQuote", crmQuoteId=quote.id)
    assert submitted["crmQuote"]["state"] == "Submitted"
    assert submitted["erpQuote"]["state"] == "Open"  # a draft sale: Tryton decides on it
    sale_id = submitted["erpQuote"]["id"]
    assert submitted["erpQuote"]["entity"] == "quote"
    sale = await world.sale(sale_id)
    assert sale["state"] == "draft"
    assert (sale["reference"], sale["description"]) == (
        quote.values["quotenumber"],
        "Cloud migration",
    )
    assert sale["party"] == int(world.party.id)
    [write_in] = (
        await world.tryton.connector.query(Entity.ITEM, eq("code", SECOND_PRODUCT_CODE))
    ).records
    assert [(line["product"], line["quantity"], line["unit_price"]) for line in sale["lines"]] == [
        (int(world.product.id), 2.0, 120),
        (int(world.product.id), 3.0, 120),
        (int(write_in.id), 1.0, 500),
    ]
    assert sale["lines"][2]["description"] == "On-site workshop"
    crm = await check.crm(f"quotes({quote.id})")
    assert (crm["statecode"], crm["statuscode"]) == (0, SUBMITTED)
    coupling = await world.services.couplings.by_ids("SALESQUOTE", "crm", [quote.id])
    assert coupling[quote.id].erp.id == sale_id

    # Tryton approves a quote by issuing it (Quote), which numbers the sale.
    approved = await ok(api, "approveQuote", erpQuoteId=sale_id)
    assert (approved["crmQuote"]["state"], approved["erpQuote"]["state"]) == (
        "Approved in ERP",
        "Approved",
    )
    assert approved["erpQuote"]["number"]
    assert (await world.sale(sale_id))["state"] == "quotation"
    assert (await check.crm(f"quotes({quote.id})"))["statuscode"] == APPROVED

    await ok(api, "activateQuote", crmQuoteId=quote.id)
    won = await ok(api, "markQuoteWon", crmQuoteId=quote.id)
    assert (won["crmQuote"]["state"], won["erpQuote"]["state"]) == ("Won", "Accepted")
    assert won["erpQuote"]["entity"] == "sales_order"
    assert (await world.sale(sale_id))["state"] in ("confirmed", "processing")
    assert (await check.crm(f"quotes({quote.id})"))["statecode"] == 2

    # Nothing applies to a won quote any more, and Tryton makes no projects from sales.
    before = await world.stamp(sale_id)
    lost = await mutate(api, "markQuoteLost", crmQuoteId=quote.id)
    assert [e["code"] for e in lost["userErrors"]] == ["INVALID_TRANSITION"]
    assert "the CRM quote is Won and the ERP quote is Accepted" in lost["userErrors"][0]["message"]
    replayed = await ok(api, "markQuoteWon", crmQuoteId=quote.id)  # a repeat answers the same
    assert replayed["erpQuote"] == won["erpQuote"]
    project = await mutate(api, "transferQuoteToProject", crmQuoteId=quote.id)
    assert [e["code"] for e in project["userErrors"]] == ["INVALID_TRANSITION"]
    assert "with Tryton" in project["userErrors"][0]["message"]
    assert await world.stamp(sale_id) == before


async def test_a_rejected_quote_cancels_the_sale_and_its_resubmission_changes_it(
    api: httpx.AsyncClient, world: World, check: Systems
) -> None:
    quote = await world.quote("Support contract", lines=1)
    refused = await mutate(api, "approveQuote", crmQuoteId=quote.id)
    assert [e["code"] for e in refused["userErrors"]] == ["INVALID_TRANSITION"]
    assert "the CRM quote is Draft and there is no ERP quote" in refused["userErrors"][0]["message"]

    sale_id = (await ok(api, "submitQuote", crmQuoteId=quote.id))["erpQuote"]["id"]
    rejected = await ok(api, "rejectQuote", crmQuoteId=quote.id)
    assert (rejected["crmQuote"]["state"], rejected["erpQuote"]["state"]) == (
        "Rejected in ERP",
        "Rejected",
    )
    assert (await world.sale(sale_id))["state"] == "cancelled"
    assert (await check.crm(f"quotes({quote.id})"))["statuscode"] == REJECTED

    edit = await check.dataverse.patch(f"quotes({quote.id})", json={"name": "Support, 2 years"})
    assert edit.status_code == 204  # editable again
    crm = world.services.crm
    assert crm is not None
    await crm.create(
        "quote_line",
        {"_quoteid_value": quote.id, "_productid_value": world.crm_product.id, "quantity": 5.0},
    )

    again = await ok(api, "submitQuote", crmQuoteId=quote.id)
    assert again["workflowInstance"]["generation"] == 2
    assert again["erpQuote"]["id"] == sale_id  # the same sale, changed in place
    steps = [step["name"] for step in again["workflowInstance"]["steps"]]
    assert "archive-erp-quote" not in steps  # Tryton keeps no versions
    sale = await world.sale(sale_id)
    assert (sale["state"], sale["description"]) == ("draft", "Support, 2 years")
    assert [line["quantity"] for line in sale["lines"]] == [2.0, 5.0]
    assert again["erpQuote"]["state"] == "Open"

    # Decided: approval applies to a Submitted quote only, and nothing is written.
    await ok(api, "rejectQuote", crmQuoteId=quote.id)
    before = await world.stamp(sale_id)
    late = await mutate(api, "approveQuote", crmQuoteId=quote.id)
    assert late["userErrors"][0]["code"] == "INVALID_TRANSITION"
    assert "the ERP quote is Rejected" in late["userErrors"][0]["message"]
    assert await world.stamp(sale_id) == before


async def test_a_quote_never_submitted_becomes_a_confirmed_sale_when_it_is_won(
    api: httpx.AsyncClient, world: World
) -> None:
    quote = await world.quote("Training days", lines=1)
    await ok(api, "activateQuote", crmQuoteId=quote.id)
    won = await ok(api, "markQuoteWon", crmQuoteId=quote.id)
    assert (won["crmQuote"]["state"], won["erpQuote"]["state"]) == ("Won", "Accepted")
    sale = await world.sale(won["erpQuote"]["id"])
    assert sale["state"] in ("confirmed", "processing")
    assert [(line["quantity"], line["unit_price"]) for line in sale["lines"]] == [(2.0, 120)]
    steps = [step["name"] for step in won["workflowInstance"]["steps"]]
    assert "release-erp-quote" not in steps  # issuing the new sale released it
    assert steps.index("issue-erp-quote") < steps.index("confirm-erp-quote")


async def test_a_submitted_crm_order_becomes_a_confirmed_tryton_sale(
    api: httpx.AsyncClient, world: World
) -> None:
    crm = world.services.crm
    assert crm is not None
    order = await crm.create(
        "sales_order", {"name": "Rollout", "_customerid_value": world.account.id}
    )
    await crm.create(
        "sales_order_line",
        {
            "_salesorderid_value": order.id,
            "_productid_value": world.crm_product.id,
            "quantity": 4.0,
            "priceperunit": 95.0,
        },
    )
    early = await mutate(api, "createSalesOrderInErp", crmOrderId=order.id)
    assert early["userErrors"][0]["code"] == "INVALID_TRANSITION"  # not submitted yet
    await crm.transition("sales_order", order.id, "submit")
    number = (await crm.get_many("sales_order", [order.id]))[order.id].values["ordernumber"]

    made = await ok(api, "createSalesOrderInErp", crmOrderId=order.id)
    assert made["crmOrder"]["state"] == "Submitted"
    assert (made["erpOrder"]["entity"], made["erpOrder"]["state"]) == ("sales_order", "Open")
    sale = await world.sale(made["erpOrder"]["id"])
    assert sale["state"] in ("confirmed", "processing")
    assert (sale["reference"], sale["description"]) == (number, "Rollout")
    assert [(line["quantity"], line["unit_price"]) for line in sale["lines"]] == [(4.0, 95)]
    coupled = await world.services.couplings.by_ids("SALESORDER-ORDER", "crm", [order.id])
    assert coupled[order.id].erp.id == made["erpOrder"]["id"]


async def test_a_posted_tryton_invoice_goes_to_the_crm_as_billed(
    api: httpx.AsyncClient, world: World, check: Systems
) -> None:
    connector, crm = world.tryton.connector, world.services.crm
    assert crm is not None
    [currency] = (await connector.query(Entity.CURRENCY, eq("code", "USD"))).records
    crm_currencies = (await crm.query("currency", eq("isocurrencycode", "USD"))).records
    await world.services.couplings.couple(
        "CURRENCY",
        CoupledRecord("tryton", "currency", currency.id, "USD"),
        CoupledRecord(crm.system, "currency", crm_currencies[0].id),
    )
    sale = await connector.create(
        Entity.QUOTE,
        {"party": world.party.id, "lines": [{"product": world.product.id, "quantity": 3}]},
    )
    for action in ("quote", "confirm"):
        await connector.transition(Entity.QUOTE, sale.id, action)
    await connector.transition(Entity.SALES_ORDER, sale.id, "process")
    [invoice_id] = await connector.rpc.model(
        "account.invoice", "search", [["party", "=", int(world.party.id)]], 0, None, None
    )
    draft = str(invoice_id)
    refused = await mutate(api, "createInvoiceInCrm", erpInvoiceId=draft)
    assert refused["userErrors"][0]["code"] == "INVALID_TRANSITION"
    assert "the ERP invoice is Draft" in refused["userErrors"][0]["message"]
    await connector.transition(Entity.INVOICE, draft, "post")

    made = await ok(api, "createInvoiceInCrm", erpInvoiceId=draft)
    assert (made["erpInvoice"]["state"], made["crmInvoice"]["state"]) == ("Open", "Billed")
    posted = (await connector.get_many(Entity.INVOICE, [draft]))[draft]
    assert made["crmInvoice"]["number"] == posted.values["number"]
    crm_invoice = await check.crm(f"invoices({made['crmInvoice']['id']})?$expand=invoice_details")
    assert crm_invoice["name"] == posted.values["number"]
    [line] = crm_invoice["invoice_details"]
    assert (line["_productid_value"], line["quantity"]) == (world.crm_product.id, 3.0)
    assert crm_invoice["totalamount"] == pytest.approx(posted.values["untaxed_amount"])
    assert crm_invoice["_customerid_value"] == world.account.id
    assert crm_invoice["_transactioncurrencyid_value"] == crm_currencies[0].id

    # The party's receivable reaches its account with Update Account Statistics.
    update = """mutation ($input: UpdateAccountStatisticsInput!) {
        updateAccountStatistics(input: $input) {
            syncRun { mapping status failed } userErrors { code message field }
        }
    }"""
    updated = (await data(api, update, input={"erpId": world.party.id}))["updateAccountStatistics"]
    assert updated["userErrors"] == []
    assert (updated["syncRun"]["status"], updated["syncRun"]["failed"]) == ("SUCCEEDED", 0)
    account = await check.crm(f"accounts({world.account.id})?$select=gw_balance,gw_totalsales")
    assert account["gw_balance"] == pytest.approx(posted.values["total_amount"])
    assert account["gw_balance"] == pytest.approx(3 * 100.0)


async def test_approval_and_rejection_in_tryton_reach_the_crm_with_tryton_s_edits(
    api: httpx.AsyncClient, world: World, check: Systems, store: Services
) -> None:
    approved_quote = await world.quote("Network audit", lines=2)
    rejected_quote = await world.quote("Printer fleet", lines=1)
    sale_id = (await ok(api, "submitQuote", crmQuoteId=approved_quote.id))["erpQuote"]["id"]
    other_id = (await ok(api, "submitQuote", crmQuoteId=rejected_quote.id))["erpQuote"]["id"]

    # In Tryton: the first sale's second line goes to 7, and the sale is quoted (its approval);
    # the other sale is cancelled.
    rpc = world.tryton.connector.rpc
    second = (await world.sale(sale_id))["lines"][1]["id"]
    await rpc.model("sale.line", "write", [second], {"quantity": 7.0})
    await rpc.model("sale.sale", "quote", [int(sale_id)])
    await rpc.model("sale.sale", "cancel", [int(other_id)])
    ticked = await run_lifecycle_tick(store)
    assert ticked["quoteDecisionsCarried"] == 2

    crm = await check.crm(f"quotes({approved_quote.id})?$expand=quote_details")
    assert crm["statuscode"] == APPROVED
    lines = sorted(crm["quote_details"], key=lambda line: line["lineitemnumber"] or 0)
    assert [line["quantity"] for line in lines] == [2.0, 7.0]
    assert crm["totalamount"] == pytest.approx(9 * 120.0)
    assert (await check.crm(f"quotes({rejected_quote.id})"))["statuscode"] == REJECTED
    assert (await run_lifecycle_tick(store))["quoteDecisionsCarried"] == 0


async def test_an_order_made_from_a_won_quote_is_the_confirmed_sale_in_tryton(
    api: httpx.AsyncClient, world: World
) -> None:
    quote = await world.quote("Office rollout", lines=1)
    sale_id = (await ok(api, "submitQuote", crmQuoteId=quote.id))["erpQuote"]["id"]
    for operation in ("approveQuote", "activateQuote", "markQuoteWon"):
        await ok(api, operation, crmQuoteId=quote.id)
    crm = world.services.crm
    assert crm is not None
    order = await crm.create(
        "sales_order",
        {
            "name": "Office rollout",
            "_customerid_value": world.account.id,
            "_quoteid_value": quote.id,
        },
    )
    await crm.create(
        "sales_order_line",
        {
            "_salesorderid_value": order.id,
            "_productid_value": world.crm_product.id,
            "quantity": 2.0,
        },
    )
    await crm.transition("sales_order", order.id, "submit")
    sales = await world.tryton.connector.rpc.model(
        "sale.sale", "search", [["party", "=", int(world.party.id)]], 0, None, None
    )

    made = await ok(api, "createSalesOrderInErp", crmOrderId=order.id)
    assert made["erpOrder"]["id"] == sale_id  # the won quote's sale, not a second one
    assert made["erpOrder"]["state"] == "Open"
    assert (
        await world.tryton.connector.rpc.model(
            "sale.sale", "search", [["party", "=", int(world.party.id)]], 0, None, None
        )
        == sales
    )
    steps = [step["name"] for step in made["workflowInstance"]["steps"]]
    assert steps == ["check", "couple-orders", "result"]

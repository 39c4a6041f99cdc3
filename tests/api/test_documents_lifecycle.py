"""Documents read as one while the lifecycles move them: a quote through submission,
rejection, resubmission (an archived version), approval, winning and its project; an order
from the CRM through the ERP to its invoice and payments. Every state is checked against what
the sandbox's own APIs hold, and the lifecycle payloads answer the full documents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway.services import Services
from gateway.settings import Settings
from tests.api.support import data
from tests.support_sandbox import SandboxHandle
from tests.workflows.support import WRITE_IN_NUMBER, Systems, World, build_world, systems

QUOTE = """
  crmId erpId number crmNumber erpNumber name revision crmState erpState state
  totalAmount netAmount currencyCode validUntil salespersonCode
  account { crmId } customer { erpId }
  lines { productNumber quantity unitPrice amount writeIn system }
  archivedVersions { version netAmount totalAmount }
  workflowInstances { operation status }
"""
TRANSITION = """mutation ($input: %(type)s!) {
  %(name)s(input: $input) { quote { %(fields)s } userErrors { code message } }
}"""
ACCOUNT = """query ($crmId: ID!) {
  account(crmId: $crmId) { quotes(first: 5) { edges { node { %s } } } }
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


async def move(
    api: httpx.AsyncClient, name: str, fields: str = QUOTE, **input: Any
) -> dict[str, Any]:
    type_name = name[0].upper() + name[1:] + "Input"
    query = TRANSITION % {"type": type_name, "name": name, "fields": fields}
    payload: dict[str, Any] = (await data(api, query, input=input))[name]
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


async def test_a_quote_in_the_middle_of_its_lifecycle_reads_as_one_with_both_states(
    api: httpx.AsyncClient, world: World, check: Systems
) -> None:
    crm_quote = await world.quote("Data centre migration", lines=2, write_in=True)

    submitted = (await move(api, "submitQuote", crmQuoteId=crm_quote.id))["quote"]

    erp_id = submitted["erpId"]
    erp = await check.erp(f"salesQuotes({erp_id})")
    crm = await check.crm(f"quotes({crm_quote.id})")
    assert submitted["crmId"] == crm_quote.id
    assert (submitted["crmState"], submitted["erpState"], submitted["state"]) == (
        "Submitted",
        "Open",
        "SUBMITTED",
    )
    assert submitted["number"] == crm["quotenumber"]
    assert submitted["erpNumber"] == erp["number"]
    assert submitted["revision"] == 0
    assert submitted["totalAmount"] == erp["totalAmountIncludingTax"]  # the ERP's, with tax
    assert submitted["netAmount"] == erp["totalAmountExcludingTax"]
    assert submitted["validUntil"] == "2031-06-30"
    assert submitted["account"] == {"crmId": world.account.id}
    assert submitted["customer"] == {"erpId": world.customer.id}
    # The CRM's lines (where the quote started): two products and a write-in.
    assert [
        (line["productNumber"], line["quantity"], line["writeIn"]) for line in submitted["lines"]
    ] == [
        (world.item.values["number"], 2.0, False),
        (world.item.values["number"], 3.0, False),
        (None, 1.0, True),
    ]
    assert {line["system"] for line in submitted["lines"]} == {"dataverse"}
    assert submitted["archivedVersions"] == []
    assert submitted["workflowInstances"] == [{"operation": "submitQuote", "status": "SUCCEEDED"}]

    # The account's page shows the same quote, by both ids, in the same states.
    account = (await data(api, ACCOUNT % QUOTE, crmId=world.account.id))["account"]
    [listed] = [edge["node"] for edge in account["quotes"]["edges"]]
    assert listed == submitted

    rejected = (await move(api, "rejectQuote", erpQuoteId=erp_id))["quote"]
    assert (rejected["crmState"], rejected["erpState"], rejected["state"]) == (
        "Rejected in ERP",
        "Rejected",
        "REJECTED",
    )
    before = await check.erp(f"salesQuotes({erp_id})")
    edited = await check.dataverse.patch(f"quotes({crm_quote.id})", json={"name": "Migration, v2"})
    assert edited.status_code == 204

    again = (await move(api, "submitQuote", crmQuoteId=crm_quote.id))["quote"]
    assert (again["crmState"], again["erpState"], again["state"]) == (
        "Submitted",
        "Open",
        "SUBMITTED",
    )
    assert again["name"] == "Migration, v2"
    # The ERP archived the version it had before it was changed.
    assert again["archivedVersions"] == [
        {
            "version": 1,
            "netAmount": before["totalAmountExcludingTax"],
            "totalAmount": before["totalAmountIncludingTax"],
        }
    ]
    archives = await check.erp("salesQuoteArchives", **{"$filter": f"quoteId eq {erp_id}"})
    assert [item["versionNumber"] for item in archives["value"]] == [1]
    assert [item["operation"] for item in again["workflowInstances"]] == [
        "submitQuote",
        "rejectQuote",
        "submitQuote",
    ]

    approved = (await move(api, "approveQuote", crmQuoteId=crm_quote.id))["quote"]
    assert (approved["crmState"], approved["erpState"], approved["state"]) == (
        "Approved in ERP",
        "Approved",
        "APPROVED",
    )
    active = (await move(api, "activateQuote", crmQuoteId=crm_quote.id))["quote"]
    assert (active["crmState"], active["state"]) == ("Active", "ACTIVE")
    won = (await move(api, "markQuoteWon", crmQuoteId=crm_quote.id))["quote"]
    assert (won["crmState"], won["erpState"], won["state"]) == ("Won", "Accepted", "WON")

    project_fields = "project { erpId crmId number name status state quote { crmId erpId } }"
    transferred = await data(
        api,
        "mutation ($input: TransferQuoteToProjectInput!) { transferQuoteToProject(input: $input)"
        " { quote { crmId state } project { erpId crmId number } userErrors { code } } }",
        input={"crmQuoteId": crm_quote.id, "synchronizeToCrm": True},
    )
    answer = transferred["transferQuoteToProject"]
    assert answer["quote"] == {"crmId": crm_quote.id, "state": "WON"}
    found = await data(
        api,
        f"query ($id: ID!) {{ quote(erpId: $id) {{ crmId {project_fields} }} }}",
        id=erp_id,
    )
    project = found["quote"]["project"]
    erp_project = await check.erp(f"projects({project['erpId']})")
    assert erp_project["quoteId"] == erp_id
    assert project["number"] == erp_project["number"]
    assert project["crmId"] is not None  # synchronized to the CRM, coupled through PROJECT
    crm_project = await check.crm(f"msdyn_projects({project['crmId']})")
    assert crm_project["msdyn_subject"] == erp_project["displayName"] == project["name"]
    assert (project["status"], project["state"]) == ("Open", "OPEN")
    assert project["quote"] == {"crmId": crm_quote.id, "erpId": erp_id}
    assert answer["project"] == {
        "erpId": project["erpId"],
        "crmId": project["crmId"],
        "number": project["number"],
    }


async def test_an_order_its_invoice_and_payments_read_as_one_from_both_systems(
    api: httpx.AsyncClient, world: World, check: Systems
) -> None:
    order = await world.submit_order(await world.order("Rollout", lines=2))
    fields = "crmId erpId crmState erpState state totalAmount lines { quantity } shipped invoiced"
    made = await data(
        api,
        "mutation ($input: CreateSalesOrderInErpInput!) { createSalesOrderInErp(input: $input) "
        f"{{ salesOrder {{ {fields} }} userErrors {{ code }} }} }}",
        input={"crmOrderId": order.id},
    )
    created = made["createSalesOrderInErp"]["salesOrder"]
    erp_id = created["erpId"]
    assert (created["crmId"], created["crmState"], created["erpState"]) == (
        order.id,
        "Submitted",
        "Draft",
    )
    assert created["state"] == "SUBMITTED"
    assert [line["quantity"] for line in created["lines"]] == [2.0, 3.0]
    assert (created["shipped"], created["invoiced"]) == (None, None)  # the CRM's lines say not

    shipped = await check.bc.post(f"salesOrders({erp_id})/Microsoft.NAV.shipAndInvoice")
    assert shipped.status_code == 204, shipped.text
    [invoice] = (await check.erp("salesInvoices", **{"$filter": f"orderId eq {erp_id}"}))["value"]

    invoices_of = """query ($id: ID!) { salesOrder(crmId: $id) {
      crmId erpId invoices { erpId crmId number paymentStatus totalAmount remainingAmount amountPaid
                             salesOrder { crmId } lines { productNumber quantity system } } } }"""
    read = (await data(api, invoices_of, id=order.id))["salesOrder"]
    # Business Central deleted the order it fully invoiced: the coupling still names it.
    assert (read["crmId"], read["erpId"]) == (order.id, erp_id)
    [shown] = read["invoices"]
    total = invoice["totalAmountIncludingTax"]
    assert shown == {
        "erpId": invoice["id"],
        "crmId": None,
        "number": invoice["number"],
        "paymentStatus": "UNPAID",
        "totalAmount": total,
        "remainingAmount": total,
        "amountPaid": 0.0,
        "salesOrder": {"crmId": order.id},
        "lines": [
            {
                "productNumber": world.item.values["number"],
                "quantity": 2.0,
                "system": "business_central",
            },
            {
                "productNumber": world.item.values["number"],
                "quantity": 3.0,
                "system": "business_central",
            },
        ],
    }

    billed = await data(
        api,
        "mutation ($input: CreateInvoiceInCrmInput!) { createInvoiceInCrm(input: $input) "
        "{ invoice { crmId erpId crmState erpState state paymentStatus } "
        "salesOrder { crmId crmState state } userErrors { code } } }",
        input={"erpInvoiceId": invoice["id"]},
    )
    answer = billed["createInvoiceInCrm"]
    assert answer["invoice"]["crmId"] is not None
    assert (answer["invoice"]["crmState"], answer["invoice"]["erpState"]) == ("Billed", "Open")
    assert (answer["invoice"]["state"], answer["invoice"]["paymentStatus"]) == ("OPEN", "UNPAID")
    assert answer["salesOrder"] == {"crmId": order.id, "crmState": "Invoiced", "state": "INVOICED"}

    paid = await check.bc.post(
        "customerPayments",
        json={
            "customerId": world.customer.id,
            "amount": total / 4,
            "appliesToInvoiceId": invoice["id"],
        },
    )
    assert paid.status_code == 201, paid.text
    partial = (await data(api, invoices_of, id=order.id))["salesOrder"]["invoices"][0]
    assert (partial["paymentStatus"], partial["remainingAmount"]) == (
        "PARTIAL",
        round(total * 3 / 4, 2),
    )
    assert partial["amountPaid"] == round(total / 4, 2)
    unpaid = await data(
        api,
        "query ($id: ID!) { account(crmId: $id) {"
        " invoices(paymentStatus: UNPAID) { edges { node { erpId } } }"
        " partial: invoices(paymentStatus: PARTIAL) { edges { node { erpId state } } } } }",
        id=world.account.id,
    )
    assert unpaid["account"]["invoices"]["edges"] == []
    assert [edge["node"] for edge in unpaid["account"]["partial"]["edges"]] == [
        {"erpId": invoice["id"], "state": "PARTIALLY_PAID"}
    ]

"""Documents read as one with Tryton as the ERP: a CRM quote and the Tryton sale it became,
in both systems' words; the sale as the order the quote became and its invoice; projects;
items' availability. Checked against trytond over JSON-RPC and the sandbox's CRM."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from adapters.base import Entity, Record
from adapters.filters import eq
from gateway.services import Services
from gateway.settings import Settings
from gateway.store.couplings import CoupledRecord
from tests.adapters.tryton_server import (
    LiveTryton,
    TrytonServer,
    gateway_settings,
    tryton,
    tryton_server,
)
from tests.adapters.tryton_template import SECOND_PRODUCT_CODE, SERVICE_PRODUCT_CODE
from tests.api.lifecycle_support import ok
from tests.api.support import data

__all__ = ["tryton", "tryton_server"]

pytestmark = pytest.mark.tryton

QUOTE = """crmId erpId number erpNumber crmState erpState state totalAmount netAmount currencyCode
  lines { productNumber quantity system }
  salesOrder { erpId crmId erpState state
    invoices { erpId number erpState state paymentStatus totalAmount remainingAmount
               lines { productNumber quantity unitOfMeasure system } salesOrder { erpId } } }"""


@pytest.fixture
def api_settings(connected_settings: Settings, tryton_server: TrytonServer) -> Settings:
    return gateway_settings(
        connected_settings,
        tryton_server,
        write_in_product_number=SECOND_PRODUCT_CODE,
        connector_max_attempts=1,
        api_rate_limit=0,
    )


@dataclass
class World:
    services: Services
    tryton: LiveTryton
    party: Record
    account: Record
    product: Record
    crm_product: Record


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


async def sale(world: World, sale_id: str) -> dict[str, Any]:
    [found] = await world.tryton.connector.rpc.model(
        "sale.sale", "read", [int(sale_id)], ["state", "number", "total_amount", "untaxed_amount"]
    )
    result: dict[str, Any] = found
    return result


async def test_a_quote_and_the_tryton_sale_it_became_read_as_one(
    api: httpx.AsyncClient, world: World
) -> None:
    crm = world.services.crm
    assert crm is not None
    quote = await crm.create(
        "quote", {"name": "Cloud audit", "_customerid_value": world.account.id}
    )
    for quantity in (2.0, 3.0):
        await crm.create(
            "quote_line",
            {
                "_quoteid_value": quote.id,
                "_productid_value": world.crm_product.id,
                "quantity": quantity,
                "priceperunit": 120.0,
            },
        )
    sale_id = (await ok(api, "submitQuote", crmQuoteId=quote.id))["erpQuote"]["id"]
    lookup = f"query ($id: ID) {{ quote(erpId: $id) {{ {QUOTE} }} }}"

    submitted = (await data(api, lookup, id=sale_id))["quote"]

    issued = await sale(world, sale_id)
    assert issued["state"] == "draft"  # issued when the ERP approves it
    assert (submitted["crmId"], submitted["erpId"]) == (quote.id, sale_id)
    # Tryton's words through its dialect: a sale in draft is an open quote.
    assert (submitted["crmState"], submitted["erpState"], submitted["state"]) == (
        "Submitted",
        "Open",
        "SUBMITTED",
    )
    assert submitted["erpNumber"] == issued["number"]
    assert submitted["totalAmount"] == float(issued["total_amount"])
    assert submitted["netAmount"] == float(issued["untaxed_amount"])
    assert submitted["currencyCode"] == "USD"
    assert [(line["quantity"], line["system"]) for line in submitted["lines"]] == [
        (2.0, "dataverse"),
        (3.0, "dataverse"),
    ]
    assert submitted["salesOrder"] is None  # a draft is no order yet

    await ok(api, "approveQuote", crmQuoteId=quote.id)
    await ok(api, "activateQuote", crmQuoteId=quote.id)
    await ok(api, "markQuoteWon", crmQuoteId=quote.id)
    connector = world.tryton.connector
    await connector.transition(Entity.SALES_ORDER, sale_id, "process")
    [invoice_id] = await connector.rpc.model(
        "account.invoice", "search", [["party", "=", int(world.party.id)]], 0, None, None
    )
    await connector.transition(Entity.INVOICE, str(invoice_id), "post")

    won = (await data(api, lookup, id=sale_id))["quote"]

    assert (won["crmState"], won["erpState"], won["state"]) == ("Won", "Accepted", "WON")
    # The order a Tryton quote becomes is the same sale, confirmed.
    order = won["salesOrder"]
    assert (order["erpId"], order["crmId"], order["state"]) == (sale_id, None, "OPEN")
    [invoice] = order["invoices"]
    [posted] = await connector.rpc.model(
        "account.invoice", "read", [invoice_id], ["number", "total_amount", "amount_to_pay"]
    )
    assert invoice == {
        "erpId": str(invoice_id),
        "number": posted["number"],
        "erpState": "Open",
        "state": "OPEN",
        "paymentStatus": "UNPAID",
        "totalAmount": float(posted["total_amount"]),
        "remainingAmount": float(posted["amount_to_pay"]),
        "lines": [
            {
                "productNumber": SERVICE_PRODUCT_CODE,
                "quantity": quantity,
                "unitOfMeasure": "h",
                "system": "tryton",
            }
            for quantity in (2.0, 3.0)
        ],
        "salesOrder": {"erpId": sale_id},
    }


async def test_a_tryton_customer_shows_its_projects_and_an_item_its_availability(
    api: httpx.AsyncClient, world: World
) -> None:
    connector = world.tryton.connector
    project = await connector.create(
        Entity.PROJECT, {"name": "Rollout", "party": world.party.id, "comment": "Phase one"}
    )
    query = """query ($id: ID!, $item: ID) {
      customer(erpId: $id) { projects { edges { node {
        erpId crmId number name status state account { crmId } } } } }
      item(erpId: $item) { number crmId availability { inventory onOpenSalesOrders available } }
    }"""

    found = await data(api, query, id=world.party.id, item=world.product.id)

    [shown] = [edge["node"] for edge in found["customer"]["projects"]["edges"]]
    assert shown == {
        "erpId": project.id,
        "crmId": None,
        "number": project.values["number"],
        "name": "Rollout",
        "status": project.values["status_name"],
        "state": "OPEN",
        "account": {"crmId": world.account.id},
    }
    # A service is not stocked: nothing on hand and nothing waiting to ship.
    assert found["item"] == {
        "number": SERVICE_PRODUCT_CODE,
        "crmId": world.crm_product.id,
        "availability": {"inventory": 0.0, "onOpenSalesOrders": 0.0, "available": 0.0},
    }

"""Business Central documents: quote lifecycle (standard and sandbox actions), orders, posting,
payments, and customer financial figures derived from them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest


async def post(
    bc: httpx.AsyncClient, path: str, body: dict[str, Any] | None = None
) -> httpx.Response:
    return await bc.post(path, json=body) if body is not None else await bc.post(path)


async def created(bc: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await bc.post(path, json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def action(bc: httpx.AsyncClient, entity: str, key: str, name: str) -> httpx.Response:
    return await bc.post(f"{entity}({key})/Microsoft.NAV.{name}")


@pytest.fixture
async def setup(bc: httpx.AsyncClient) -> dict[str, Any]:
    customer = await created(bc, "customers", {"displayName": "Lifecycle Ltd."})
    item = await created(
        bc,
        "items",
        {
            "displayName": "Consulting day",
            "unitPrice": 1000,
            "baseUnitOfMeasureCode": "DAY",
            "taxGroupCode": "NONTAXABLE",
        },
    )
    return {"customer": customer, "item": item}


async def new_quote(
    bc: httpx.AsyncClient, setup: dict[str, Any], quantity: float = 2
) -> dict[str, Any]:
    quote = await created(
        bc,
        "salesQuotes",
        {"customerId": setup["customer"]["id"], "externalDocumentNumber": "CRM QUO-01001"},
    )
    await created(
        bc,
        f"salesQuotes({quote['id']})/salesQuoteLines",
        {"itemId": setup["item"]["id"], "quantity": quantity},
    )
    return quote


async def test_quote_approval_archive_confirm_project(
    bc: httpx.AsyncClient, setup: dict[str, Any]
) -> None:
    quote = await new_quote(bc, setup)
    key = quote["id"]
    assert (await action(bc, "salesQuotes", key, "confirm")).status_code == 400  # not approved
    assert (await action(bc, "salesQuotes", key, "archive")).status_code == 204
    assert (await action(bc, "salesQuotes", key, "approve")).status_code == 204
    approved = (await bc.get(f"salesQuotes({key})")).json()
    assert approved["approvalStatus"] == "Approved"
    assert approved["archivedVersions"] == 1
    locked = await bc.patch(
        f"salesQuotes({key})",
        json={"externalDocumentNumber": "x"},
        headers={"If-Match": approved["@odata.etag"]},
    )
    assert locked.status_code == 400
    assert locked.json()["error"]["code"] == "Application_FieldValidationException"
    assert (await action(bc, "salesQuotes", key, "confirm")).status_code == 204
    assert (await action(bc, "salesQuotes", key, "makeProject")).status_code == 204
    assert (await action(bc, "salesQuotes", key, "makeProject")).status_code == 400
    final = (await bc.get(f"salesQuotes({key})")).json()
    assert final["status"] == "Accepted"
    assert final["acceptedDate"] == dt.datetime.now(dt.UTC).date().isoformat()
    project = (await bc.get(f"projects({final['projectId']})")).json()
    assert project["number"] == final["projectNumber"] == "PR00010"
    assert project["quoteNumber"] == quote["number"]
    assert project["customerId"] == setup["customer"]["id"]
    archives = (await bc.get(f"salesQuotes({key})/salesQuoteArchives")).json()["value"]
    assert [a["versionNumber"] for a in archives] == [1]
    assert archives[0]["totalAmountExcludingTax"] == 2000.0


async def test_rejected_quote_is_editable_again(
    bc: httpx.AsyncClient, setup: dict[str, Any]
) -> None:
    quote = await new_quote(bc, setup)
    await action(bc, "salesQuotes", quote["id"], "approve")
    assert (await action(bc, "salesQuotes", quote["id"], "reject")).status_code == 204
    current = (await bc.get(f"salesQuotes({quote['id']})")).json()
    edit = await bc.patch(
        f"salesQuotes({quote['id']})",
        json={"externalDocumentNumber": "v2"},
        headers={"If-Match": current["@odata.etag"]},
    )
    assert edit.status_code == 200
    assert edit.json()["approvalStatus"] == "Rejected"


async def test_make_order_then_ship_and_invoice_then_pay(
    bc: httpx.AsyncClient, setup: dict[str, Any]
) -> None:
    quote = await new_quote(bc, setup, quantity=3)
    assert (await action(bc, "salesQuotes", quote["id"], "send")).status_code == 204
    assert (await action(bc, "salesQuotes", quote["id"], "makeOrder")).status_code == 204
    assert (await bc.get(f"salesQuotes({quote['id']})")).status_code == 404
    [order] = (await bc.get("salesOrders", params={"$expand": "salesOrderLines"})).json()["value"]
    assert order["quoteNumber"] == quote["number"]
    assert order["number"] == "S-ORD1001"
    assert [line["quantity"] for line in order["salesOrderLines"]] == [3.0]
    assert (await action(bc, "salesOrders", order["id"], "shipAndInvoice")).status_code == 204
    assert (await bc.get(f"salesOrders({order['id']})")).status_code == 404
    [invoice] = (await bc.get("salesInvoices")).json()["value"]
    assert invoice["status"] == "Open"
    assert invoice["number"] == "PS-INV1001"
    assert invoice["orderNumber"] == order["number"]
    assert invoice["remainingAmount"] == 3000.0
    locked = await bc.patch(
        f"salesInvoices({invoice['id']})",
        json={"externalDocumentNumber": "x"},
        headers={"If-Match": "*"},
    )
    assert locked.status_code == 400
    await created(
        bc,
        "customerPayments",
        {
            "customerNumber": setup["customer"]["number"],
            "amount": 1000,
            "appliesToInvoiceNumber": invoice["number"],
        },
    )
    partly = (await bc.get(f"salesInvoices({invoice['id']})")).json()
    assert (partly["status"], partly["remainingAmount"]) == ("Open", 2000.0)
    await created(
        bc,
        "customerPayments",
        {
            "customerId": setup["customer"]["id"],
            "amount": 2000,
            "appliesToInvoiceId": invoice["id"],
        },
    )
    paid = (await bc.get(f"salesInvoices({invoice['id']})")).json()
    assert (paid["status"], paid["remainingAmount"]) == ("Paid", 0.0)


async def test_draft_invoice_post_and_cancel(bc: httpx.AsyncClient, setup: dict[str, Any]) -> None:
    invoice = await created(bc, "salesInvoices", {"customerId": setup["customer"]["id"]})
    assert invoice["status"] == "Draft"
    assert invoice["number"] == "S-INV1001"
    assert (await action(bc, "salesInvoices", invoice["id"], "post")).status_code == 400  # no lines
    await created(
        bc,
        "salesInvoiceLines",
        {"documentId": invoice["id"], "itemId": setup["item"]["id"], "quantity": 1},
    )
    assert (await action(bc, "salesInvoices", invoice["id"], "post")).status_code == 204
    posted = (await bc.get(f"salesInvoices({invoice['id']})")).json()
    assert posted["status"] == "Open"
    assert posted["number"] == "PS-INV1001"
    assert posted["remainingAmount"] == 1000.0
    assert (
        await bc.delete(f"salesInvoices({invoice['id']})", headers={"If-Match": "*"})
    ).status_code == 400
    assert (await action(bc, "salesInvoices", invoice["id"], "cancel")).status_code == 204
    assert (await bc.get(f"salesInvoices({invoice['id']})")).json()["status"] == "Canceled"
    unknown = await action(bc, "salesInvoices", invoice["id"], "frobnicate")
    assert unknown.status_code == 400


async def test_financial_figures_follow_invoices_and_payments(
    bc: httpx.AsyncClient, setup: dict[str, Any]
) -> None:
    customer = setup["customer"]
    old = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=60)).isoformat()
    for due in (old, None):
        body: dict[str, Any] = {"customerId": customer["id"]}
        if due:
            body["dueDate"] = due
        invoice = await created(bc, "salesInvoices", body)
        await created(
            bc,
            f"salesInvoices({invoice['id']})/salesInvoiceLines",
            {"itemId": setup["item"]["id"], "quantity": 1},
        )
        assert (await action(bc, "salesInvoices", invoice["id"], "post")).status_code == 204
    invoices = (await bc.get("salesInvoices", params={"$orderby": "dueDate"})).json()["value"]
    overdue = invoices[0]
    assert overdue["dueDate"] == old
    await created(
        bc,
        "customerPayments",
        {"customerId": customer["id"], "amount": 400, "appliesToInvoiceId": overdue["id"]},
    )
    await created(bc, "customerPayments", {"customerId": customer["id"], "amount": 100})
    details = (await bc.get(f"customers({customer['id']})/customerFinancialDetail")).json()
    assert details["balance"] == 2000.0 - 500.0
    assert details["totalSalesExcludingTax"] == 2000.0
    assert details["overdueAmount"] == 600.0
    listed = await bc.get(
        "customers",
        params={"$filter": f"id eq {customer['id']}", "$expand": "customerFinancialDetail"},
    )
    [row] = listed.json()["value"]
    assert row["balanceDue"] == 1500.0
    assert row["customerFinancialDetail"]["overdueAmount"] == 600.0
    plural = await bc.get("customers", params={"$expand": "customerFinancialDetails"})
    assert plural.json()["value"][0]["customerFinancialDetails"][0]["balance"] == 1500.0
    collection = (await bc.get("customerFinancialDetails")).json()["value"]
    assert collection == [
        {
            "id": customer["id"],
            "number": customer["number"],
            "balance": 1500.0,
            "totalSalesExcludingTax": 2000.0,
            "overdueAmount": 600.0,
        }
    ]
    patched = await bc.patch(
        f"customers({customer['id']})", json={"phoneNumber": "555"}, headers={"If-Match": "*"}
    )
    assert patched.json()["balanceDue"] == 1500.0
    blocked = await bc.delete(f"customers({customer['id']})", headers={"If-Match": "*"})
    assert blocked.status_code == 400


async def test_payment_must_match_the_invoice_customer(
    bc: httpx.AsyncClient, setup: dict[str, Any]
) -> None:
    other = await created(bc, "customers", {"displayName": "Someone Else"})
    invoice = await created(bc, "salesInvoices", {"customerId": setup["customer"]["id"]})
    await created(
        bc, "salesInvoiceLines", {"documentId": invoice["id"], "itemId": setup["item"]["id"]}
    )
    await action(bc, "salesInvoices", invoice["id"], "post")
    wrong = await bc.post(
        "customerPayments",
        json={"customerId": other["id"], "amount": 5, "appliesToInvoiceId": invoice["id"]},
    )
    assert wrong.status_code == 400
    assert (await bc.get("customerPayments")).json()["value"] == []


async def test_figures_follow_deleted_payments_and_canceled_invoices(
    bc: httpx.AsyncClient, setup: dict[str, Any]
) -> None:
    customer = setup["customer"]
    before = (await bc.get(f"customers({customer['id']})")).json()
    invoice = await created(bc, "salesInvoices", {"customerId": customer["id"]})
    await created(
        bc, "salesInvoiceLines", {"documentId": invoice["id"], "itemId": setup["item"]["id"]}
    )
    assert (await action(bc, "salesInvoices", invoice["id"], "post")).status_code == 204
    after_posting = (await bc.get(f"customers({customer['id']})")).json()
    assert after_posting["@odata.etag"] == before["@odata.etag"]  # the customer is unchanged
    assert after_posting["balanceDue"] == 1000.0
    payment = await created(
        bc,
        "customerPayments",
        {"customerId": customer["id"], "amount": 1000, "appliesToInvoiceId": invoice["id"]},
    )
    details = f"customers({customer['id']})/customerFinancialDetail"
    assert (await bc.get(details)).json()["balance"] == 0.0
    removed = await bc.delete(f"customerPayments({payment['id']})", headers={"If-Match": "*"})
    assert removed.status_code == 204
    assert (await bc.get(details)).json()["balance"] == 1000.0
    reopened = (await bc.get(f"salesInvoices({invoice['id']})")).json()
    assert (reopened["status"], reopened["remainingAmount"]) == ("Open", 1000.0)
    assert (await action(bc, "salesInvoices", invoice["id"], "cancel")).status_code == 204
    figures = (await bc.get(details)).json()
    assert (figures["balance"], figures["totalSalesExcludingTax"]) == (0.0, 0.0)

"""Dataverse business rules: quote states, the submitted-to-ERP lock, win/close/revise,
sales order and invoice states, document totals."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sandbox.reference import PRICE_LIST_ID

RETURN = {"Prefer": "return=representation"}
SUBMITTED, APPROVED, REJECTED = 100000000, 100000001, 100000002


async def post(
    dataverse: httpx.AsyncClient, entity_set: str, body: dict[str, Any]
) -> dict[str, Any]:
    response = await dataverse.post(entity_set, json=body, headers=RETURN)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def get(dataverse: httpx.AsyncClient, path: str) -> dict[str, Any]:
    response = await dataverse.get(path)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.fixture
async def quote(dataverse: httpx.AsyncClient) -> dict[str, Any]:
    account = await post(dataverse, "accounts", {"name": "Quote Customer"})
    product = await post(
        dataverse, "products", {"name": "Widget", "productnumber": "W-1", "price": 25.0}
    )
    created = await post(
        dataverse,
        "quotes",
        {
            "name": "Widgets for Quote Customer",
            "customerid_account@odata.bind": f"/accounts({account['accountid']})",
            "pricelevelid@odata.bind": f"/pricelevels({PRICE_LIST_ID})",
        },
    )
    line = await post(
        dataverse,
        "quotedetails",
        {
            "quoteid@odata.bind": f"/quotes({created['quoteid']})",
            "productid@odata.bind": f"/products({product['productid']})",
            "quantity": 4,
        },
    )
    assert line["priceperunit"] == 25.0
    assert line["extendedamount"] == 100.0
    return {**created, "line": line, "product": product}


async def test_new_quote_is_a_numbered_draft_with_totals(
    dataverse: httpx.AsyncClient, quote: dict[str, Any]
) -> None:
    assert quote["statecode"] == 0
    assert quote["statuscode"] == 1
    assert quote["quotenumber"].startswith("QUO-")
    assert quote["revisionnumber"] == 0
    current = await get(dataverse, f"quotes({quote['quoteid']})")
    assert current["totallineitemamount"] == 100.0
    assert current["totalamount"] == 100.0
    await dataverse.patch(f"quotes({quote['quoteid']})", json={"discountamount": 10})
    assert (await get(dataverse, f"quotes({quote['quoteid']})"))["totalamount"] == 90.0


async def test_submitted_quote_is_read_only_until_approved(
    dataverse: httpx.AsyncClient, quote: dict[str, Any]
) -> None:
    key = f"quotes({quote['quoteid']})"
    assert (await dataverse.patch(key, json={"statuscode": SUBMITTED})).status_code == 204
    for body in ({"name": "Sneaky edit"}, {"statecode": 1}, {"statuscode": 1}):
        locked = await dataverse.patch(key, json=body)
        assert locked.status_code == 400, body
        assert locked.json()["error"]["code"] == "0x80040265"
        assert "submitted to the ERP" in locked.json()["error"]["message"]
    line_edit = await dataverse.patch(
        f"quotedetails({quote['line']['quotedetailid']})", json={"quantity": 9}
    )
    assert line_edit.status_code == 400
    assert (await dataverse.delete(key)).status_code == 400
    current = await get(dataverse, key)
    assert current["name"] == quote["name"]
    assert current["totalamount"] == 100.0

    assert (await dataverse.patch(key, json={"statuscode": APPROVED})).status_code == 204
    assert (
        await dataverse.patch(key, json={"description": "approved, editable"})
    ).status_code == 204
    assert (await dataverse.patch(key, json={"statecode": 1})).status_code == 204
    active = await get(dataverse, key)
    assert (active["statecode"], active["statuscode"]) == (1, 2)


async def test_rejected_quote_can_be_edited_and_resubmitted(
    dataverse: httpx.AsyncClient, quote: dict[str, Any]
) -> None:
    key = f"quotes({quote['quoteid']})"
    await dataverse.patch(key, json={"statuscode": SUBMITTED})
    assert (await dataverse.patch(key, json={"statuscode": REJECTED})).status_code == 204
    assert (await dataverse.patch(key, json={"name": "Revised offer"})).status_code == 204
    assert (await dataverse.patch(key, json={"statuscode": SUBMITTED})).status_code == 204


async def test_only_a_submitted_quote_can_be_approved(
    dataverse: httpx.AsyncClient, quote: dict[str, Any]
) -> None:
    response = await dataverse.patch(f"quotes({quote['quoteid']})", json={"statuscode": APPROVED})
    assert response.status_code == 400


async def test_win_requires_an_active_quote_and_makes_it_final(
    dataverse: httpx.AsyncClient, quote: dict[str, Any]
) -> None:
    key = f"quotes({quote['quoteid']})"
    win = {
        "QuoteClose": {"subject": "Won", "quoteid@odata.bind": f"/quotes({quote['quoteid']})"},
        "Status": -1,
    }
    draft = await dataverse.post("WinQuote", json=win)
    assert draft.status_code == 400
    await dataverse.patch(key, json={"statecode": 1})
    active = await get(dataverse, key)
    assert (await dataverse.patch(key, json={"name": "edit while active"})).status_code == 400
    assert (await dataverse.post("WinQuote", json=win)).status_code == 204
    won = await get(dataverse, key)
    assert (won["statecode"], won["statuscode"]) == (2, 4)
    assert won["closedon"] is not None
    assert won["versionnumber"] > active["versionnumber"]
    assert (await dataverse.patch(key, json={"name": "too late"})).status_code == 400
    assert (await dataverse.post("WinQuote", json=win)).status_code == 400


async def test_close_and_revise(dataverse: httpx.AsyncClient, quote: dict[str, Any]) -> None:
    key = f"quotes({quote['quoteid']})"
    await dataverse.patch(key, json={"statecode": 1})
    revised = await dataverse.post(
        "ReviseQuote", json={"QuoteId": quote["quoteid"], "ColumnSet": {"AllColumns": True}}
    )
    assert revised.status_code == 200, revised.text
    copy = revised.json()
    assert copy["quoteid"] != quote["quoteid"]
    assert copy["quotenumber"] == quote["quotenumber"]
    assert copy["revisionnumber"] == 1
    assert (copy["statecode"], copy["statuscode"]) == (0, 1)
    original = await get(dataverse, key)
    assert (original["statecode"], original["statuscode"]) == (3, 7)
    lines = await get(dataverse, f"quotes({copy['quoteid']})/quote_details")
    assert [line["quantity"] for line in lines["value"]] == [4.0]
    copy_key = f"quotes({copy['quoteid']})"
    await dataverse.patch(copy_key, json={"statecode": 1})
    close = {"QuoteClose": {"quoteid@odata.bind": f"/quotes({copy['quoteid']})"}, "Status": 6}
    assert (await dataverse.post("CloseQuote", json=close)).status_code == 204
    closed = await get(dataverse, copy_key)
    assert (closed["statecode"], closed["statuscode"]) == (3, 6)
    bad = {"QuoteClose": {"quoteid@odata.bind": f"/quotes({copy['quoteid']})"}, "Status": 4}
    assert (await dataverse.post("CloseQuote", json=bad)).status_code == 400


async def test_state_changes_through_patch_are_checked(
    dataverse: httpx.AsyncClient, quote: dict[str, Any]
) -> None:
    key = f"quotes({quote['quoteid']})"
    assert (await dataverse.patch(key, json={"statecode": 2})).status_code == 400
    mismatch = await dataverse.patch(key, json={"statecode": 1, "statuscode": 4})
    assert mismatch.status_code == 400
    assert "not a valid status code" in mismatch.json()["error"]["message"]


async def test_sales_order_submit_fulfil_invoice(dataverse: httpx.AsyncClient) -> None:
    account = await post(dataverse, "accounts", {"name": "Order Customer"})
    order = await post(
        dataverse,
        "salesorders",
        {"name": "Order", "customerid_account@odata.bind": f"/accounts({account['accountid']})"},
    )
    key = f"salesorders({order['salesorderid']})"
    assert order["ordernumber"].startswith("ORD-")
    assert (await dataverse.patch(key, json={"statecode": 1})).status_code == 204
    submitted = await get(dataverse, key)
    assert (submitted["statecode"], submitted["statuscode"]) == (1, 3)
    assert submitted["submitdate"] is not None
    assert (await dataverse.patch(key, json={"name": "changed"})).status_code == 400
    fulfil = {
        "OrderClose": {"salesorderid@odata.bind": f"/salesorders({order['salesorderid']})"},
        "Status": 100001,
    }
    assert (await dataverse.post("FulfillSalesOrder", json=fulfil)).status_code == 204
    assert (await get(dataverse, key))["statecode"] == 3
    assert (await dataverse.patch(key, json={"statecode": 4})).status_code == 204
    invoiced = await get(dataverse, key)
    assert (invoiced["statecode"], invoiced["statuscode"]) == (4, 100003)


async def test_invoice_billed_then_paid_partial_then_complete(dataverse: httpx.AsyncClient) -> None:
    account = await post(dataverse, "accounts", {"name": "Invoice Customer"})
    invoice = await post(
        dataverse,
        "invoices",
        {
            "name": "PS-INV1001",
            "invoicenumber": "PS-INV1001",
            "statuscode": 4,
            "customerid_account@odata.bind": f"/accounts({account['accountid']})",
        },
    )
    key = f"invoices({invoice['invoiceid']})"
    assert invoice["invoicenumber"] == "PS-INV1001"
    assert invoice["statuscode"] == 4
    assert (
        await dataverse.patch(key, json={"statecode": 2, "statuscode": 100002})
    ).status_code == 204
    assert (await dataverse.patch(key, json={"statuscode": 100001})).status_code == 204
    paid = await get(dataverse, key)
    assert (paid["statecode"], paid["statuscode"]) == (2, 100001)
    assert (await dataverse.patch(key, json={"name": "edit after payment"})).status_code == 400
    assert (await dataverse.patch(key, json={"statecode": 0})).status_code == 400


async def test_convert_quote_to_sales_order(
    dataverse: httpx.AsyncClient, quote: dict[str, Any]
) -> None:
    key = f"quotes({quote['quoteid']})"
    draft = await dataverse.post("ConvertQuoteToSalesOrder", json={"QuoteId": quote["quoteid"]})
    assert draft.status_code == 400
    await dataverse.patch(key, json={"statecode": 1})
    response = await dataverse.post(
        "ConvertQuoteToSalesOrder",
        json={"QuoteId": quote["quoteid"], "ColumnSet": {"AllColumns": True}},
    )
    assert response.status_code == 200, response.text
    order = response.json()
    assert order["_quoteid_value"] == quote["quoteid"]
    assert order["ordernumber"].startswith("ORD-")
    assert (order["statecode"], order["totalamount"]) == (0, 100.0)
    lines = await get(dataverse, f"salesorders({order['salesorderid']})/order_details")
    assert [line["extendedamount"] for line in lines["value"]] == [100.0]
    won = await get(dataverse, key)
    assert (won["statecode"], won["statuscode"]) == (2, 4)


async def test_close_incident(dataverse: httpx.AsyncClient) -> None:
    account = await post(dataverse, "accounts", {"name": "Case Customer"})
    case = await post(
        dataverse,
        "incidents",
        {"title": "Broken", "customerid_account@odata.bind": f"/accounts({account['accountid']})"},
    )
    assert case["ticketnumber"].startswith("CAS-")
    resolution = {
        "IncidentResolution": {
            "subject": "Fixed",
            "incidentid@odata.bind": f"/incidents({case['incidentid']})",
        },
        "Status": 5,
    }
    assert (await dataverse.post("CloseIncident", json=resolution)).status_code == 204
    resolved = await get(dataverse, f"incidents({case['incidentid']})")
    assert (resolved["statecode"], resolved["statuscode"]) == (1, 5)

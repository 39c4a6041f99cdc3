"""Sandbox rules the cross-system lifecycles rely on: Business Central's Reopen of an approved
or rejected quote, and the dates the back office writes on a submitted Dynamics 365 order."""

from __future__ import annotations

from typing import Any

import httpx


async def _created(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(path, json=body)
    assert response.status_code in (200, 201, 204), response.text
    found: dict[str, Any] = response.json()
    return found


async def _action(bc: httpx.AsyncClient, key: str, name: str) -> httpx.Response:
    return await bc.post(f"salesQuotes({key})/Microsoft.NAV.{name}")


async def test_reopen_makes_an_approved_or_rejected_quote_editable(bc: httpx.AsyncClient) -> None:
    customer = await _created(bc, "customers", {"displayName": "Reopen Ltd."})
    quote = await _created(bc, "salesQuotes", {"customerId": customer["id"]})
    key = quote["id"]
    assert (await _action(bc, key, "reopen")).status_code == 400  # already open
    assert (await _action(bc, key, "approve")).status_code == 204
    assert (await _action(bc, key, "reopen")).status_code == 204
    reopened = (await bc.get(f"salesQuotes({key})")).json()
    assert reopened["approvalStatus"] == "Open"
    edit = await bc.patch(
        f"salesQuotes({key})",
        json={"externalDocumentNumber": "v2"},
        headers={"If-Match": reopened["@odata.etag"]},
    )
    assert edit.status_code == 200
    assert (await _action(bc, key, "reject")).status_code == 204
    assert (await _action(bc, key, "reopen")).status_code == 204
    assert (await bc.get(f"salesQuotes({key})")).json()["approvalStatus"] == "Open"
    assert (await _action(bc, key, "approve")).status_code == 204
    assert (await _action(bc, key, "confirm")).status_code == 204
    refused = await _action(bc, key, "reopen")
    assert refused.status_code == 400
    assert "accepted" in refused.json()["error"]["message"]


async def test_a_submitted_order_takes_back_office_dates_only(
    dataverse: httpx.AsyncClient,
) -> None:
    account = await dataverse.post("accounts", json={"name": "Dates Inc."})
    account_id = account.headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")
    created = await dataverse.post(
        "salesorders",
        json={"name": "Order", "customerid_account@odata.bind": f"/accounts({account_id})"},
        headers={"Prefer": "return=representation"},
    )
    key = f"salesorders({created.json()['salesorderid']})"
    assert (await dataverse.patch(key, json={"statecode": 1})).status_code == 204
    dated = await dataverse.patch(key, json={"requestdeliveryby": "2031-03-01T00:00:00Z"})
    assert dated.status_code == 204
    order = (await dataverse.get(key)).json()
    assert order["requestdeliveryby"].startswith("2031-03-01")
    assert order["statecode"] == 1
    named = await dataverse.patch(key, json={"name": "changed", "requestdeliveryby": None})
    assert named.status_code == 400
    assert (await dataverse.get(key)).json()["name"] == "Order"

"""Business Central queries: server-driven paging, $skip/$top, $filter, $orderby, $expand of
lines, and JSON `$batch` with atomicity."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support_sandbox import SandboxHandle


async def customers(bc: httpx.AsyncClient, count: int) -> list[dict[str, Any]]:
    made = []
    for index in range(count):
        response = await bc.post(
            "customers",
            json={"displayName": f"Customer {index:02d}", "city": "Oslo" if index % 2 else "Lyon"},
        )
        assert response.status_code == 201
        made.append(response.json())
    return made


async def test_server_driven_paging(bc: httpx.AsyncClient) -> None:
    made = await customers(bc, 11)
    headers = {"Prefer": "odata.maxpagesize=4"}
    response = await bc.get("customers", params={"$select": "number,displayName"}, headers=headers)
    assert response.headers["Preference-Applied"] == "odata.maxpagesize=4"
    seen: list[str] = []
    while True:
        body = response.json()
        assert len(body["value"]) <= 4
        seen += [row["id"] for row in body["value"]]
        if "@odata.nextLink" not in body:
            break
        response = await bc.get(body["@odata.nextLink"], headers=headers)
    assert sorted(seen) == sorted(row["id"] for row in made)


async def test_skip_top_orderby_filter(bc: httpx.AsyncClient) -> None:
    await customers(bc, 8)
    response = await bc.get(
        "customers",
        params={
            "$filter": "city eq 'Oslo'",
            "$orderby": "displayName desc",
            "$skip": "1",
            "$top": "2",
            "$count": "true",
        },
    )
    body = response.json()
    assert body["@odata.count"] == 4
    assert [row["displayName"] for row in body["value"]] == ["Customer 05", "Customer 03"]


async def test_watermark_filter_on_last_modified(bc: httpx.AsyncClient) -> None:
    made = await customers(bc, 6)
    watermark = made[2]["lastModifiedDateTime"]
    response = await bc.get(
        "customers",
        params={
            "$filter": f"lastModifiedDateTime gt {watermark}",
            "$orderby": "lastModifiedDateTime",
        },
        headers={"Prefer": "odata.maxpagesize=2"},
    )
    rows: list[dict[str, Any]] = []
    while True:
        rows += response.json()["value"]
        link = response.json().get("@odata.nextLink")
        if link is None:
            break
        response = await bc.get(link, headers={"Prefer": "odata.maxpagesize=2"})
    assert [row["id"] for row in rows] == [row["id"] for row in made[3:]]


async def test_expand_lines_and_navigate(bc: httpx.AsyncClient, sandbox: SandboxHandle) -> None:
    await sandbox.seed(accounts=8, seed=5)
    quotes = (
        await bc.get("salesQuotes", params={"$expand": "salesQuoteLines", "$top": "3"})
    ).json()["value"]
    assert quotes
    for quote in quotes:
        lines = quote["salesQuoteLines"]
        assert lines
        assert all(line["documentId"] == quote["id"] for line in lines)
        assert [line["sequence"] for line in lines] == sorted(line["sequence"] for line in lines)
        total = round(sum(line["amountExcludingTax"] for line in lines), 2)
        assert total == quote["totalAmountExcludingTax"]
    line = quotes[0]["salesQuoteLines"][0]
    direct = await bc.get(f"salesQuotes({quotes[0]['id']})/salesQuoteLines({line['id']})")
    assert direct.status_code == 200
    assert direct.json()["id"] == line["id"]
    customer = await bc.get(f"salesQuotes({quotes[0]['id']})/customer")
    assert customer.json()["id"] == quotes[0]["customerId"]


async def test_json_batch_atomicity_group(bc: httpx.AsyncClient, sandbox: SandboxHandle) -> None:
    prefix = f"companies({sandbox.company_id})"
    batch = {
        "requests": [
            {
                "id": "1",
                "method": "POST",
                "url": f"{prefix}/customers",
                "atomicityGroup": "g",
                "headers": {"Content-Type": "application/json"},
                "body": {"displayName": "Batch A"},
            },
            {
                "id": "2",
                "method": "POST",
                "url": f"{prefix}/customers",
                "atomicityGroup": "g",
                "headers": {"Content-Type": "application/json"},
                "body": {"displayName": "Batch B", "creditLimit": "x"},
            },
            {"id": "3", "method": "GET", "url": f"{prefix}/customers?$select=displayName"},
            {
                "id": "4",
                "method": "POST",
                "url": f"{prefix}/customers",
                "dependsOn": ["2"],
                "body": {"displayName": "Never"},
            },
        ]
    }
    response = await bc.post(f"{sandbox.bc_api}$batch", json=batch)
    assert response.status_code == 200
    statuses = {entry["id"]: entry["status"] for entry in response.json()["responses"]}
    assert statuses == {"1": 201, "2": 400, "3": 200, "4": 424}
    assert (await bc.get("customers")).json()["value"] == []


async def test_json_batch_isolation_snapshot_and_references(
    bc: httpx.AsyncClient, sandbox: SandboxHandle
) -> None:
    prefix = f"companies({sandbox.company_id})"
    item = (await bc.post("items", json={"displayName": "Batch item", "unitPrice": 10})).json()
    customer = (await bc.post("customers", json={"displayName": "Batch customer"})).json()
    ok = {
        "requests": [
            {
                "id": "q",
                "method": "POST",
                "url": f"{prefix}/salesQuotes",
                "body": {"customerId": customer["id"]},
            },
            {
                "id": "l",
                "method": "POST",
                "url": "$q/salesQuoteLines",
                "dependsOn": ["q"],
                "body": {"itemId": item["id"], "quantity": 5},
            },
        ]
    }
    response = await bc.post(f"{sandbox.bc_api}$batch", json=ok, headers={"Isolation": "snapshot"})
    statuses = [entry["status"] for entry in response.json()["responses"]]
    assert statuses == [201, 201]
    [quote] = (await bc.get("salesQuotes")).json()["value"]
    assert quote["totalAmountExcludingTax"] == 50.0
    failing = {
        "requests": [
            {
                "id": "a",
                "method": "PATCH",
                "url": f"{prefix}/items({item['id']})",
                "headers": {"If-Match": "*"},
                "body": {"displayName": "Renamed"},
            },
            {
                "id": "b",
                "method": "PATCH",
                "url": f"{prefix}/items({item['id']})",
                "body": {"displayName": "No etag"},
            },
        ]
    }
    response = await bc.post(
        f"{sandbox.bc_api}$batch", json=failing, headers={"Isolation": "snapshot"}
    )
    assert [entry["status"] for entry in response.json()["responses"]] == [200, 400]
    assert (await bc.get(f"items({item['id']})")).json()["displayName"] == "Batch item"

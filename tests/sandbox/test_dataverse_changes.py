"""Dataverse change tracking: delta links across creates, updates and deletes."""

from __future__ import annotations

from typing import Any

import httpx

TRACK = {"Prefer": "odata.track-changes"}


async def new_account(dataverse: httpx.AsyncClient, name: str) -> str:
    response = await dataverse.post("accounts", json={"name": name})
    assert response.status_code == 204
    return response.headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")


async def follow(
    dataverse: httpx.AsyncClient, link: str, page_size: int | None = None
) -> tuple[list[dict[str, Any]], str]:
    """Every entry of a delta (over its pages) and the next delta link."""
    headers = {"Prefer": f"odata.maxpagesize={page_size}"} if page_size else {}
    entries: list[dict[str, Any]] = []
    while True:
        response = await dataverse.get(link, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["@odata.context"].endswith("/$delta")
        entries += body["value"]
        if "@odata.deltaLink" in body:
            return entries, body["@odata.deltaLink"]
        link = body["@odata.nextLink"]


async def test_delta_link_reports_creates_updates_and_deletes(dataverse: httpx.AsyncClient) -> None:
    kept = await new_account(dataverse, "Kept")
    changed = await new_account(dataverse, "Changed")
    doomed = await new_account(dataverse, "Doomed")
    initial = await dataverse.get("accounts", params={"$select": "name"}, headers=TRACK)
    assert initial.headers["Preference-Applied"] == "odata.track-changes"
    body = initial.json()
    assert {row["accountid"] for row in body["value"]} == {kept, changed, doomed}
    delta_link = body["@odata.deltaLink"]
    assert "$deltatoken=" in delta_link
    assert "$select=name" in delta_link

    nothing, delta_link = await follow(dataverse, delta_link)
    assert nothing == []

    assert (
        await dataverse.patch(f"accounts({changed})", json={"name": "Changed!"})
    ).status_code == 204
    assert (await dataverse.delete(f"accounts({doomed})")).status_code == 204
    created = await new_account(dataverse, "Created")

    entries, delta_link = await follow(dataverse, delta_link)
    upserts = {entry["accountid"]: entry for entry in entries if "accountid" in entry}
    assert set(upserts) == {changed, created}
    assert upserts[changed]["name"] == "Changed!"
    assert set(upserts[changed]) == {"@odata.etag", "name", "accountid"}
    deleted = [entry for entry in entries if "accountid" not in entry]
    assert deleted == [
        {
            "@odata.context": f"{dataverse.base_url}$metadata#accounts/$deletedEntity",
            "id": doomed,
            "reason": "deleted",
        }
    ]
    again, _ = await follow(dataverse, delta_link)
    assert again == []


async def test_initial_and_delta_results_page(dataverse: httpx.AsyncClient) -> None:
    ids = [await new_account(dataverse, f"Bulk {index}") for index in range(9)]
    headers = {"Prefer": "odata.track-changes,odata.maxpagesize=4"}
    response = await dataverse.get("accounts", params={"$select": "name"}, headers=headers)
    seen: list[str] = [row["accountid"] for row in response.json()["value"]]
    assert "@odata.deltaLink" not in response.json()
    rows, delta_link = await follow(dataverse, response.json()["@odata.nextLink"], 4)
    seen += [row["accountid"] for row in rows]
    assert sorted(seen) == sorted(ids)
    for account in ids[:5]:
        await dataverse.patch(f"accounts({account})", json={"name": "touched"})
    entries, _ = await follow(dataverse, delta_link, 2)
    assert sorted(entry["accountid"] for entry in entries) == sorted(ids[:5])


async def test_change_tracking_disabled_table(dataverse: httpx.AsyncClient) -> None:
    response = await dataverse.get("incidents", headers=TRACK)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "Entity: incident isn't enabled for change tracking."
    )


async def test_change_tracking_accepts_select_only(dataverse: httpx.AsyncClient) -> None:
    response = await dataverse.get("accounts", params={"$filter": "statecode eq 0"}, headers=TRACK)
    assert response.status_code == 400
    assert "$filter" in response.json()["error"]["message"]


async def test_bad_delta_token(dataverse: httpx.AsyncClient) -> None:
    response = await dataverse.get("accounts", params={"$deltatoken": "%%%"})
    assert response.status_code == 400

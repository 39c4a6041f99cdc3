"""Dataverse Web API queries: $select, $filter, $orderby, $top, $count, $expand, paging, $apply."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support_sandbox import SandboxHandle


async def make_accounts(
    dataverse: httpx.AsyncClient, count: int, prefix: str = "Acct"
) -> list[str]:
    ids = []
    for index in range(count):
        response = await dataverse.post(
            "accounts",
            json={
                "name": f"{prefix} {index:03d}",
                "accountnumber": f"N{index:03d}",
                "revenue": float(index * 100),
                "numberofemployees": index % 3,
            },
        )
        assert response.status_code == 204
        ids.append(response.headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")"))
    return ids


async def all_pages(
    dataverse: httpx.AsyncClient, url: str, params: dict[str, str], page_size: int
) -> tuple[list[dict[str, Any]], int]:
    headers = {"Prefer": f"odata.maxpagesize={page_size}"}
    response = await dataverse.get(url, params=params, headers=headers)
    pages, rows = 1, []
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["value"]) <= page_size
        rows += body["value"]
        link = body.get("@odata.nextLink")
        if link is None:
            return rows, pages
        assert "$skip=" not in link
        assert "$skiptoken=" in link
        response = await dataverse.get(link, headers=headers)
        pages += 1


async def test_paging_with_next_links_returns_every_record_once(
    dataverse: httpx.AsyncClient,
) -> None:
    ids = await make_accounts(dataverse, 23)
    first = await dataverse.get(
        "accounts", params={"$select": "name"}, headers={"Prefer": "odata.maxpagesize=10"}
    )
    assert first.headers["Preference-Applied"] == "odata.maxpagesize=10"
    rows, pages = await all_pages(dataverse, "accounts", {"$select": "name"}, 10)
    assert pages == 3
    assert sorted(row["accountid"] for row in rows) == sorted(ids)


async def test_filtered_and_ordered_paging(dataverse: httpx.AsyncClient) -> None:
    await make_accounts(dataverse, 30)
    rows, pages = await all_pages(
        dataverse,
        "accounts",
        {
            "$select": "name,revenue",
            "$filter": "revenue ge 1000 and revenue lt 2500",
            "$orderby": "revenue desc",
        },
        4,
    )
    assert [row["revenue"] for row in rows] == [float(v) for v in range(2400, 999, -100)]
    assert pages == 4


async def test_paging_by_modifiedon_watermark(dataverse: httpx.AsyncClient) -> None:
    ids = await make_accounts(dataverse, 12)
    rows, _ = await all_pages(
        dataverse,
        "accounts",
        {
            "$select": "name,modifiedon",
            "$filter": "modifiedon ge 2000-01-01T00:00:00Z",
            "$orderby": "modifiedon asc",
        },
        5,
    )
    mine = [row for row in rows if row["accountid"] in ids]
    assert len(mine) == 12
    assert [row["modifiedon"] for row in rows] == sorted(row["modifiedon"] for row in rows)


async def test_top_count_and_count_segment(dataverse: httpx.AsyncClient) -> None:
    await make_accounts(dataverse, 7)
    response = await dataverse.get(
        "accounts",
        params={
            "$select": "name",
            "$top": "3",
            "$count": "true",
            "$filter": "startswith(name,'acct')",
        },
    )
    body = response.json()
    assert body["@odata.count"] == 7
    assert len(body["value"]) == 3
    assert "@odata.nextLink" not in body
    counted = await dataverse.get("accounts/$count", params={"$filter": "numberofemployees eq 0"})
    assert counted.text == "3"


async def test_in_query_function_fetches_a_batch_by_id(dataverse: httpx.AsyncClient) -> None:
    ids = await make_accounts(dataverse, 60)
    wanted = ids[::2]
    values = ",".join(f"'{i}'" for i in wanted)
    query = f"Microsoft.Dynamics.CRM.In(PropertyName='accountid',PropertyValues=[{values}])"
    response = await dataverse.get("accounts", params={"$select": "name", "$filter": query})
    assert sorted(row["accountid"] for row in response.json()["value"]) == sorted(wanted)


async def test_expand_collection_of_lines(
    dataverse: httpx.AsyncClient, sandbox: SandboxHandle
) -> None:
    await sandbox.seed(accounts=6, seed=3)
    response = await dataverse.get(
        "quotes",
        params={
            "$select": "name,totallineitemamount",
            "$expand": "quote_details($select=extendedamount,quantity)",
            "$top": "2",
        },
    )
    quotes = response.json()["value"]
    assert quotes
    for quote in quotes:
        assert quote["quote_details"], quote
        total = round(sum(line["extendedamount"] for line in quote["quote_details"]), 2)
        assert total == pytest.approx(quote["totallineitemamount"])


async def test_navigation_paths(dataverse: httpx.AsyncClient, sandbox: SandboxHandle) -> None:
    await sandbox.seed(accounts=6, seed=3)
    quote = (await dataverse.get("quotes", params={"$top": "1", "$select": "name"})).json()[
        "value"
    ][0]
    lines = await dataverse.get(f"quotes({quote['quoteid']})/quote_details")
    assert lines.status_code == 200
    assert all(line["_quoteid_value"] == quote["quoteid"] for line in lines.json()["value"])
    owner = await dataverse.get(
        f"quotes({quote['quoteid']})/ownerid", params={"$select": "fullname"}
    )
    assert owner.status_code == 200
    assert owner.json()["fullname"]


async def test_apply_groupby_counts_open_records_per_account(dataverse: httpx.AsyncClient) -> None:
    accounts = await make_accounts(dataverse, 3)
    layout = {accounts[0]: 3, accounts[1]: 1}
    for account, opportunities in layout.items():
        for index in range(opportunities):
            response = await dataverse.post(
                "opportunities",
                json={
                    "name": f"Deal {index}",
                    "parentaccountid@odata.bind": f"/accounts({account})",
                    "customerid_account@odata.bind": f"/accounts({account})",
                },
            )
            assert response.status_code == 204
    ids = ",".join(f"'{a}'" for a in accounts)
    response = await dataverse.get(
        "opportunities",
        params={
            "$apply": "filter(statecode eq 0 and Microsoft.Dynamics.CRM.In(PropertyName="
            f"'parentaccountid',PropertyValues=[{ids}]))/groupby((_parentaccountid_value),"
            "aggregate($count as count))"
        },
    )
    assert response.status_code == 200, response.text
    counts = {row["_parentaccountid_value"]: row["count"] for row in response.json()["value"]}
    assert counts == layout


async def test_apply_aggregate_sum(dataverse: httpx.AsyncClient) -> None:
    await make_accounts(dataverse, 4)
    response = await dataverse.get(
        "accounts", params={"$apply": "aggregate(revenue with sum as total,$count as n)"}
    )
    assert response.json()["value"] == [{"total": 600.0, "n": 4}]


@pytest.mark.parametrize(
    ("params", "status", "fragment"),
    [
        ({"$filter": "name eqq 'x'"}, 400, "Syntax error"),
        ({"$orderby": "nosuch desc"}, 400, "nosuch"),
        ({"$top": "-1"}, 400, "$top"),
        ({"$skip": "5"}, 400, "$skip"),
        ({"$expand": "nosuchnav"}, 400, "nosuchnav"),
        ({"$apply": "groupby(name)"}, 400, "$apply"),
    ],
)
async def test_bad_query_options(
    dataverse: httpx.AsyncClient, params: dict[str, str], status: int, fragment: str
) -> None:
    response = await dataverse.get("accounts", params=params)
    assert response.status_code == status
    assert fragment in response.json()["error"]["message"]


async def test_bad_page_size_preference(dataverse: httpx.AsyncClient) -> None:
    response = await dataverse.get("accounts", headers={"Prefer": "odata.maxpagesize=0"})
    assert response.status_code == 400

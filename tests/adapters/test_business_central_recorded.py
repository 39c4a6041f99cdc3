"""The Business Central connector against recorded API v2.0 answers (shapes from the docs)."""

from __future__ import annotations

import re

import httpx
import orjson
import pytest

from adapters.base import Create, Update
from adapters.errors import ConflictError, NotFoundError, ValidationError
from adapters.odata.watermark import Watermark
from tests.adapters.recorded import (
    BC_API,
    COMPANY,
    business_central,
    guid,
    json_response,
    odata_error,
    path_of,
    query_of,
)

IDS_IN_FILTER = re.compile(r"id eq ([0-9a-f-]{36})")


def customer(
    id: str, name: str = "Coho Winery", modified: str = "2020-08-21T07:38:44.293Z"
) -> dict[str, object]:
    return {
        "@odata.etag": 'W/"JzQ0O0pUdEd5"',
        "id": id,
        "number": "10000",
        "displayName": name,
        "currencyCode": "USD",
        "lastModifiedDateTime": modified,
    }


def collection(values: list[dict[str, object]], next_link: str | None = None) -> httpx.Response:
    body: dict[str, object] = {
        "@odata.context": f"{BC_API}$metadata#companies({COMPANY})/customers",
        "value": values,
    }
    if next_link:
        body["@odata.nextLink"] = next_link
    return json_response(200, body)


async def test_the_first_company_is_used_when_none_is_configured() -> None:
    record_id = guid()

    def api(request: httpx.Request) -> httpx.Response:
        if path_of(request).endswith("/api/v2.0/companies"):
            return collection(
                [{"id": COMPANY, "name": "CRONUS USA, Inc."}, {"id": guid(), "name": "My Company"}]
            )
        assert path_of(request).endswith(f"/api/v2.0/companies({COMPANY})/customers({record_id})")
        return json_response(200, customer(record_id))

    connector, service = business_central(api)
    assert service.requests == []  # nothing is fetched until needed
    first = await connector.get("customer", record_id)
    await connector.get("customer", record_id)
    assert first.get("displayName") == "Coho Winery"
    assert first.modified_on is not None
    assert first.modified_on.microsecond == 293000
    assert [path_of(r).rsplit("/", 1)[-1] for r in service.requests] == [
        "companies",
        f"customers({record_id})",
        f"customers({record_id})",
    ]


async def test_updates_require_an_etag_unless_told_to_read_it() -> None:
    record_id = guid()

    def api(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return json_response(200, customer(record_id))
        assert request.headers["If-Match"] == 'W/"JzQ0O0pUdEd5"'
        return json_response(200, customer(record_id, "Coho Winery Inc."))

    connector, service = business_central(api, company_id=COMPANY)
    with pytest.raises(ValidationError, match="etag is required"):
        await connector.update("customer", record_id, {"displayName": "Coho Winery Inc."})
    with pytest.raises(ValidationError, match="etag is required"):
        await connector.delete("customer", record_id)
    assert service.requests == []
    updated = await connector.update(
        "customer", record_id, {"displayName": "Coho Winery Inc."}, etag='W/"JzQ0O0pUdEd5"'
    )
    assert updated.get("displayName") == "Coho Winery Inc."

    lenient, service = business_central(api, company_id=COMPANY, read_etag_when_missing=True)
    await lenient.update("customer", record_id, {"displayName": "Coho Winery Inc."})
    assert [r.method for r in service.requests] == ["GET", "PATCH"]


async def test_a_stale_etag_is_a_conflict() -> None:
    def api(request: httpx.Request) -> httpx.Response:
        return odata_error(
            412,
            "Request_EntityChanged",
            "Another user has already changed the record. CorrelationId: 0f4c1b59.",
        )

    connector, _ = business_central(api, company_id=COMPANY)
    with pytest.raises(ConflictError, match="Another user has already changed the record"):
        await connector.update("customer", guid(), {"displayName": "x"}, etag='W/"old"')


async def test_changes_use_last_modified_watermarks_and_page() -> None:
    a, b, c = guid(), guid(), guid()
    rows = [
        customer(a, modified="2020-08-21T07:38:44.293Z"),
        customer(b, modified="2020-08-21T07:40:00Z"),
        customer(c, modified="2020-08-21T07:40:00Z"),
    ]

    def api(request: httpx.Request) -> httpx.Response:
        query = query_of(request)
        assert request.headers["Prefer"] == "odata.maxpagesize=2"
        if "$skiptoken" in query:  # the server's next link, followed as given
            return collection(rows[2:])
        assert query["$orderby"] == "lastModifiedDateTime asc"
        if "$filter" in query:
            assert query["$filter"] == "lastModifiedDateTime ge 2020-08-21T07:40:00Z"
            return collection([rows[1], rows[2], customer(a, "Changed", "2020-08-21T08:00:00Z")])
        return collection(rows[:2], f"{BC_API}companies({COMPANY})/customers?$skiptoken=2")

    connector, _ = business_central(api, company_id=COMPANY)
    batches = [batch async for batch in connector.changes("customer", None, page_size=2)]
    assert [[r.id for r in batch.upserts] for batch in batches] == [[a, b], [c]]
    assert [batch.done for batch in batches] == [False, True]
    mark = Watermark.decode(batches[-1].token, system="test")
    assert mark.at == "2020-08-21T07:40:00Z"
    assert set(mark.seen) == {b, c}

    later = [batch async for batch in connector.changes("customer", batches[-1].token, page_size=2)]
    assert [r.get("displayName") for batch in later for r in batch.upserts] == ["Changed"]
    assert all(batch.deleted_ids == [] for batch in later)  # the API has no delete feed


async def test_customer_statistics_expand_financial_details_per_chunk() -> None:
    ids = [guid() for _ in range(60)]

    def api(request: httpx.Request) -> httpx.Response:
        query = query_of(request)
        assert query["$expand"] == "customerFinancialDetail"
        wanted = IDS_IN_FILTER.findall(query["$filter"])
        return collection(
            [
                {
                    **customer(i),
                    "customerFinancialDetail": {
                        "id": i,
                        "number": "10000",
                        "balance": 1250.5,
                        "totalSalesExcludingTax": 9800,
                        "overdueAmount": 120,
                    },
                }
                for i in wanted
            ]
        )

    connector, service = business_central(api, company_id=COMPANY)
    figures = await connector.customer_statistics([*ids, "nonsense"])
    assert set(figures) == set(ids)
    assert figures[ids[0]].balance == 1250.5
    assert figures[ids[0]].total_sales == 9800
    assert figures[ids[0]].overdue_amount == 120
    assert figures[ids[0]].currency_code == "USD"
    assert 2 <= len(service.requests) <= 3  # ~35 ids per URL of at most 2,048 characters
    assert all(len(str(r.url)) <= 2048 for r in service.requests)


async def test_write_many_sends_a_json_batch_relative_to_the_service_root() -> None:
    created, changed = guid(), guid()

    def api(request: httpx.Request) -> httpx.Response:
        assert path_of(request).endswith("/api/v2.0/$batch")
        assert request.headers["Content-Type"] == "application/json"
        payload = orjson.loads(request.content)
        assert [r["url"] for r in payload["requests"]] == [
            f"companies({COMPANY})/customers",
            f"companies({COMPANY})/customers({changed})",
        ]
        assert payload["requests"][1]["headers"]["If-Match"] == 'W/"JzQ0O0pUdEd5"'
        assert request.headers.get("Isolation") is None
        return json_response(
            200,
            {
                "responses": [
                    {"id": "1", "status": 201, "headers": {}, "body": customer(created, "New")},
                    {
                        "id": "2",
                        "status": 412,
                        "headers": {},
                        "body": {
                            "error": {
                                "code": "Request_EntityChanged",
                                "message": "Another user has already changed the record.",
                            }
                        },
                    },
                ]
            },
        )

    connector, service = business_central(api, company_id=COMPANY)
    results = await connector.write_many(
        [
            Create("customer", {"displayName": "New"}),
            Update("customer", changed, {"displayName": "x"}, etag='W/"JzQ0O0pUdEd5"'),
            Update("customer", changed, {"displayName": "no etag"}),
        ]
    )
    assert results[0].record is not None
    assert results[0].record.id == created
    assert isinstance(results[1].error, ConflictError)
    assert isinstance(results[2].error, ValidationError)
    assert len(service.requests) == 1


async def test_atomic_batches_ask_for_snapshot_isolation() -> None:
    def api(request: httpx.Request) -> httpx.Response:
        assert request.headers["Isolation"] == "snapshot"
        return json_response(
            200,
            {"responses": [{"id": "1", "status": 201, "headers": {}, "body": customer(guid())}]},
        )

    connector, _ = business_central(api, company_id=COMPANY)
    results = await connector.write_many([Create("customer", {"displayName": "x"})], atomic=True)
    assert results[0].ok


async def test_make_order_calls_the_bound_action_and_reads_the_order_it_points_to() -> None:
    quote, order = guid(), guid()

    def api(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            assert path_of(request).endswith(
                f"companies({COMPANY})/salesQuotes({quote})/Microsoft.NAV.makeOrder"
            )
            return httpx.Response(
                204, headers={"Location": f"{BC_API}companies({COMPANY})/salesOrders({order})"}
            )
        assert path_of(request).endswith(f"salesOrders({order})")
        return json_response(200, {"id": order, "number": "S-ORD101001", "status": "Draft"})

    connector, _ = business_central(api, company_id=COMPANY)
    record = await connector.transition("quote", quote, "Microsoft.NAV.makeOrder")
    assert record is not None
    assert (record.entity, record.id) == ("sales_order", order)


async def test_an_action_without_a_pointer_returns_the_record_or_none_when_it_is_gone() -> None:
    quote = guid()

    def api(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(204)
        return odata_error(404, "Internal_RecordNotFound", "The Sales Quote does not exist.")

    connector, service = business_central(api, company_id=COMPANY)
    assert await connector.transition("quote", quote, "makeOrder") is None
    with pytest.raises(
        ValidationError,
        match="known: approve, archive, confirm, makeInvoice, makeOrder, makeProject, reject, "
        "reopen, send",
    ):
        await connector.transition("quote", quote, "ship")
    with pytest.raises(NotFoundError, match="unknown entity 'account'"):
        await connector.transition("account", quote, "makeOrder")
    assert len(service.requests) == 2


async def test_read_only_resources_refuse_writes_before_sending() -> None:
    connector, service = business_central(
        lambda request: json_response(200, {}), company_id=COMPANY
    )
    with pytest.raises(ValidationError, match="customer_statistics is read-only"):
        await connector.create("customer_statistics", {"balance": 1})
    assert service.requests == []

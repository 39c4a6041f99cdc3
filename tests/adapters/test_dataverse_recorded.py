"""The Dataverse connector against recorded Web API answers (shapes from Microsoft's docs)."""

from __future__ import annotations

import math
import re

import httpx
import orjson
import pytest

from adapters.base import Create, Delete, Page, Update
from adapters.errors import ConflictError, ValidationError
from adapters.filters import Contains, eq
from tests.adapters.recorded import (
    DATAVERSE_API,
    dataverse,
    guid,
    json_response,
    odata_error,
    path_of,
    query_of,
)

GUID_IN_FILTER = re.compile(r"accountid eq ([0-9a-f-]{36})")
STALE = "The version of the existing record doesn't match the RowVersion property provided."


def account(
    id: str, name: str = "Contoso", modified: str = "2024-03-01T10:00:00Z"
) -> dict[str, object]:
    return {"@odata.etag": 'W/"1001"', "accountid": id, "name": name, "modifiedon": modified}


def page(values: list[dict[str, object]], **links: str) -> httpx.Response:
    body: dict[str, object] = {
        "@odata.context": f"{DATAVERSE_API}$metadata#accounts",
        "value": values,
    }
    body.update({f"@odata.{name}": link for name, link in links.items()})
    return json_response(200, body)


async def test_query_pages_through_next_links_with_the_same_page_size() -> None:
    rows = [account(guid(), f"Account {n}") for n in range(5)]

    def api(request: httpx.Request) -> httpx.Response:
        assert request.headers["Prefer"] == "odata.maxpagesize=2"
        assert request.headers["OData-Version"] == "4.0"
        start = int(query_of(request).get("$skiptoken", "0"))
        chunk = rows[start : start + 2]
        more = start + 2 < len(rows)
        links = (
            {"nextLink": f"{DATAVERSE_API}accounts?$select=name&$skiptoken={start + 2}"}
            if more
            else {}
        )
        return page(chunk, **links)

    connector, service = dataverse(api)
    names: list[str] = []
    cursor = None
    while True:
        result = await connector.query(
            "account", Contains("name", "Account"), Page(size=2, cursor=cursor)
        )
        names += [record.get("name") for record in result.records]
        cursor = result.next_cursor
        if cursor is None:
            break
    assert names == [f"Account {n}" for n in range(5)]
    assert len(service.requests) == 3
    first = query_of(service.requests[0])
    assert first["$filter"] == "contains(name,'Account')"
    assert "accountid" in first["$select"].split(",")


async def test_query_renders_filters_safely_and_counts() -> None:
    def api(request: httpx.Request) -> httpx.Response:
        return json_response(200, {"@odata.count": 1, "value": [account(guid(), "O'Brien & Sons")]})

    connector, service = dataverse(api)
    result = await connector.query(
        "account", eq("name", "O'Brien & Sons"), count=True, order_by=["name desc"]
    )
    assert result.total_count == 1
    assert query_of(service.requests[0])["$filter"] == "name eq 'O''Brien & Sons'"
    assert query_of(service.requests[0])["$orderby"] == "name desc"
    assert "%20" in str(service.requests[0].url)
    assert "+" not in str(service.requests[0].url.query)
    with pytest.raises(ValidationError, match="not a valid OData name"):
        await connector.query("account", eq("name) or (1 eq 1", "x"))


async def test_get_many_of_500_ids_costs_a_few_bounded_requests() -> None:
    existing = {guid() for _ in range(500)}

    def api(request: httpx.Request) -> httpx.Response:
        assert len(str(request.url)) <= 2048
        wanted = GUID_IN_FILTER.findall(query_of(request)["$filter"])
        return page([account(i) for i in wanted if i in existing])

    connector, service = dataverse(api)
    ids = sorted(existing)
    found = await connector.get_many("account", [*ids, guid(), "not-a-guid"])
    assert set(found) == existing
    assert found[ids[0]].etag == 'W/"1001"'
    # ~57 encoded characters per id within 2,048 per URL: about 30 ids per request.
    assert len(service.requests) <= math.ceil(500 / 25)
    assert len(service.requests) >= math.ceil(500 / 40)


async def test_change_tracking_reads_pages_then_delta_with_deletions() -> None:
    first, second, third = guid(), guid(), guid()
    delta = (
        f"{DATAVERSE_API}accounts?$select=name&$deltatoken=919042%2108%2f22%2f2017%2008%3a10%3a44"
    )

    def api(request: httpx.Request) -> httpx.Response:
        query = query_of(request)
        if "$deltatoken" in query:
            return page(
                [
                    account(first, "Renamed", "2024-03-02T09:00:00Z"),
                    {
                        "@odata.context": f"{DATAVERSE_API}$metadata#accounts/$deletedEntity",
                        "id": third,
                        "reason": "deleted",
                    },
                ],
                deltaLink=delta.replace("919042", "919058"),
            )
        assert "odata.track-changes" in request.headers["Prefer"]
        if "$skiptoken" in query:
            return page([account(third)], deltaLink=delta)
        return httpx.Response(
            200,
            content=orjson.dumps(
                {
                    "value": [account(first), account(second)],
                    "@odata.nextLink": f"{DATAVERSE_API}accounts?$skiptoken=2",
                }
            ),
            headers={"Preference-Applied": "odata.track-changes,odata.maxpagesize=2"},
        )

    connector, service = dataverse(api)
    batches = [batch async for batch in connector.changes("account", None, page_size=2)]
    assert [len(b.upserts) for b in batches] == [2, 1]
    assert batches[0].token.startswith("next:")
    assert not batches[0].done
    assert batches[1].token == f"delta:{delta}"
    assert batches[1].done

    later = [batch async for batch in connector.changes("account", batches[-1].token)]
    assert len(later) == 1
    assert [r.get("name") for r in later[0].upserts] == ["Renamed"]
    assert later[0].deleted_ids == [third]
    assert later[0].token.startswith("delta:")
    assert "919058" in later[0].token
    assert str(service.requests[-1].url) == delta


async def test_tables_without_change_tracking_fall_back_to_modifiedon_watermarks() -> None:
    a, b = guid(), guid()

    def api(request: httpx.Request) -> httpx.Response:
        if "odata.track-changes" in request.headers.get("Prefer", ""):
            return odata_error(
                400, "0x80072491", "Entity 'account' is not enabled for change tracking."
            )
        query = query_of(request)
        assert query["$orderby"] == "modifiedon asc"
        if "$filter" not in query:
            return page(
                [
                    account(a, modified="2024-03-01T10:00:00Z"),
                    account(b, modified="2024-03-01T11:00:00Z"),
                ]
            )
        assert query["$filter"] == "modifiedon ge 2024-03-01T11:00:00Z"
        # The row at the watermark comes back (ge) and is skipped; a newer one is new.
        return page(
            [
                account(b, modified="2024-03-01T11:00:00Z"),
                account(a, "New", modified="2024-03-01T12:00:00Z"),
            ]
        )

    connector, _ = dataverse(api)
    first = [batch async for batch in connector.changes("account", None)]
    assert [r.id for r in first[-1].upserts] == [a, b]
    assert first[-1].token.startswith("watermark:")
    assert first[-1].done
    second = [batch async for batch in connector.changes("account", first[-1].token)]
    assert [r.get("name") for r in second[0].upserts] == ["New"]
    assert second[0].deleted_ids == []


async def test_lookups_are_written_through_odata_bind() -> None:
    parent, contact = guid(), guid()

    def api(request: httpx.Request) -> httpx.Response:
        body = orjson.loads(request.content)
        return json_response(
            201,
            {
                "contactid": contact,
                "@odata.etag": 'W/"5"',
                "lastname": body["lastname"],
                "_parentcustomerid_value": parent,
            },
        )

    connector, service = dataverse(api)
    record = await connector.create(
        "contact", {"lastname": "Glynn", "_parentcustomerid_value": parent, "_ownerid_value": None}
    )
    sent = orjson.loads(service.requests[0].content)
    assert sent == {
        "lastname": "Glynn",
        "parentcustomerid_account@odata.bind": f"/accounts({parent})",
        "ownerid@odata.bind": None,
    }
    assert service.requests[0].headers["Prefer"] == "return=representation"
    assert record.get("_parentcustomerid_value") == parent
    assert record.etag == 'W/"5"'

    await connector.create(
        "contact", {"lastname": "Glynn", "_parentcustomerid_value": f"contacts({parent})"}
    )
    assert (
        orjson.loads(service.requests[1].content)["parentcustomerid_contact@odata.bind"]
        == f"/contacts({parent})"
    )

    with pytest.raises(ValidationError, match=r"contact\._parentcustomerid_value: 'quotes\("):
        await connector.create("contact", {"_parentcustomerid_value": f"quotes({parent})"})
    with pytest.raises(ValidationError, match="_madeup_value is not a lookup"):
        await connector.create("contact", {"_madeup_value": parent})
    with pytest.raises(ValidationError, match="modifiedon is set by dataverse"):
        await connector.update("contact", contact, {"modifiedon": "2024-01-01T00:00:00Z"})
    assert len(service.requests) == 2  # invalid input never reached the wire


async def test_updates_always_send_if_match_so_a_patch_never_creates() -> None:
    record_id = guid()

    def api(request: httpx.Request) -> httpx.Response:
        if request.headers["If-Match"] == 'W/"1"':
            return odata_error(
                412,
                "0x80060882",
                STALE,
            )
        return json_response(200, account(record_id, "Updated"))

    connector, service = dataverse(api)
    updated = await connector.update("account", record_id, {"name": "Updated"})
    assert service.requests[0].headers["If-Match"] == "*"
    assert service.requests[0].method == "PATCH"
    assert path_of(service.requests[0]).endswith(f"/accounts({record_id})")
    assert updated.get("name") == "Updated"
    with pytest.raises(ConflictError):
        await connector.update("account", record_id, {"name": "Stale"}, etag='W/"1"')


async def test_write_many_sends_one_multipart_batch_and_reports_each_operation() -> None:
    new_id, changed, removed = guid(), guid(), guid()
    answer = "\r\n".join(
        [
            "--batchresponse_1",
            "Content-Type: application/http",
            "Content-Transfer-Encoding: binary",
            "",
            "HTTP/1.1 201 Created",
            "Content-Type: application/json; odata.metadata=minimal",
            "OData-Version: 4.0",
            "",
            orjson.dumps(account(new_id, "Created")).decode(),
            "--batchresponse_1",
            "Content-Type: application/http",
            "Content-Transfer-Encoding: binary",
            "",
            "HTTP/1.1 412 Precondition Failed",
            "Content-Type: application/json; odata.metadata=minimal",
            "",
            orjson.dumps({"error": {"code": "0x80060882", "message": STALE}}).decode(),
            "--batchresponse_1",
            "Content-Type: application/http",
            "Content-Transfer-Encoding: binary",
            "",
            "HTTP/1.1 204 No Content",
            "OData-Version: 4.0",
            "",
            "",
            "--batchresponse_1--",
            "",
        ]
    )

    def api(request: httpx.Request) -> httpx.Response:
        assert path_of(request).endswith("/$batch")
        assert request.headers["Prefer"] == "odata.continue-on-error"
        return httpx.Response(
            200,
            content=answer.encode(),
            headers={"Content-Type": "multipart/mixed; boundary=batchresponse_1"},
        )

    connector, service = dataverse(api)
    operations = [
        Create("account", {"name": "Created"}),
        Update("account", changed, {"name": "Stale"}, etag='W/"3"'),
        Delete("account", removed),
        Update("account", "not-a-guid", {"name": "x"}),
    ]
    results = await connector.write_many(operations)
    assert [r.ok for r in results] == [True, False, True, False]
    assert results[0].record is not None
    assert results[0].record.id == new_id
    assert isinstance(results[1].error, ConflictError)
    assert isinstance(results[3].error, ValidationError)  # refused before sending
    sent = service.requests[0]
    parts = sent.content.decode()
    assert sent.headers["Content-Type"].startswith("multipart/mixed; boundary=batch_")
    assert parts.count("Content-Type: application/http") == 3
    assert f"PATCH {DATAVERSE_API}accounts({changed})" in parts
    assert 'If-Match: W/"3"' in parts
    assert len(service.requests) == 1


async def test_an_atomic_change_set_fails_as_a_whole() -> None:
    answer = "\r\n".join(
        [
            "--batchresponse_2",
            "Content-Type: application/http",
            "Content-Transfer-Encoding: binary",
            "Content-ID: 2",
            "",
            "HTTP/1.1 400 Bad Request",
            "Content-Type: application/json; odata.metadata=minimal",
            "",
            '{"error":{"code":"0x80044331","message":"A validation error occurred."}}',
            "--batchresponse_2--",
            "",
        ]
    )

    def api(request: httpx.Request) -> httpx.Response:
        assert "changeset_" in request.content.decode()
        return httpx.Response(
            400,
            content=answer.encode(),
            headers={"Content-Type": "multipart/mixed; boundary=batchresponse_2"},
        )

    connector, _ = dataverse(api)
    results = await connector.write_many(
        [Create("account", {"name": "A"}), Create("account", {"name": "B" * 500})], atomic=True
    )
    assert [r.ok for r in results] == [False, False]
    assert "validation error" in str(results[1].error)
    assert "not applied" in str(results[0].error)


async def test_crm_statistics_count_open_records_per_account_with_apply() -> None:
    accounts = [guid() for _ in range(10)]

    def api(request: httpx.Request) -> httpx.Response:
        apply = query_of(request)["$apply"]
        field = (
            "_parentaccountid_value" if "opportunities" in path_of(request) else "_customerid_value"
        )
        assert apply.endswith(f"/groupby(({field}),aggregate($count as count))")
        assert apply.startswith("filter(")
        if "opportunities" in path_of(request):
            return page([{field: accounts[0], "count": 3}, {field: accounts[1], "count": 1}])
        if "quotes" in path_of(request):
            assert "statecode eq 0 or statecode eq 1" in apply
            return page([{field: accounts[0], "count": 2}])
        return page([{field: accounts[2], "count": 5}])

    connector, service = dataverse(api)
    figures = await connector.crm_statistics(accounts)
    assert len(service.requests) == 3  # one per figure, whatever the number of rows
    assert (
        figures[accounts[0]].opportunities,
        figures[accounts[0]].quotes,
        figures[accounts[0]].cases,
    ) == (3, 2, 0)
    assert figures[accounts[2]].cases == 5
    assert figures[accounts[9]].opportunities == 0


async def test_crm_statistics_count_selected_rows_when_apply_is_refused() -> None:
    account_id = guid()

    def api(request: httpx.Request) -> httpx.Response:
        query = query_of(request)
        if "$apply" in query:
            return odata_error(400, "0x80040203", "The query parameter $apply is not supported")
        field = query["$select"]
        return page([{field: account_id}, {field: account_id}])

    connector, _ = dataverse(api)
    figures = await connector.crm_statistics([account_id])
    assert figures[account_id].opportunities == 2
    assert figures[account_id].cases == 2


async def test_winning_a_quote_calls_win_quote_with_a_quote_close() -> None:
    quote = guid()

    def api(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(204)
        return json_response(
            200, {"quoteid": quote, "statecode": 2, "statuscode": 4, "@odata.etag": 'W/"9"'}
        )

    connector, service = dataverse(api)
    record = await connector.transition("quote", quote, "win", {"subject": "Won against Fabrikam"})
    post = service.requests[0]
    assert path_of(post).endswith("/api/data/v9.2/WinQuote")
    assert orjson.loads(post.content) == {
        "QuoteClose": {
            "subject": "Won against Fabrikam",
            "quoteid@odata.bind": f"/quotes({quote})",
        },
        "Status": 4,
    }
    assert record is not None
    assert record.get("statecode") == 2
    with pytest.raises(ValidationError, match="known: activate, cancel, convert_to_order"):
        await connector.transition("quote", quote, "teleport")
    assert len(service.requests) == 2


async def test_converting_a_quote_returns_the_new_sales_order() -> None:
    quote, order = guid(), guid()

    def api(request: httpx.Request) -> httpx.Response:
        assert path_of(request).endswith("/ConvertQuoteToSalesOrder")
        assert orjson.loads(request.content) == {
            "QuoteId": quote,
            "ColumnSet": {"AllColumns": True},
        }
        return json_response(
            200, {"salesorderid": order, "name": "Order from quote", "_quoteid_value": quote}
        )

    connector, _ = dataverse(api)
    record = await connector.transition("quote", quote, "convert_to_order")
    assert record is not None
    assert (record.entity, record.id) == ("sales_order", order)


async def test_a_server_that_ignores_track_changes_gets_watermarks() -> None:
    a = guid()

    def api(request: httpx.Request) -> httpx.Response:
        return page([account(a)])  # no Preference-Applied, no delta link

    connector, service = dataverse(api)
    batches = [batch async for batch in connector.changes("account", None)]
    assert batches[-1].token.startswith("watermark:")
    assert [r.id for r in batches[-1].upserts] == [a]
    assert "$orderby" in query_of(service.requests[-1])
    # The table is remembered as untracked: the next initial read goes straight to watermarks.
    [batch async for batch in connector.changes("account", None)]
    assert "odata.track-changes" not in service.requests[-1].headers["Prefer"]


async def test_an_expired_delta_token_starts_a_full_read_again() -> None:
    a = guid()
    delta = f"{DATAVERSE_API}accounts?$deltatoken=1%2101%2f01%2f2020"

    def api(request: httpx.Request) -> httpx.Response:
        if "$deltatoken" in query_of(request) and "2020" in str(request.url):
            return odata_error(400, "0x80044352", "The change tracking token has expired.")
        return httpx.Response(
            200,
            content=orjson.dumps(
                {
                    "value": [account(a)],
                    "@odata.deltaLink": f"{DATAVERSE_API}accounts?$deltatoken=2",
                }
            ),
            headers={"Preference-Applied": "odata.track-changes"},
        )

    connector, _ = dataverse(api)
    batches = [batch async for batch in connector.changes("account", f"delta:{delta}")]
    assert [r.id for r in batches[0].upserts] == [a]
    assert batches[0].token == f"delta:{DATAVERSE_API}accounts?$deltatoken=2"


async def test_cursors_and_tokens_from_elsewhere_are_refused() -> None:
    connector, service = dataverse(lambda request: page([]))
    with pytest.raises(ValidationError, match="cursor does not come from this connector"):
        await connector.query(
            "account", page=Page(cursor="https://evil.example/api/data/v9.2/accounts")
        )
    with pytest.raises(ValidationError, match="change token"):
        [batch async for batch in connector.changes("account", "delta:https://evil.example/x")]
    assert service.requests == []


async def test_a_failed_chunk_of_a_batch_read_raises_the_connector_error_itself() -> None:
    """Reads of many ids go out concurrently; a failure must still arrive as the protocol's
    error class, not wrapped in an exception group that callers would not catch."""
    ids = [guid() for _ in range(100)]

    def api(request: httpx.Request) -> httpx.Response:
        wanted = GUID_IN_FILTER.findall(query_of(request)["$filter"])
        if ids[-1] in wanted:
            return odata_error(400, "0x80060888", "The query is not valid.")
        return page([account(i) for i in wanted])

    connector, _ = dataverse(api)
    with pytest.raises(ValidationError, match="The query is not valid"):
        await connector.get_many("account", ids)
    await connector.aclose()

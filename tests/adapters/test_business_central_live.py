"""The Business Central connector against the sandbox over HTTP: every operation, paging,
batches, watermarks, ETags, bound actions, throttling, server errors and expired tokens."""

from __future__ import annotations

import uuid

import pytest

from adapters.base import ChangeBatch, Create, Page, Update
from adapters.business_central import BusinessCentralConnector
from adapters.errors import ConflictError, NotFoundError, RetriableError, ValidationError
from adapters.filters import eq
from tests.adapters.live import Waits, business_central
from tests.support_sandbox import SandboxHandle

pytestmark = pytest.mark.slow


async def all_changes(
    connector: BusinessCentralConnector, entity: str, token: str | None
) -> list[ChangeBatch]:
    return [batch async for batch in connector.changes(entity, token, page_size=50)]


async def all_ids(connector: BusinessCentralConnector, entity: str) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        result = await connector.query(entity, None, Page(size=200, cursor=cursor))
        ids += [record.id for record in result.records]
        cursor = result.next_cursor
        if cursor is None:
            return ids


async def test_the_first_company_is_found_and_customers_page(sandbox: SandboxHandle) -> None:
    await sandbox.seed(accounts=25)
    async with business_central(sandbox) as connector:
        assert await connector.company_id() == sandbox.company_id
        numbers: list[str] = []
        cursor = None
        pages = 0
        while True:
            page = await connector.query(
                "customer", None, Page(size=10, cursor=cursor), order_by=["number"]
            )
            numbers += [record.get("number") for record in page.records]
            pages += 1
            cursor = page.next_cursor
            if cursor is None:
                break
        assert pages == 3
        assert len(numbers) == 25
        assert numbers == sorted(numbers)
        one = await connector.query("customer", eq("number", numbers[3]))
        assert [record.get("number") for record in one.records] == [numbers[3]]


@pytest.mark.parametrize("count", [1, 50, 500])
async def test_get_many_reads_in_few_requests(sandbox: SandboxHandle, count: int) -> None:
    await sandbox.seed(accounts=count, customers=count)
    async with business_central(sandbox, company_id=sandbox.company_id) as connector:
        ids = await all_ids(connector, "customer")
        await sandbox.reset_stats()
        before = connector.client.requests_sent
        found = await connector.get_many("customer", [*ids, str(uuid.uuid4())])
        assert set(found) == set(ids)
        requests = sandbox.requests_to(await sandbox.stats(), "bc", "customers")
        assert requests == connector.client.requests_sent - before
        assert requests <= max(1, count // 25)


async def test_create_update_delete_require_and_check_etags(sandbox: SandboxHandle) -> None:
    async with business_central(sandbox, company_id=sandbox.company_id) as connector:
        created = await connector.create(
            "customer", {"displayName": "Coho Winery", "email": "a@coho.example"}
        )
        assert created.etag
        assert created.get("number")
        with pytest.raises(ValidationError, match="etag is required"):
            await connector.update("customer", created.id, {"displayName": "No etag"})
        updated = await connector.update(
            "customer", created.id, {"displayName": "Coho Winery Inc."}, etag=created.etag
        )
        assert updated.get("displayName") == "Coho Winery Inc."
        assert updated.etag != created.etag
        with pytest.raises(ConflictError):
            await connector.update(
                "customer", created.id, {"displayName": "Stale"}, etag=created.etag
            )
        await connector.delete("customer", created.id, etag=updated.etag)
        with pytest.raises(NotFoundError):
            await connector.get("customer", created.id)


async def test_watermarks_report_creates_and_updates(sandbox: SandboxHandle) -> None:
    await sandbox.seed(accounts=60, customers=60)
    async with business_central(sandbox) as connector:
        initial = await all_changes(connector, "customer", None)
        assert sum(len(batch.upserts) for batch in initial) == 60
        assert len(initial) >= 2
        assert initial[-1].done
        token = initial[-1].token
        assert sum(len(b.upserts) for b in await all_changes(connector, "customer", token)) == 0

        created = await connector.create("customer", {"displayName": "Watermark New"})
        first = initial[0].upserts[0]
        await connector.update(
            "customer", first.id, {"displayName": "Watermark Changed"}, etag=first.etag
        )
        changes = await all_changes(connector, "customer", token)
        names = {
            record.id: record.get("displayName") for batch in changes for record in batch.upserts
        }
        assert names == {created.id: "Watermark New", first.id: "Watermark Changed"}
        # Business Central's API has no delete feed: a deletion is not reported.
        again = await connector.get("customer", created.id)
        await connector.delete("customer", created.id, etag=again.etag)
        after = await all_changes(connector, "customer", changes[-1].token)
        assert all(batch.deleted_ids == [] for batch in after)
        assert sum(len(batch.upserts) for batch in after) == 0


async def test_customer_statistics_expand_financial_details(sandbox: SandboxHandle) -> None:
    await sandbox.seed(accounts=40, customers=40, invoices=40, payments=10)
    async with business_central(sandbox) as connector:
        ids = await all_ids(connector, "customer")
        details = await connector.query("customer_statistics", None, Page(size=200))
        expected = {record.id: record.get("balance") for record in details.records}
        before = connector.client.requests_sent
        figures = await connector.customer_statistics(ids)
        assert connector.client.requests_sent - before <= 2
        assert set(figures) == set(ids)
        assert {i: f.balance for i, f in figures.items() if i in expected} == {
            i: float(b) for i, b in expected.items() if i in figures
        }
        assert any(f.balance for f in figures.values())
        assert any(f.total_sales for f in figures.values())


async def test_write_many_sends_json_batches(sandbox: SandboxHandle) -> None:
    async with business_central(sandbox) as connector:
        kept = await connector.create("customer", {"displayName": "Batch Kept"})
        results = await connector.write_many(
            [
                Create("customer", {"displayName": "Batch One"}),
                Update("customer", kept.id, {"displayName": "Batch Stale"}, etag='W/"stale"'),
                Update("customer", kept.id, {"displayName": "Batch Kept 2"}, etag=kept.etag),
                Update("customer", kept.id, {"displayName": "no etag"}),
            ]
        )
        assert [result.ok for result in results] == [True, False, True, False]
        assert isinstance(results[1].error, ConflictError)
        assert isinstance(results[3].error, ValidationError)
        assert (await connector.get("customer", kept.id)).get("displayName") == "Batch Kept 2"


async def test_sales_document_lifecycle_through_bound_actions(sandbox: SandboxHandle) -> None:
    await sandbox.seed(accounts=4, customers=4, items=4, quotes=4, orders=2)
    async with business_central(sandbox) as connector:
        quotes = await connector.query("quote", None, Page(size=10))
        assert quotes.records, "the seed has sales quotes"
        quote = quotes.records[0]
        orders_before = set(await all_ids(connector, "sales_order"))
        order = await connector.transition("quote", quote.id, "makeOrder")
        new_orders = set(await all_ids(connector, "sales_order")) - orders_before
        assert len(new_orders) == 1
        if order is not None:  # when the answer points at the order, it is returned
            assert order.entity == "sales_order"
            assert {order.id} == new_orders
        with pytest.raises(NotFoundError):
            await connector.get("quote", quote.id)  # the quote became the order

        invoices_before = set(await all_ids(connector, "invoice"))
        target = next(iter(new_orders))
        await connector.transition("sales_order", target, "Microsoft.NAV.shipAndInvoice")
        assert len(set(await all_ids(connector, "invoice")) - invoices_before) == 1
        with pytest.raises(ValidationError, match="known: shipAndInvoice"):
            await connector.transition("sales_order", target, "makeOrder")


async def test_throttling_and_server_errors_are_retried(sandbox: SandboxHandle) -> None:
    await sandbox.seed(accounts=3, customers=3)
    waits = Waits()
    async with business_central(sandbox, waits, max_attempts=3) as connector:
        ids = await all_ids(connector, "customer")
        await sandbox.set_faults(
            throttle={"limit": 2, "window_seconds": 1, "retry_after_seconds": 1}
        )
        for _ in range(4):
            assert (await connector.get("customer", ids[0])).id == ids[0]
        assert waits.seconds
        assert all(seconds >= 1 for seconds in waits.seconds)
        await sandbox.clear_faults()
        waits.seconds.clear()
        await sandbox.set_faults(fail_next={"count": 2, "status": 502})
        assert (await connector.get("customer", ids[0])).id == ids[0]
        assert len(waits.seconds) == 2
        await sandbox.set_faults(fail_next={"count": 5, "status": 503})
        with pytest.raises(RetriableError):
            await connector.get("customer", ids[0])


async def test_an_expired_token_is_refreshed_once_transparently(sandbox: SandboxHandle) -> None:
    await sandbox.seed(accounts=2, customers=2)
    async with business_central(sandbox) as connector:
        ids = await all_ids(connector, "customer")
        assert connector.client.tokens is not None
        await sandbox.expire_tokens()
        assert (await connector.get("customer", ids[0])).id == ids[0]
        assert connector.client.tokens.fetches == 2

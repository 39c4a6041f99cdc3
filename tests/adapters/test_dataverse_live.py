"""The Dataverse connector against the sandbox over HTTP: every operation, paging, batches,
change tracking, ETags, throttling, server errors and expired tokens."""

from __future__ import annotations

import uuid

import pytest

from adapters.base import ChangeBatch, Create, Delete, Page, Update
from adapters.dataverse import DataverseConnector
from adapters.errors import ConflictError, NotFoundError, RetriableError, ValidationError
from adapters.filters import StartsWith, eq
from tests.adapters.live import Waits, dataverse
from tests.support_sandbox import SandboxHandle

pytestmark = pytest.mark.slow


async def all_changes(
    connector: DataverseConnector, entity: str, token: str | None
) -> list[ChangeBatch]:
    return [batch async for batch in connector.changes(entity, token, page_size=50)]


async def all_ids(connector: DataverseConnector, entity: str) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        result = await connector.query(entity, None, Page(size=200, cursor=cursor), fields=["name"])
        ids += [record.id for record in result.records]
        cursor = result.next_cursor
        if cursor is None:
            return ids


async def test_query_pages_through_more_than_one_page(sandbox: SandboxHandle) -> None:
    await sandbox.seed(accounts=25)
    async with dataverse(sandbox) as connector:
        first = await connector.query("account", None, Page(size=10), count=True, order_by=["name"])
        assert first.total_count == 25
        names = [record.get("name") for record in first.records]
        cursor = first.next_cursor
        pages = 1
        while cursor:
            page = await connector.query("account", None, Page(size=10, cursor=cursor))
            names += [record.get("name") for record in page.records]
            cursor = page.next_cursor
            pages += 1
        assert pages == 3
        assert len(names) == 25
        assert names == sorted(names)
        only = await connector.query("account", StartsWith("name", names[0][:4]))
        assert names[0] in [record.get("name") for record in only.records]


@pytest.mark.parametrize("count", [1, 50, 500])
async def test_get_many_reads_in_few_requests(sandbox: SandboxHandle, count: int) -> None:
    await sandbox.seed(accounts=count)
    async with dataverse(sandbox) as connector:
        ids = await all_ids(connector, "account")
        await sandbox.reset_stats()
        before = connector.client.requests_sent
        found = await connector.get_many("account", [*ids, str(uuid.uuid4())])
        assert set(found) == set(ids)
        requests = sandbox.requests_to(await sandbox.stats(), "dataverse", "accounts")
        assert requests == connector.client.requests_sent - before
        # ~30 ids per URL of at most 2,048 characters: 500 ids cost 17-20 requests.
        assert requests <= max(1, count // 25)


async def test_create_read_update_delete_with_etags_and_lookups(sandbox: SandboxHandle) -> None:
    async with dataverse(sandbox) as connector:
        account = await connector.create(
            "account", {"name": "Fourth Coffee", "telephone1": "555-0150"}
        )
        assert account.etag
        contact = await connector.create(
            "contact",
            {"firstname": "Yvonne", "lastname": "McKay", "_parentcustomerid_value": account.id},
        )
        assert contact.get("_parentcustomerid_value") == account.id
        read = await connector.get("contact", contact.id)
        assert read.get("_parentcustomerid_value") == account.id

        updated = await connector.update(
            "account", account.id, {"telephone1": "555-0199"}, etag=account.etag
        )
        assert updated.get("telephone1") == "555-0199"
        assert updated.etag != account.etag
        with pytest.raises(ConflictError):
            await connector.update(
                "account", account.id, {"telephone1": "stale"}, etag=account.etag
            )
        with pytest.raises(ConflictError):
            await connector.delete("account", account.id, etag=account.etag)

        await connector.delete("contact", contact.id)
        await connector.delete("account", account.id, etag=updated.etag)
        with pytest.raises(NotFoundError):
            await connector.get("account", account.id)
        with pytest.raises(NotFoundError):
            await connector.update(
                "account", account.id, {"name": "back?"}
            )  # If-Match: * never creates


async def test_change_tracking_reports_creates_updates_and_deletes(sandbox: SandboxHandle) -> None:
    await sandbox.seed(accounts=60)
    async with dataverse(sandbox) as connector:
        initial = await all_changes(connector, "account", None)
        assert sum(len(batch.upserts) for batch in initial) == 60
        assert len(initial) >= 2  # more than one page
        assert initial[-1].done
        assert initial[-1].token.startswith("delta:")
        token = initial[-1].token
        assert [
            b for b in await all_changes(connector, "account", token) if b.upserts or b.deleted_ids
        ] == []

        created = await connector.create("account", {"name": "Delta Created"})
        changed_id = initial[0].upserts[0].id
        await connector.update("account", changed_id, {"name": "Delta Changed"})
        deleted_id = initial[0].upserts[1].id
        await connector.delete("account", deleted_id)

        delta = await all_changes(connector, "account", token)
        names = {record.id: record.get("name") for batch in delta for record in batch.upserts}
        assert names.get(created.id) == "Delta Created"
        assert names.get(changed_id) == "Delta Changed"
        assert deleted_id in [i for batch in delta for i in batch.deleted_ids]
        assert delta[-1].token != token


async def test_write_many_and_atomic_change_sets(sandbox: SandboxHandle) -> None:
    async with dataverse(sandbox) as connector:
        kept = await connector.create("account", {"name": "Batch Kept"})
        results = await connector.write_many(
            [
                Create("account", {"name": "Batch One"}),
                Create("account", {"name": "Batch Two"}),
                Update("account", kept.id, {"name": "Batch Stale"}, etag='W/"1"'),
                Update("account", kept.id, {"name": "Batch Kept 2"}, etag=kept.etag),
            ]
        )
        assert [result.ok for result in results] == [True, True, False, True]
        assert isinstance(results[2].error, ConflictError)
        created = [result.record for result in results[:2] if result.record]
        assert [record.get("name") for record in created] == ["Batch One", "Batch Two"]

        atomic = await connector.write_many(
            [
                Delete("account", created[0].id),
                Update("account", kept.id, {"name": "x"}, etag='W/"1"'),
            ],
            atomic=True,
        )
        assert [result.ok for result in atomic] == [False, False]
        assert (await connector.get("account", created[0].id)).get(
            "name"
        ) == "Batch One"  # rolled back


async def test_crm_statistics_match_the_open_records(sandbox: SandboxHandle) -> None:
    await sandbox.seed(accounts=20, opportunities=40, quotes=30, cases=25)
    async with dataverse(sandbox) as connector:
        accounts = await all_ids(connector, "account")
        expected = {account: [0, 0, 0] for account in accounts}
        for position, (entity, field, open_states) in enumerate(
            [
                ("opportunity", "_parentaccountid_value", {0}),
                ("quote", "_customerid_value", {0, 1}),
                ("case", "_customerid_value", {0}),
            ]
        ):
            result = await connector.query(
                entity, None, Page(size=500), fields=[field, "statecode"]
            )
            for record in result.records:
                if record.get(field) in expected and record.get("statecode") in open_states:
                    expected[record.get(field)][position] += 1
        await sandbox.reset_stats()
        before = connector.client.requests_sent
        figures = await connector.crm_statistics(accounts)
        assert {a: [f.opportunities, f.quotes, f.cases] for a, f in figures.items()} == expected
        assert sum(sum(counts) for counts in expected.values()) > 0
        assert connector.client.requests_sent - before == 3  # one request per figure


async def test_quote_and_opportunity_lifecycles(sandbox: SandboxHandle) -> None:
    await sandbox.seed(accounts=3, opportunities=3, quotes=3)
    async with dataverse(sandbox) as connector:
        drafts = await connector.query("quote", eq("statecode", 0), Page(size=5))
        assert drafts.records, "the seed has draft quotes"
        quote = drafts.records[0]
        active = await connector.transition("quote", quote.id, "activate")
        assert active is not None
        assert active.get("statecode") == 1
        won = await connector.transition("quote", quote.id, "win", {"subject": "Signed"})
        assert won is not None
        assert (won.get("statecode"), won.get("statuscode")) == (2, 4)

        opportunities = await connector.query("opportunity", eq("statecode", 0), Page(size=5))
        opportunity = opportunities.records[0]
        closed = await connector.transition(
            "opportunity", opportunity.id, "win", {"subject": "Won"}
        )
        assert closed is not None
        assert closed.get("statecode") == 1
        with pytest.raises(ValidationError):
            await connector.transition("opportunity", opportunity.id, "teleport")


async def test_throttling_is_waited_out_and_the_call_succeeds(sandbox: SandboxHandle) -> None:
    await sandbox.seed(accounts=5)
    waits = Waits()
    async with dataverse(sandbox, waits) as connector:
        ids = await all_ids(connector, "account")
        await sandbox.set_faults(
            throttle={"limit": 2, "window_seconds": 1, "retry_after_seconds": 1}
        )
        for _ in range(4):
            assert await connector.get("account", ids[0])
        assert waits.seconds
        assert all(seconds >= 1 for seconds in waits.seconds)  # Retry-After honoured


async def test_server_errors_are_retried_then_reported_as_retriable(sandbox: SandboxHandle) -> None:
    await sandbox.seed(accounts=2)
    waits = Waits()
    async with dataverse(sandbox, waits, max_attempts=3) as connector:
        ids = await all_ids(connector, "account")
        await sandbox.set_faults(fail_next={"count": 2, "status": 503})
        assert (await connector.get("account", ids[0])).id == ids[0]
        assert len(waits.seconds) == 2
        await sandbox.set_faults(fail_next={"count": 3, "status": 500})
        with pytest.raises(RetriableError) as caught:
            await connector.get("account", ids[0])
        assert caught.value.status == 500
        assert len(waits.seconds) == 4


async def test_an_expired_token_is_refreshed_once_transparently(sandbox: SandboxHandle) -> None:
    await sandbox.seed(accounts=2)
    waits = Waits()
    async with dataverse(sandbox, waits) as connector:
        ids = await all_ids(connector, "account")
        assert connector.client.tokens is not None
        assert connector.client.tokens.fetches == 1
        await sandbox.expire_tokens()
        assert (await connector.get("account", ids[0])).id == ids[0]
        assert connector.client.tokens.fetches == 2
        assert waits.seconds == []

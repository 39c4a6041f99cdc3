"""The in-memory connector keeps the protocol's promises: ETags, change tokens, filters."""

from __future__ import annotations

import pytest

from adapters.base import Connector, Create, Delete, Page, Side, Update
from adapters.errors import ConflictError, NotFoundError, ValidationError
from adapters.filters import And, Contains, In, Not, StartsWith, eq
from adapters.memory import MemoryConnector
from adapters.statistics import CrmStatisticsSource, CustomerStatisticsSource


async def read_all(
    connector: MemoryConnector, entity: str, token: str | None, page_size: int = 500
):  # type: ignore[no-untyped-def]
    return [batch async for batch in connector.changes(entity, token, page_size=page_size)]


async def test_it_is_a_connector_with_statistics() -> None:
    connector = MemoryConnector("dataverse", Side.CRM)
    assert isinstance(connector, Connector)
    assert isinstance(connector, CrmStatisticsSource)
    assert isinstance(connector, CustomerStatisticsSource)


async def test_etags_change_on_every_write_and_are_checked() -> None:
    connector = MemoryConnector()
    created = await connector.create("account", {"name": "Contoso"})
    updated = await connector.update(
        "account", created.id, {"name": "Contoso Ltd"}, etag=created.etag
    )
    assert updated.etag != created.etag
    with pytest.raises(ConflictError):
        await connector.update("account", created.id, {"name": "Stale"}, etag=created.etag)
    with pytest.raises(ConflictError):
        await connector.delete("account", created.id, etag=created.etag)
    await connector.delete("account", created.id, etag=updated.etag)
    with pytest.raises(NotFoundError):
        await connector.update("account", created.id, {"name": "Gone"})


async def test_change_tokens_resume_after_what_was_read_and_report_deletions() -> None:
    connector = MemoryConnector()
    first = await connector.create("account", {"name": "A"})
    second = await connector.create("account", {"name": "B"})
    initial = await read_all(connector, "account", None, page_size=1)
    assert [len(b.upserts) for b in initial] == [1, 1]
    assert [b.done for b in initial] == [False, True]
    token = initial[-1].token

    assert (await read_all(connector, "account", token))[0].upserts == []
    await connector.update("account", first.id, {"name": "A2"})
    await connector.delete("account", second.id)
    third = await connector.create("account", {"name": "C"})
    changes = await read_all(connector, "account", token)
    assert [r.get("name") for r in changes[0].upserts] == ["A2", "C"]
    assert changes[0].deleted_ids == [second.id]
    # Resuming from a mid-way token re-reads nothing before it.
    assert (await read_all(connector, "account", changes[-1].token))[0].upserts == []
    assert third.id in {r.id for r in changes[0].upserts}
    with pytest.raises(ValidationError):
        await read_all(connector, "account", "delta:elsewhere")


async def test_queries_honour_filters_order_paging_and_counts() -> None:
    connector = MemoryConnector()
    connector.seed(
        "account",
        [
            {"name": "Contoso", "city": "Seattle", "revenue": 10},
            {"name": "Fabrikam", "city": "Redmond", "revenue": 30},
            {"name": "Fourth Coffee", "city": "Seattle", "revenue": 20},
        ],
    )
    result = await connector.query(
        "account", And((eq("city", "seattle"), Not(eq("revenue", 10)))), count=True
    )
    assert [r.get("name") for r in result.records] == ["Fourth Coffee"]
    assert result.total_count == 1
    page = await connector.query(
        "account", In("city", ("Seattle", "Redmond")), Page(size=2), order_by=["revenue desc"]
    )
    assert [r.get("revenue") for r in page.records] == [30, 20]
    rest = await connector.query(
        "account", None, Page(size=2, cursor=page.next_cursor), order_by=["revenue desc"]
    )
    assert [r.get("revenue") for r in rest.records] == [10]
    assert rest.next_cursor is None
    assert len((await connector.query("account", Contains("name", "co"))).records) == 2
    assert len((await connector.query("account", StartsWith("name", "f"))).records) == 2
    assert connector.calls["query"] == 5


async def test_atomic_write_many_applies_all_or_nothing() -> None:
    connector = MemoryConnector()
    kept = await connector.create("account", {"name": "Kept"})
    results = await connector.write_many(
        [
            Create("account", {"name": "New"}),
            Update("account", kept.id, {"name": "x"}, etag='W/"99"'),
        ],
        atomic=True,
    )
    assert [r.ok for r in results] == [False, False]
    assert len((await connector.query("account")).records) == 1
    results = await connector.write_many(
        [Create("account", {"name": "New"}), Delete("account", kept.id, etag=kept.etag)]
    )
    assert [r.ok for r in results] == [True, True]


async def test_statistics_follow_the_dataverse_rules() -> None:
    connector = MemoryConnector()
    account = (await connector.create("account", {"name": "Contoso"})).id
    connector.seed(
        "opportunity",
        [
            {"_parentaccountid_value": account, "statecode": 0},
            {"_parentaccountid_value": account, "statecode": 1},
        ],
    )
    connector.seed("quote", [{"_customerid_value": account, "statecode": 1}])
    connector.seed("customer", [{"id": "c1", "currencyCode": "EUR"}])
    connector.seed(
        "customer_statistics",
        [{"id": "c1", "balance": 5, "totalSalesExcludingTax": 7, "overdueAmount": 1}],
    )
    figures = await connector.crm_statistics([account, "other"])
    assert (figures[account].opportunities, figures[account].quotes, figures[account].cases) == (
        1,
        1,
        0,
    )
    assert figures["other"].opportunities == 0
    erp = await connector.customer_statistics(["c1", "missing"])
    assert set(erp) == {"c1"}
    assert (erp["c1"].balance, erp["c1"].total_sales, erp["c1"].currency_code) == (5, 7, "EUR")


async def test_transitions_are_configured_values() -> None:
    connector = MemoryConnector(transitions={"quote": {"win": {"statecode": 2}}})
    quote = await connector.create("quote", {"statecode": 1})
    won = await connector.transition("quote", quote.id, "win")
    assert won is not None
    assert won.get("statecode") == 2
    with pytest.raises(ValidationError):
        await connector.transition("quote", quote.id, "lose")

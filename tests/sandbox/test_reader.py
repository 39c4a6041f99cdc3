"""The page reader's plans against a real MongoDB server: every record exactly once, in order,
whatever the plan, gaps in the sequence, ties in timestamps or page boundaries."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import ASCENDING, AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from sandbox.model import KEY, SEQ
from sandbox.store.reader import PageQuery, choose_plan, read_page

BASE = dt.datetime(2024, 1, 1)
COUNT = 700


@pytest.fixture
async def records(mongodb_url: str) -> AsyncIterator[AsyncCollection[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_url)
    name = f"reader_{uuid.uuid4().hex[:10]}"
    collection = client[name]["records"]
    docs = []
    for index in range(COUNT):
        docs.append(
            {
                "_id": f"id{index:05d}",
                SEQ: index * 3 + index % 3,  # increasing, with gaps of varying width
                "group": index % 5,
                "number": f"N{index:05d}",
                "name": None if index % 11 == 0 else f"name {index % 50:02d}",
                # runs of identical timestamps straddle page boundaries
                "modified": BASE + dt.timedelta(minutes=index // 40, seconds=0),
            }
        )
    await collection.insert_many(docs)
    for column in (SEQ, "modified", "number"):
        await collection.create_index([(column, ASCENDING)])
    yield collection
    await client.drop_database(name)
    await client.close()


def query(
    collection: AsyncCollection[dict[str, Any]],
    mongo_filter: dict[str, Any],
    order: list[tuple[str, int]],
    size: int,
) -> PageQuery:
    return PageQuery(
        collection=collection,
        filter=mongo_filter,
        order=order,
        size=size,
        projection={"group": 1, "modified": 1, "name": 1, "number": 1},
        time_columns=frozenset({"modified"}),
        selective_columns=frozenset({"_id", "number"}),
        max_seq=COUNT * 3 + 7,
    )


async def walk(page_query: PageQuery) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    for _ in range(1000):
        docs, cursor = await read_page(page_query, cursor)
        assert len(docs) <= page_query.size
        found += docs
        if cursor is None:
            return found
    raise AssertionError("paging did not end")


@pytest.mark.parametrize("size", [1, 37, 100, 1000])
async def test_sequence_windows(records: AsyncCollection[dict[str, Any]], size: int) -> None:
    page_query = query(records, {}, [], size)
    assert choose_plan(page_query) == "seq"
    found = await walk(page_query)
    assert [doc["_id"] for doc in found] == [f"id{i:05d}" for i in range(COUNT)]


async def test_sequence_windows_with_a_selective_filter(
    records: AsyncCollection[dict[str, Any]],
) -> None:
    found = await walk(query(records, {"group": 3}, [], 25))
    assert [doc["_id"] for doc in found] == [f"id{i:05d}" for i in range(3, COUNT, 5)]


@pytest.mark.parametrize("size", [7, 40, 41, 333])
async def test_time_windows_keep_ties_in_sequence(
    records: AsyncCollection[dict[str, Any]], size: int
) -> None:
    lower = BASE + dt.timedelta(minutes=3)
    page_query = query(records, {"modified": {"$gte": lower}}, [("modified", 1)], size)
    assert choose_plan(page_query) == "time"
    found = await walk(page_query)
    expected = [f"id{i:05d}" for i in range(COUNT) if i // 40 >= 3]
    assert [doc["_id"] for doc in found] == expected


async def test_time_windows_from_a_watermark_without_order(
    records: AsyncCollection[dict[str, Any]],
) -> None:
    mark = BASE + dt.timedelta(minutes=15)
    found = await walk(query(records, {"modified": {"$gt": mark}}, [], 50))
    assert [doc["_id"] for doc in found] == [f"id{i:05d}" for i in range(COUNT) if i // 40 > 15]


async def test_key_plan_for_selective_and_large_in_filters(
    records: AsyncCollection[dict[str, Any]],
) -> None:
    wanted = [f"id{i:05d}" for i in range(0, COUNT, 4)]  # 175 ids: several $in chunks
    page_query = query(records, {"_id": {"$in": wanted}}, [("number", -1)], 60)
    assert choose_plan(page_query) == "key"
    found = await walk(page_query)
    assert [doc["_id"] for doc in found] == sorted(wanted, reverse=True)


async def test_offset_plan_sorts_nulls_first(records: AsyncCollection[dict[str, Any]]) -> None:
    page_query = query(records, {"group": {"$in": [1, 2]}}, [("name", 1)], 45)
    assert choose_plan(page_query) == "offset"
    found = await walk(page_query)
    names = [doc.get("name") for doc in found]
    assert len(found) == len([i for i in range(COUNT) if i % 5 in (1, 2)])
    nulls = names.count(None)
    assert names[:nulls] == [None] * nulls
    assert names[nulls:] == sorted(names[nulls:])


@pytest.fixture
async def keyed(mongodb_url: str) -> AsyncIterator[AsyncCollection[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_url)
    name = f"reader_{uuid.uuid4().hex[:10]}"
    collection = client[name]["records"]
    rng = random.Random(5)
    keys = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(COUNT)]
    await collection.insert_many(
        [
            {"_id": key, KEY: key, SEQ: index + 1, "group": index % 4}
            for index, key in enumerate(keys)
        ]
    )
    await collection.create_index([(KEY, ASCENDING)])
    yield collection
    await client.drop_database(name)
    await client.close()


@pytest.mark.parametrize("size", [1, 50, 333, 1000])
async def test_key_windows_order_by_key(keyed: AsyncCollection[dict[str, Any]], size: int) -> None:
    page_query = query(keyed, {}, [("_id", 1)], size)
    assert choose_plan(page_query) == "keys"
    found = await walk(page_query)
    expected = sorted([doc["_id"] async for doc in keyed.find({}, {"_id": 1})])
    assert [doc["_id"] for doc in found] == expected


async def test_keyset_paging_by_key_with_a_filter(keyed: AsyncCollection[dict[str, Any]]) -> None:
    everything = sorted([doc["_id"] async for doc in keyed.find({"group": 2}, {"_id": 1})])
    seen: list[str] = []
    after: str | None = None
    while True:
        mongo_filter: dict[str, Any] = {"group": 2}
        if after is not None:
            mongo_filter["_id"] = {"$gt": after}
        docs, _ = await read_page(query(keyed, mongo_filter, [("_id", 1)], 40))
        if not docs:
            break
        seen += [doc["_id"] for doc in docs]
        after = docs[-1]["_id"]
    assert seen == everything


async def test_key_windows_respect_an_upper_bound(keyed: AsyncCollection[dict[str, Any]]) -> None:
    everything = sorted([doc["_id"] async for doc in keyed.find({}, {"_id": 1})])
    low, high = everything[100], everything[400]
    found = await walk(query(keyed, {"_id": {"$gte": low, "$lt": high}}, [("_id", 1)], 64))
    assert [doc["_id"] for doc in found] == everything[100:400]

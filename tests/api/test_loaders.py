"""The request's loaders: `load_many` joins the batch of every other load of the same moment,
answers in the order of its keys, and a failed batch raises its error once, leaving no
unretrieved exception behind."""

from __future__ import annotations

import asyncio

import pytest

from adapters.errors import ConnectorError
from schema.loaders import Loader


async def test_load_many_joins_the_batch_and_answers_in_key_order() -> None:
    batches: list[list[str]] = []

    async def fetch(keys: list[str]) -> list[str]:
        batches.append(keys)
        return [key.upper() for key in keys]

    loader: Loader[str, str] = Loader(fetch)
    together = loader.load_many(["b", "a", "c"])
    single = loader.load("d")

    assert await together == ["B", "A", "C"]
    assert await single == "D"
    assert batches == [["b", "a", "c", "d"]]
    assert await loader.load_many(["a", "d"]) == ["A", "D"]  # from the cache
    assert batches == [["b", "a", "c", "d"]]


async def test_a_failed_batch_raises_its_error_and_leaves_none_unretrieved() -> None:
    async def fetch(keys: list[str]) -> list[str]:
        raise ConnectorError("the system did not answer", system="crm")

    loader: Loader[str, str] = Loader(fetch)
    with pytest.raises(ConnectorError, match="did not answer"):
        await loader.load_many(["a", "b", "c"])

    # The keys after the first hold the same error: seen, as gather sees them, so that the
    # event loop does not log "Future exception was never retrieved" for each of them.
    for key in ("b", "c"):
        future = loader.cache_map.get(key)
        assert isinstance(future, asyncio.Future)
        assert future.done()
        assert not future._log_traceback

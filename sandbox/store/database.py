"""One emulated API's MongoDB database: its collections, indexes, row versions and undo log."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Literal

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from sandbox.errors import ErrorKind, SandboxError
from sandbox.model import KEY, SEQ, VERSION, Catalogue, EntitySet

Doc = dict[str, Any]
COUNTERS = "_counters"
_CLEAR_BY_DELETING = 20_000  # writes up to which a reset deletes records instead of dropping
_LAYOUT = 2  # the storage layout version: 2 added the key copy (`_key`)
TOMBSTONES = "_tombstones"


@dataclass(frozen=True, slots=True)
class WriteEvent:
    """One record written, as change notifications see it: which set, which record, how, the
    record after the write (before it, for a deletion) and the columns the write set."""

    entity_set: str
    key: Any
    kind: Literal["created", "updated", "deleted"]
    doc: Doc
    changed: frozenset[str]


# Called synchronously inside the write, so that it sees the request's context (who acts).
WriteObserver = Callable[[WriteEvent], None]


class VersionClock:
    """Row versions of one database, from a counter document so that two processes (the server
    and a seeding command) never hand out the same number. Every write takes a fresh version;
    a record's first version is also its creation sequence (`_seq`).

    `watermark()` is the highest version below which no write of this process is still in
    flight: a change-tracking token taken there never skips a record that is about to appear.
    """

    def __init__(self, database: AsyncDatabase[Doc]) -> None:
        self._counters: AsyncCollection[Doc] = database[COUNTERS]
        self._pending: dict[int, int] = {}
        self._tickets = itertools.count()
        self._seen = 0  # the highest counter value this process has observed

    async def allocate(self, count: int = 1) -> int:
        """Reserve `count` consecutive versions; returns the first."""
        found = await self._counters.find_one_and_update(
            {"_id": "version"},
            {"$inc": {"value": count}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        assert found is not None
        self._seen = max(self._seen, int(found["value"]))
        return int(found["value"]) - count + 1

    @contextlib.asynccontextmanager
    async def writing(self, count: int = 1) -> AsyncIterator[int]:
        ticket = next(self._tickets)
        # Until the counter answers, the version is unknown but above anything seen so far.
        self._pending[ticket] = self._seen + 1
        try:
            first = await self.allocate(count)
            self._pending[ticket] = first
            yield first
        finally:
            del self._pending[ticket]

    def forget(self) -> None:
        """After the database was dropped: the counter starts again from zero."""
        self._seen = 0

    async def current(self) -> int:
        found = await self._counters.find_one({"_id": "version"})
        value = int(found["value"]) if found else 0
        self._seen = max(self._seen, value)
        return value

    async def watermark(self) -> int:
        current = await self.current()
        if self._pending:
            return min(current, min(self._pending.values()) - 1)
        return current


class Journal:
    """Undo log of a change set: the state of every record before each write, so that a failed
    change set leaves nothing behind."""

    def __init__(self) -> None:
        self._entries: list[tuple[AsyncCollection[Doc], Any, Doc | None]] = []

    def record(self, collection: AsyncCollection[Doc], key: Any, before: Doc | None) -> None:
        self._entries.append((collection, key, before))

    async def rollback(self) -> None:
        for collection, key, before in reversed(self._entries):
            if before is None:
                await collection.delete_one({"_id": key})
            else:
                await collection.replace_one({"_id": key}, before, upsert=True)
        self._entries.clear()


class ApiDatabase:
    def __init__(self, database: AsyncDatabase[Doc], catalogue: Catalogue) -> None:
        self.database = database
        self.catalogue = catalogue
        self.clock = VersionClock(database)
        self.observers: list[WriteObserver] = []

    def _notify(self, event: WriteEvent) -> None:
        for observer in self.observers:
            observer(event)

    def collection(self, entity_set: EntitySet | str) -> AsyncCollection[Doc]:
        name = entity_set if isinstance(entity_set, str) else entity_set.name
        return self.database[name]

    async def ensure_indexes(self) -> None:
        counters = self.database[COUNTERS]
        layout = await counters.find_one({"_id": "layout"})
        backfill = layout is None or int(layout.get("value", 0)) < _LAYOUT
        for entity_set in self.catalogue:
            collection = self.collection(entity_set)
            await collection.create_index([(SEQ, ASCENDING)])
            await collection.create_index([(VERSION, ASCENDING)])
            await collection.create_index([(KEY, ASCENDING)])
            if backfill:  # records written before keys were copied get their copy now
                await collection.update_many({KEY: {"$exists": False}}, [{"$set": {KEY: "$_id"}}])
            for column in entity_set.index_columns():
                await collection.create_index([(column, ASCENDING)])
        await self.database[TOMBSTONES].create_index([(VERSION, ASCENDING)])
        if backfill:
            await counters.update_one({"_id": "layout"}, {"$set": {"value": _LAYOUT}}, upsert=True)

    async def drop(self) -> None:
        await self.database.client.drop_database(self.database.name)

    async def clear(self) -> bool:
        """Delete every record. A database that saw few writes keeps its collections and
        indexes (much cheaper than dropping and re-indexing); a large one is dropped (much
        cheaper than deleting record by record). False when indexes must be created."""
        if await self.clock.current() > _CLEAR_BY_DELETING:
            await self.drop()
            self.clock.forget()
            return False
        names = await self.database.list_collection_names()
        for name in names:
            await self.database[name].delete_many({})
        self.clock.forget()
        return bool(names)

    # -- writes -------------------------------------------------------------------------

    async def insert(self, entity_set: EntitySet, doc: Doc, journal: Journal | None) -> Doc:
        collection = self.collection(entity_set)
        async with self.clock.writing() as version:
            doc[SEQ] = version
            doc[VERSION] = version
            doc[KEY] = doc["_id"]
            try:
                await collection.insert_one(doc)
            except DuplicateKeyError:
                raise SandboxError(
                    ErrorKind.DUPLICATE,
                    f"A record with the key '{doc['_id']}' already exists in '{entity_set.name}'.",
                ) from None
        if journal is not None:
            journal.record(collection, doc["_id"], None)
        self._notify(WriteEvent(entity_set.name, doc["_id"], "created", doc, frozenset(doc)))
        return doc

    async def update(
        self, entity_set: EntitySet, before: Doc, changes: Doc, journal: Journal | None
    ) -> Doc:
        collection = self.collection(entity_set)
        async with self.clock.writing() as version:
            result = await collection.update_one(
                {"_id": before["_id"], VERSION: before[VERSION]},
                {"$set": {**changes, VERSION: version}},
            )
        if result.matched_count == 0:
            raise SandboxError(
                ErrorKind.PRECONDITION_FAILED,
                "The record was changed by another request while this one was writing it.",
            )
        if journal is not None:
            journal.record(collection, before["_id"], before)
        after = {**before, **changes, VERSION: version}
        self._notify(
            WriteEvent(entity_set.name, before["_id"], "updated", after, frozenset(changes))
        )
        return after

    async def delete(
        self, entity_set: EntitySet, before: Doc, journal: Journal | None, *, tombstone: bool
    ) -> None:
        collection = self.collection(entity_set)
        await collection.delete_one({"_id": before["_id"]})
        if journal is not None:
            journal.record(collection, before["_id"], before)
        if tombstone:
            tombstones = self.database[TOMBSTONES]
            async with self.clock.writing() as version:
                inserted = await tombstones.insert_one(
                    {"set": entity_set.name, "id": before["_id"], VERSION: version}
                )
            if journal is not None:
                journal.record(tombstones, inserted.inserted_id, None)
        self._notify(WriteEvent(entity_set.name, before["_id"], "deleted", before, frozenset()))

    async def get(self, entity_set: EntitySet, key: Any, **scope: Any) -> Doc | None:
        return await self.collection(entity_set).find_one({"_id": key, **scope})

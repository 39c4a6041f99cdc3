"""Sync errors: one document per record that failed to synchronize, until it succeeds.

A record is named by `record` ("erp:<id>" once coupled, else "<side>:<id>"), unique per
mapping: the same record failing again updates its error (message, details, run) and counts
`attempts`, instead of piling up copies. A record that later synchronizes has its errors
cleared. Each method is one round trip for a whole batch.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from gateway import events
from gateway.types import Document

COLLECTION = "sync_errors"
_OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")


def _now() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def record_name(side: str, record_id: str) -> str:
    return f"{side}:{record_id}"


@dataclass(frozen=True, slots=True)
class RecordFailure:
    """One record that failed in a run: which, why, and which way it was going."""

    mapping: str
    source_side: str  # the side whose record was being synchronized
    erp_id: str | None
    crm_id: str | None
    message: str
    code: str  # CONFLICT, DEPENDENCY_NOT_COUPLED, REJECTED, NOT_FOUND, ...
    direction: str | None = None  # TO_CRM / FROM_CRM; None when a person must choose
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def record(self) -> str:
        if self.erp_id is not None and self.crm_id is not None:
            return record_name("erp", self.erp_id)
        source_id = self.erp_id if self.source_side == "erp" else self.crm_id
        return record_name(self.source_side, source_id or "")


@dataclass(frozen=True, slots=True)
class SyncError:
    id: str
    mapping: str
    record: str
    source_side: str
    erp_id: str | None
    crm_id: str | None
    message: str
    code: str
    direction: str | None
    details: dict[str, Any]
    attempts: int
    run_id: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_doc(cls, doc: Document) -> SyncError:
        return cls(
            id=str(doc["_id"]),
            mapping=doc["mapping"],
            record=doc["record"],
            source_side=doc.get("source_side", "erp"),
            erp_id=doc.get("erp_id"),
            crm_id=doc.get("crm_id"),
            message=doc.get("message", ""),
            code=doc.get("code", ""),
            direction=doc.get("direction"),
            details=dict(doc.get("details") or {}),
            attempts=int(doc.get("attempts") or 0),
            run_id=doc.get("run_id"),
            created_at=doc["created_at"],
            updated_at=doc.get("updated_at") or doc["created_at"],
        )


def parse_error_id(text: str) -> ObjectId | None:
    return ObjectId(text) if isinstance(text, str) and _OBJECT_ID.fullmatch(text) else None


class SyncErrorRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection: AsyncCollection[Document] = db[COLLECTION]

    async def record_many(self, failures: Sequence[RecordFailure], *, run_id: str | None) -> None:
        """Store each failure, counting an attempt more for a record that failed before."""
        if not failures:
            return
        now = _now()
        operations = [
            UpdateOne(
                {"mapping": failure.mapping, "record": failure.record},
                {
                    "$set": {
                        "source_side": failure.source_side,
                        "erp_id": failure.erp_id,
                        "crm_id": failure.crm_id,
                        "message": failure.message,
                        "code": failure.code,
                        "direction": failure.direction,
                        "details": failure.details,
                        "run_id": run_id,
                        "updated_at": now,
                    },
                    "$inc": {"attempts": 1},
                    "$setOnInsert": {"created_at": now},
                },
                upsert=True,
            )
            for failure in failures
        ]
        result = await self._collection.bulk_write(operations, ordered=False)
        events.sync_errors_added(self._collection.database, failures, result.upserted_ids)

    async def clear(
        self, mapping: str, *, erp_ids: Iterable[str] = (), crm_ids: Iterable[str] = ()
    ) -> int:
        """Remove the errors of records that have now synchronized."""
        erp, crm = list(dict.fromkeys(erp_ids)), list(dict.fromkeys(crm_ids))
        branches: list[Document] = []
        if erp:
            branches.append({"erp_id": {"$in": erp}})
        if crm:
            branches.append({"crm_id": {"$in": crm}})
        if not branches:
            return 0
        result = await self._collection.delete_many({"mapping": mapping, "$or": branches})
        return result.deleted_count

    async def delete(self, error_id: str) -> bool:
        oid = parse_error_id(error_id)
        if oid is None:
            return False
        return (await self._collection.delete_one({"_id": oid})).deleted_count == 1

    async def count_attempt(self, error_id: str, message: str) -> None:
        oid = parse_error_id(error_id)
        if oid is not None:
            await self._collection.update_one(
                {"_id": oid},
                {"$inc": {"attempts": 1}, "$set": {"message": message, "updated_at": _now()}},
            )

    async def get(self, error_id: str) -> SyncError | None:
        oid = parse_error_id(error_id)
        if oid is None:
            return None
        doc = await self._collection.find_one({"_id": oid})
        return SyncError.from_doc(doc) if doc else None

    async def get_many(self, error_ids: Sequence[str]) -> list[SyncError | None]:
        oids = [oid for oid in map(parse_error_id, error_ids) if oid is not None]
        found = {
            str(doc["_id"]): SyncError.from_doc(doc)
            async for doc in self._collection.find({"_id": {"$in": oids}})
        }
        return [found.get(error_id) for error_id in error_ids]

    async def for_uncoupled(
        self, mapping: str, side: str, record_ids: Sequence[str]
    ) -> list[SyncError]:
        """Errors of uncoupled records of one side (their counterpart could not be made)."""
        if not record_ids:
            return []
        names = [record_name(side, record_id) for record_id in record_ids]
        cursor = self._collection.find({"mapping": mapping, "record": {"$in": names}})
        return [SyncError.from_doc(doc) async for doc in cursor]

    async def for_record(self, mapping: str, side: str, record_id: str) -> list[SyncError]:
        cursor = self._collection.find({"mapping": mapping, f"{side}_id": record_id})
        return [SyncError.from_doc(doc) async for doc in cursor]

    async def retriable(self, mapping: str, *, below: int, limit: int) -> list[SyncError]:
        """A mapping's errors that a run may try again on its own, least recently tried
        first: those with a direction (a conflict waits for a person) tried fewer than
        `below` times."""
        cursor = (
            self._collection.find(
                {"mapping": mapping, "direction": {"$ne": None}, "attempts": {"$lt": below}}
            )
            .sort("updated_at", ASCENDING)
            .limit(limit)
        )
        return [SyncError.from_doc(doc) async for doc in cursor]

    async def count(self, mapping: str | None = None) -> int:
        return await self._collection.count_documents(
            {} if mapping is None else {"mapping": mapping}
        )

    async def page(
        self, *, mapping: str | None = None, after: str | None = None, size: int = 50
    ) -> tuple[list[SyncError], bool]:
        """Newest first."""
        query: Document = {}
        if mapping is not None:
            query["mapping"] = mapping
        if after is not None:
            oid = parse_error_id(after)
            if oid is None:
                raise ValueError("after: not a sync error id")
            query["_id"] = {"$lt": oid}
        cursor = self._collection.find(query).sort("_id", DESCENDING).limit(size + 1)
        docs = await cursor.to_list(size + 1)
        return [SyncError.from_doc(doc) for doc in docs[:size]], len(docs) > size

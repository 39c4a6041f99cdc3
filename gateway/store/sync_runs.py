"""Sync runs: one document per synchronization (a scheduled run of a mapping, a Synchronize
Now, a full synchronization, a statistics update), with its status, counters and progress.

A full synchronization also keeps its `checkpoint` here: the stage it is in and the last change
token whose batch was applied, so that a restarted run resumes right after it. Counters grow
with `$inc`, one update per applied batch, so concurrent writers never lose each other's counts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from bson import ObjectId
from pymongo import DESCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from gateway import events
from gateway.types import Document

COLLECTION = "sync_runs"
_OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")


class RunStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def finished(self) -> bool:
        return self in (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED)


class RunTrigger(StrEnum):
    SCHEDULED = "scheduled"
    RESUMED = "resumed"  # a scheduled run started at once because a person resumed the entry
    SYNCHRONIZE_NOW = "synchronizeNow"
    FULL_SYNCHRONIZATION = "fullSynchronization"
    UPDATE_ACCOUNT_STATISTICS = "updateAccountStatistics"
    RETRY_SYNC_ERROR = "retrySyncError"
    NOTIFICATION = "notification"


# The runs a job queue entry starts and settles.
ENTRY_TRIGGERS = frozenset({RunTrigger.SCHEDULED, RunTrigger.RESUMED})


@dataclass(slots=True)
class Counters:
    """What a run did, record by record. `modified` counts records written (a pair written on
    both sides counts twice); `inserted` the counterparts created; `coupled` every pair the run
    coupled, created or found by key."""

    inserted: int = 0
    modified: int = 0
    deleted: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    coupled: int = 0
    uncoupled: int = 0

    def add(self, other: Counters) -> None:
        for name in COUNTER_NAMES:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def records(self) -> int:
        """Records looked at (a record coupled and then written counts once per outcome)."""
        return self.inserted + self.modified + self.unchanged + self.skipped + self.failed

    def to_doc(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_doc(cls, doc: dict[str, Any] | None) -> Counters:
        doc = doc or {}
        return cls(**{name: int(doc.get(name) or 0) for name in COUNTER_NAMES})

    def __bool__(self) -> bool:
        return any(getattr(self, name) for name in COUNTER_NAMES)


COUNTER_NAMES = tuple(f.name for f in fields(Counters))


def _now() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


@dataclass(slots=True)
class SyncRun:
    mapping: str
    direction: str
    trigger: str
    actor: str
    status: RunStatus = RunStatus.QUEUED
    mappings: list[str] = field(default_factory=list)
    counters: Counters = field(default_factory=Counters)
    progress: float = 0.0
    message: str | None = None
    checkpoint: dict[str, Any] = field(default_factory=dict)
    created_at: datetime = field(default_factory=_now)
    started_at: datetime | None = None
    ended_at: datetime | None = None
    id: str | None = None
    # What the run did to each mapping it covered (a full synchronization covers several).
    by_mapping: dict[str, Counters] = field(default_factory=dict)

    def to_doc(self) -> Document:
        return {
            "mapping": self.mapping,
            "mappings": self.mappings or [self.mapping],
            "direction": self.direction,
            "trigger": self.trigger,
            "actor": self.actor,
            "status": self.status.value,
            "counters": self.counters.to_doc(),
            "progress": self.progress,
            "message": self.message,
            "checkpoint": self.checkpoint,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
        }

    @classmethod
    def from_doc(cls, doc: Document) -> SyncRun:
        return cls(
            id=str(doc["_id"]),
            mapping=doc["mapping"],
            mappings=list(doc.get("mappings") or [doc["mapping"]]),
            direction=doc["direction"],
            trigger=doc["trigger"],
            actor=doc.get("actor", ""),
            status=RunStatus(doc["status"]),
            counters=Counters.from_doc(doc.get("counters")),
            progress=float(doc.get("progress") or 0.0),
            message=doc.get("message"),
            checkpoint=dict(doc.get("checkpoint") or {}),
            created_at=doc["created_at"],
            started_at=doc.get("started_at"),
            ended_at=doc.get("ended_at"),
            by_mapping={
                name: Counters.from_doc(counters)
                for name, counters in (doc.get("by_mapping") or {}).items()
            },
        )


def parse_run_id(text: str) -> ObjectId | None:
    """Only the 24 hex digits we hand out."""
    return ObjectId(text) if isinstance(text, str) and _OBJECT_ID.fullmatch(text) else None


class SyncRunRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection: AsyncCollection[Document] = db[COLLECTION]

    async def create(self, run: SyncRun) -> SyncRun:
        result = await self._collection.insert_one(run.to_doc())
        run.id = str(result.inserted_id)
        events.sync_run_changed(self._collection.database, run.id, run.mapping)
        return run

    async def get(self, run_id: str) -> SyncRun | None:
        oid = parse_run_id(run_id)
        if oid is None:
            return None
        doc = await self._collection.find_one({"_id": oid})
        return SyncRun.from_doc(doc) if doc else None

    async def get_many(self, run_ids: Sequence[str]) -> list[SyncRun | None]:
        oids = [oid for oid in map(parse_run_id, run_ids) if oid is not None]
        found = {
            str(doc["_id"]): SyncRun.from_doc(doc)
            async for doc in self._collection.find({"_id": {"$in": oids}})
        }
        return [found.get(run_id) for run_id in run_ids]

    async def start(self, run_id: str) -> SyncRun | None:
        """Mark a run RUNNING (again, after a restart); its first start time is kept."""
        oid = parse_run_id(run_id)
        if oid is None:
            return None
        now = _now()
        doc = await self._collection.find_one_and_update(
            {"_id": oid, "status": {"$ne": RunStatus.CANCELLED.value}},
            [
                {
                    "$set": {
                        "status": RunStatus.RUNNING.value,
                        "started_at": {"$ifNull": ["$started_at", now]},
                        "ended_at": None,
                    }
                }
            ],
            return_document=ReturnDocument.AFTER,
        )
        events.sync_run_changed(self._collection.database, run_id)
        return SyncRun.from_doc(doc) if doc else None

    async def record_progress(
        self,
        run_id: str,
        counters: Counters,
        *,
        progress: float | None = None,
        checkpoint: dict[str, Any] | None = None,
        mapping: str | None = None,
    ) -> RunStatus | None:
        """Add one batch's counters (to `mapping`'s too), and move the progress and
        checkpoint: one update, which answers the run's status (CANCELLED: a person asked it
        to stop)."""
        changes: Document = {}
        if progress is not None:
            changes["progress"] = max(0.0, min(1.0, progress))
        if checkpoint is not None:
            changes["checkpoint"] = checkpoint
        update: Document = {}
        increments = {
            f"counters.{name}": value for name, value in counters.to_doc().items() if value
        }
        if mapping is not None:
            increments.update(
                {
                    f"by_mapping.{mapping}.{name}": value
                    for name, value in counters.to_doc().items()
                    if value
                }
            )
        if increments:
            update["$inc"] = increments
        if changes:
            update["$set"] = changes
        if not update:
            update["$set"] = {"progress_at": _now()}
        doc = await self._collection.find_one_and_update(
            {"_id": ObjectId(run_id)}, update, projection={"status": 1}
        )
        events.sync_run_changed(self._collection.database, run_id)
        return RunStatus(doc["status"]) if doc is not None else None

    async def delete(self, run_id: str) -> None:
        """Remove a run that never started (a request that withdrew)."""
        oid = parse_run_id(run_id)
        if oid is not None:
            await self._collection.delete_one({"_id": oid, "status": RunStatus.QUEUED.value})

    async def cancel(self, run_id: str, message: str) -> SyncRun | None:
        """Stop a queued or running run: it ends CANCELLED; None if it had finished."""
        oid = parse_run_id(run_id)
        if oid is None:
            return None
        doc = await self._collection.find_one_and_update(
            {
                "_id": oid,
                "status": {"$in": [RunStatus.QUEUED.value, RunStatus.RUNNING.value]},
            },
            {"$set": {"status": RunStatus.CANCELLED.value, "message": message, "ended_at": _now()}},
            return_document=ReturnDocument.AFTER,
        )
        events.sync_run_finished(self._collection.database, doc)
        return SyncRun.from_doc(doc) if doc else None

    async def finish(
        self, run_id: str, status: RunStatus, *, message: str | None = None
    ) -> SyncRun | None:
        changes: Document = {"status": status.value, "ended_at": _now()}
        if status is RunStatus.SUCCEEDED:
            changes["progress"] = 1.0
        if message is not None:
            changes["message"] = message
        # A run a person cancelled stays cancelled, whatever its worker makes of it.
        doc = await self._collection.find_one_and_update(
            {"_id": ObjectId(run_id), "status": {"$ne": RunStatus.CANCELLED.value}},
            {"$set": changes},
            return_document=ReturnDocument.AFTER,
        )
        events.sync_run_finished(self._collection.database, doc)
        if doc is None:
            doc = await self._collection.find_one({"_id": ObjectId(run_id)})
        return SyncRun.from_doc(doc) if doc else None

    async def active(self, trigger: str, mappings: Sequence[str]) -> list[SyncRun]:
        """Unfinished runs of `trigger` that cover any of `mappings`."""
        cursor = self._collection.find(
            {
                "trigger": trigger,
                "status": {"$in": [RunStatus.QUEUED.value, RunStatus.RUNNING.value]},
                "mappings": {"$in": list(mappings)},
            }
        )
        return [SyncRun.from_doc(doc) async for doc in cursor]

    async def page(
        self,
        *,
        mapping: str | None = None,
        status: RunStatus | None = None,
        after: str | None = None,
        size: int = 50,
    ) -> tuple[list[SyncRun], bool]:
        """Newest first; `mapping` finds every run that covered it."""
        query: Document = {}
        if mapping is not None:
            query["mappings"] = mapping
        if status is not None:
            query["status"] = status.value
        if after is not None:
            oid = parse_run_id(after)
            if oid is None:
                raise ValueError("after: not a sync run id")
            query["_id"] = {"$lt": oid}
        cursor = self._collection.find(query).sort("_id", DESCENDING).limit(size + 1)
        docs = await cursor.to_list(size + 1)
        return [SyncRun.from_doc(doc) for doc in docs[:size]], len(docs) > size

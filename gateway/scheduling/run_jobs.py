"""The job queue's part of `sync_runs`: which runs background jobs carry, and their attempt.

A run carried by a job has `job_attempt`; the job that runs it is named after the run and the
attempt (`queue.job_id`). Taking over a run whose worker died raises the attempt, so a job of
an earlier attempt that turns up later finds itself stale and does nothing. Full
synchronizations are always carried by jobs (the attempt of one stored without it is 1).
"""

from __future__ import annotations

from dataclasses import dataclass

from bson import ObjectId
from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from gateway.store.sync_runs import COLLECTION, RunStatus, RunTrigger, SyncRun, parse_run_id
from gateway.types import Document

ATTEMPT = "job_attempt"


@dataclass(frozen=True, slots=True)
class CarriedRun:
    """A run as the job queue sees it."""

    id: str
    mapping: str
    trigger: str
    status: RunStatus
    attempt: int
    # How far the run has got: records it went through and pages it applied. Tries and
    # takeovers are counted only while this does not move (`RunJobs.stalled`).
    progress_mark: int = 0

    @classmethod
    def from_doc(cls, doc: Document) -> CarriedRun:
        counters = doc.get("counters") or {}
        pages = (doc.get("checkpoint") or {}).get("pages") or 0
        return cls(
            id=str(doc["_id"]),
            mapping=doc["mapping"],
            trigger=doc["trigger"],
            status=RunStatus(doc["status"]),
            attempt=int(doc.get(ATTEMPT) or 1),
            progress_mark=int(pages) + sum(int(v or 0) for v in counters.values()),
        )


def _carried() -> Document:
    return {
        "$or": [
            {ATTEMPT: {"$exists": True}},
            {"trigger": RunTrigger.FULL_SYNCHRONIZATION.value},
        ]
    }


def _at_attempt(attempt: int) -> Document:
    if attempt == 1:
        return {"$or": [{ATTEMPT: 1}, {ATTEMPT: {"$exists": False}}]}
    return {ATTEMPT: attempt}


class RunJobs:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection: AsyncCollection[Document] = db[COLLECTION]

    async def create(self, run: SyncRun) -> SyncRun:
        """Store a new run, QUEUED, as carried by a job (attempt 1)."""
        run.status = RunStatus.QUEUED
        result = await self._collection.insert_one({**run.to_doc(), ATTEMPT: 1})
        run.id = str(result.inserted_id)
        return run

    async def get(self, run_id: str) -> CarriedRun | None:
        oid = parse_run_id(run_id)
        if oid is None:
            return None
        doc = await self._collection.find_one({"_id": oid})
        return CarriedRun.from_doc(doc) if doc is not None else None

    async def unfinished(self, limit: int = 200) -> list[CarriedRun]:
        """Runs a job should be carrying: QUEUED, or RUNNING somewhere (or nowhere)."""
        cursor = (
            self._collection.find(
                {
                    "status": {"$in": [RunStatus.QUEUED.value, RunStatus.RUNNING.value]},
                    **_carried(),
                },
                projection={
                    "mapping": 1,
                    "trigger": 1,
                    "status": 1,
                    ATTEMPT: 1,
                    "counters": 1,
                    "checkpoint.pages": 1,
                },
            )
            .sort("_id", ASCENDING)
            .limit(limit)
        )
        return [CarriedRun.from_doc(doc) async for doc in cursor]

    async def clear_message(self, run_id: str) -> None:
        """A new try begins: what the last one said no longer holds."""
        await self._collection.update_one(
            {"_id": ObjectId(run_id), "status": RunStatus.QUEUED.value}, {"$set": {"message": None}}
        )

    async def requeue(self, run_id: str, attempt: int, message: str) -> bool:
        """A try failed and another will follow: the run waits again, saying why."""
        result = await self._collection.update_one(
            {"$and": [{"_id": ObjectId(run_id)}, _at_attempt(attempt)]},
            {"$set": {"status": RunStatus.QUEUED.value, "message": message, "ended_at": None}},
        )
        return result.modified_count == 1

    async def stalled(self, run_id: str, mark: int) -> int:
        """Count one failed try (or lost worker) of a run: the tries in a row since it last
        got further, this one included. A run that moves on gets its tries back, so a long
        run under intermittent faults is never given up while it progresses."""
        doc = await self._collection.find_one_and_update(
            {"_id": ObjectId(run_id)},
            [
                {
                    "$set": {
                        "stalls": {
                            "$cond": [
                                {"$eq": [{"$ifNull": ["$stall_mark", -1]}, mark]},
                                {"$add": [{"$ifNull": ["$stalls", 0]}, 1]},
                                1,
                            ]
                        },
                        "stall_mark": mark,
                    }
                }
            ],
            projection={"stalls": 1},
            return_document=ReturnDocument.AFTER,
        )
        return int(doc["stalls"]) if doc is not None else 1

    async def hand_over(self, run_id: str, attempt: int, message: str) -> bool:
        """Give a run that failed but progressed to a new attempt (a fresh job)."""
        result = await self._collection.update_one(
            {"$and": [{"_id": ObjectId(run_id)}, _at_attempt(attempt)]},
            {
                "$set": {
                    "status": RunStatus.QUEUED.value,
                    ATTEMPT: attempt + 1,
                    "message": message,
                    "ended_at": None,
                }
            },
        )
        return result.modified_count == 1

    async def take_over(self, run_id: str, attempt: int, message: str) -> bool:
        """A RUNNING run whose worker is gone: the next attempt is claimed by one caller."""
        result = await self._collection.update_one(
            {
                "$and": [
                    {"_id": ObjectId(run_id), "status": RunStatus.RUNNING.value},
                    _at_attempt(attempt),
                ]
            },
            {
                "$set": {
                    "status": RunStatus.QUEUED.value,
                    ATTEMPT: attempt + 1,
                    "message": message,
                }
            },
        )
        return result.modified_count == 1

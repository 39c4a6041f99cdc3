"""`job_queue_entries`: one document per mapping, shared by the sync engine and the scheduler.

The engine's part (`JobQueueTokens`) is where each side's change feed was left (`erp_token`,
`crm_token`); a token is saved only after the batch it follows has been applied. The
scheduler's part (`JobQueueEntries`) is the entry itself: status, minutes between runs,
inactivity timeout, pause, last and next run. Each writes only its own fields.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from gateway import events
from gateway.types import Document, SideName

COLLECTION = "job_queue_entries"


def token_field(side: SideName) -> str:
    return f"{side}_token"


class JobQueueTokens:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection: AsyncCollection[Document] = db[COLLECTION]

    async def tokens(self, mapping: str) -> dict[SideName, str | None]:
        doc = await self._collection.find_one(
            {"mapping": mapping}, projection={"erp_token": 1, "crm_token": 1}
        )
        doc = doc or {}
        return {"erp": doc.get("erp_token"), "crm": doc.get("crm_token")}

    async def save_token(self, mapping: str, side: SideName, token: str | None) -> None:
        await self.save_tokens(mapping, {side: token})

    async def save_tokens(self, mapping: str, tokens: Mapping[SideName, str | None]) -> None:
        if not tokens:
            return
        now = datetime.now(UTC)
        changes: Document = {token_field(side): token for side, token in tokens.items()}
        changes.update({f"{side}_token_saved_at": now for side in tokens})
        await self._collection.update_one(
            {"mapping": mapping},
            {"$set": changes, "$setOnInsert": {"created_at": now}},
            upsert=True,
        )

    async def forget(self, mapping: str) -> None:
        """Start the next incremental run from scratch (after the mapping changed, say)."""
        await self._collection.update_one(
            {"mapping": mapping}, {"$set": {"erp_token": None, "crm_token": None}}
        )


class JobStatus(StrEnum):
    """Where a mapping's job queue entry is: waiting for its next run (READY), claimed and
    running (IN_PROCESS), paused by an administrator or asleep for lack of changes (ON_HOLD),
    or stopped by an error at its last run (ERROR: the next run still happens)."""

    READY = "READY"
    IN_PROCESS = "IN_PROCESS"
    ON_HOLD = "ON_HOLD"
    ERROR = "ERROR"


@dataclass(frozen=True, slots=True)
class JobQueueEntry:
    """The scheduler's view of one mapping's entry (the engine's tokens are left out)."""

    mapping: str
    status: JobStatus
    minutes_between_runs: int
    inactivity_timeout_minutes: int | None  # None: never goes on hold for lack of changes
    on_hold: bool  # paused by an administrator
    next_run_at: datetime | None
    last_run_at: datetime | None = None
    last_run_id: str | None = None
    current_run_id: str | None = None
    claimed_at: datetime | None = None
    last_change_at: datetime | None = None
    message: str | None = None
    # Who asked for the next run now (a person resuming the entry); None: the schedule.
    resumed_by: str | None = None

    @property
    def inactive(self) -> bool:
        """Asleep for lack of changes (not paused): a change on either side wakes it."""
        return self.status is JobStatus.ON_HOLD and not self.on_hold

    @classmethod
    def from_doc(cls, doc: Document, defaults: EntryDefaults) -> JobQueueEntry:
        timeout = doc.get("inactivity_timeout_minutes", defaults.inactivity_timeout_minutes)
        return cls(
            mapping=doc["mapping"],
            status=JobStatus(doc.get("status", JobStatus.READY.value)),
            minutes_between_runs=int(
                doc.get("minutes_between_runs") or defaults.minutes_between_runs
            ),
            inactivity_timeout_minutes=int(timeout) if timeout else None,
            on_hold=bool(doc.get("on_hold", False)),
            next_run_at=_aware(doc.get("next_run_at")),
            last_run_at=_aware(doc.get("last_run_at")),
            last_run_id=doc.get("last_run_id"),
            current_run_id=doc.get("current_run_id"),
            claimed_at=_aware(doc.get("claimed_at")),
            last_change_at=_aware(doc.get("last_change_at")),
            message=doc.get("message"),
            resumed_by=doc.get("resumed_by"),
        )


@dataclass(frozen=True, slots=True)
class EntryDefaults:
    minutes_between_runs: int
    inactivity_timeout_minutes: int | None


def _aware(value: Any) -> datetime | None:
    """MongoDB hands datetimes back naive (in UTC) unless the client is told otherwise."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value if isinstance(value, datetime) else None


def _ms(moment: datetime) -> datetime:
    """MongoDB keeps milliseconds: conditions on a stored time must compare at that precision."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class JobQueueEntries:
    """The scheduler's fields of `job_queue_entries`. Every change that decides who runs what
    is one conditional update, so any number of schedulers and workers agree."""

    def __init__(self, db: AsyncDatabase[Document], defaults: EntryDefaults) -> None:
        self._collection: AsyncCollection[Document] = db[COLLECTION]
        self._defaults = defaults

    def _entry(self, doc: Document | None) -> JobQueueEntry | None:
        return JobQueueEntry.from_doc(doc, self._defaults) if doc else None

    async def ensure(self, mappings: Sequence[str], now: datetime) -> list[str]:
        """Give each mapping its scheduler fields, once: the document may already exist with
        the engine's tokens only. Returns the mappings whose entry was set up now."""
        existing = {
            doc["mapping"]
            async for doc in self._collection.find(
                {"mapping": {"$in": list(mappings)}, "status": {"$exists": True}},
                projection={"mapping": 1},
            )
        }
        created: list[str] = []
        for mapping in mappings:
            if mapping in existing:
                continue
            fields: Document = {
                "status": JobStatus.READY.value,
                "minutes_between_runs": self._defaults.minutes_between_runs,
                "inactivity_timeout_minutes": self._defaults.inactivity_timeout_minutes,
                "on_hold": False,
                "next_run_at": _ms(now),
                "last_change_at": _ms(now),
                "message": None,
            }
            try:
                result = await self._collection.update_one(
                    {"mapping": mapping, "status": {"$exists": False}},
                    {"$set": fields, "$setOnInsert": {"created_at": _ms(now)}},
                    upsert=True,
                )
            except DuplicateKeyError:  # another process set it up first
                continue
            if result.modified_count or result.upserted_id is not None:
                created.append(mapping)
        return created

    async def get(self, mapping: str) -> JobQueueEntry | None:
        return self._entry(await self._collection.find_one({"mapping": mapping}))

    async def all(self, mappings: Sequence[str]) -> list[JobQueueEntry]:
        """The entries of `mappings`, in that order (a mapping without one is left out)."""
        found = {
            doc["mapping"]: doc
            async for doc in self._collection.find(
                {"mapping": {"$in": list(mappings)}, "status": {"$exists": True}}
            )
        }
        return [
            JobQueueEntry.from_doc(found[name], self._defaults)
            for name in mappings
            if name in found
        ]

    async def due(self, now: datetime) -> list[JobQueueEntry]:
        """Entries whose next run has come: ready, in error, or asleep (to be probed)."""
        cursor = self._collection.find(
            {
                "on_hold": False,
                "status": {
                    "$in": [JobStatus.READY.value, JobStatus.ERROR.value, JobStatus.ON_HOLD.value]
                },
                "next_run_at": {"$lte": now},
            }
        )
        return [JobQueueEntry.from_doc(doc, self._defaults) async for doc in cursor]

    async def in_process(self) -> list[JobQueueEntry]:
        cursor = self._collection.find({"status": JobStatus.IN_PROCESS.value})
        return [JobQueueEntry.from_doc(doc, self._defaults) async for doc in cursor]

    async def claim(self, entry: JobQueueEntry, now: datetime) -> bool:
        """Take a due entry for a run: only the one caller whose condition still matches wins."""
        result = await self._collection.update_one(
            {
                "mapping": entry.mapping,
                "on_hold": False,
                "status": entry.status.value,
                "next_run_at": entry.next_run_at,
            },
            {
                "$set": {
                    "status": JobStatus.IN_PROCESS.value,
                    "next_run_at": _ms(now + timedelta(minutes=entry.minutes_between_runs)),
                    "claimed_at": _ms(now),
                    "current_run_id": None,
                }
            },
        )
        events.job_queue_entry_changed(self._collection.database, entry.mapping)
        return result.modified_count == 1

    async def claim_probe(self, entry: JobQueueEntry, now: datetime) -> bool:
        """Take a sleeping entry for a probe; its next probe is one interval later."""
        result = await self._collection.update_one(
            {
                "mapping": entry.mapping,
                "on_hold": False,
                "status": JobStatus.ON_HOLD.value,
                "next_run_at": entry.next_run_at,
            },
            {"$set": {"next_run_at": _ms(now + timedelta(minutes=entry.minutes_between_runs))}},
        )
        return result.modified_count == 1

    async def wake(self, mapping: str, now: datetime, message: str) -> bool:
        """A probe saw changes: the sleeping entry is claimed for a run at once."""
        result = await self._collection.update_one(
            {"mapping": mapping, "on_hold": False, "status": JobStatus.ON_HOLD.value},
            {
                "$set": {
                    "status": JobStatus.IN_PROCESS.value,
                    "claimed_at": _ms(now),
                    "current_run_id": None,
                    "last_change_at": _ms(now),
                    "message": message,
                }
            },
        )
        events.job_queue_entry_changed(self._collection.database, mapping)
        return result.modified_count == 1

    async def rouse(self, mapping: str, now: datetime, message: str) -> bool:
        """A change arrived by notification: the entry's inactivity counts from now, and an
        entry asleep for lack of changes (not paused) is due at once. True if it was asleep."""
        await self._collection.update_one(
            {"mapping": mapping, "status": {"$exists": True}},
            {"$set": {"last_change_at": _ms(now)}},
        )
        return await self._wake_now(mapping, now, message)

    async def _wake_now(self, mapping: str, now: datetime, message: str) -> bool:
        result = await self._collection.update_one(
            {"mapping": mapping, "on_hold": False, "status": JobStatus.ON_HOLD.value},
            {
                "$set": {
                    "status": JobStatus.READY.value,
                    "next_run_at": _ms(now),
                    "message": message,
                }
            },
        )
        return result.modified_count == 1

    async def bring_forward(self, mapping: str, now: datetime, message: str) -> bool:
        """Run the entry's mapping at the next tick (unless paused or running): changes may
        have been missed. True if its next run moved."""
        if await self._wake_now(mapping, now, message):
            return True
        result = await self._collection.update_one(
            {
                "mapping": mapping,
                "on_hold": False,
                "status": {"$in": [JobStatus.READY.value, JobStatus.ERROR.value]},
                "next_run_at": {"$gt": _ms(now)},
            },
            {"$set": {"next_run_at": _ms(now)}},
        )
        return result.modified_count == 1

    async def attach_run(self, mapping: str, claimed_at: datetime, run_id: str) -> bool:
        result = await self._collection.update_one(
            {
                "mapping": mapping,
                "status": JobStatus.IN_PROCESS.value,
                "claimed_at": _ms(claimed_at),
            },
            {"$set": {"current_run_id": run_id, "last_run_id": run_id, "resumed_by": None}},
        )
        events.job_queue_entry_changed(self._collection.database, mapping)
        return result.modified_count == 1

    async def note(self, mapping: str, run_id: str, message: str | None) -> None:
        """Say how the current run is doing (retrying, say) without settling the entry."""
        await self._collection.update_one(
            {"mapping": mapping, "current_run_id": run_id}, {"$set": {"message": message}}
        )
        events.job_queue_entry_changed(self._collection.database, mapping)

    async def settle(
        self,
        mapping: str,
        run_id: str | None,
        *,
        status: JobStatus,
        message: str | None,
        at: datetime,
        changed: bool,
    ) -> JobQueueEntry | None:
        """The run is over: the entry becomes `status` (ON_HOLD instead, if an administrator
        paused it meanwhile). Optimistic: retried if the pause switched under us."""
        for _ in range(5):
            doc = await self._collection.find_one(
                {"mapping": mapping, "current_run_id": run_id, "status": "IN_PROCESS"}
            )
            if doc is None:
                return None
            paused = bool(doc.get("on_hold", False))
            fields: Document = {
                "status": (JobStatus.ON_HOLD if paused else status).value,
                "message": doc.get("message") if paused else message,
                "current_run_id": None,
                "last_run_at": _ms(at),
            }
            if run_id is not None:
                fields["last_run_id"] = run_id
            if changed:
                fields["last_change_at"] = _ms(at)
            updated = await self._collection.find_one_and_update(
                {"_id": doc["_id"], "current_run_id": run_id, "on_hold": paused},
                {"$set": fields},
                return_document=ReturnDocument.AFTER,
            )
            if updated is not None:
                events.job_queue_entry_changed(self._collection.database, mapping)
                return self._entry(updated)
        return None

    async def change(
        self, mapping: str, fields: Document, *, unless_in_process: Document | None = None
    ) -> JobQueueEntry | None:
        """Set `fields`; `unless_in_process` too, but only when no run holds the entry (the
        run's end settles it instead)."""
        doc = await self._collection.find_one_and_update(
            {"mapping": mapping, "status": {"$exists": True}},
            {"$set": fields},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            return None
        if unless_in_process:
            after = await self._collection.find_one_and_update(
                {"mapping": mapping, "status": {"$ne": JobStatus.IN_PROCESS.value}},
                {"$set": unless_in_process},
                return_document=ReturnDocument.AFTER,
            )
            doc = after or doc
        events.job_queue_entry_changed(self._collection.database, mapping)
        return self._entry(doc)

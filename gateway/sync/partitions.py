"""A full synchronization shared by every worker: each page of a stage is a partition that any
worker may apply, while the run itself reads the pages and keeps the checkpoint.

The run reads a side's records page by page, as always, and stores each page as a partition
(the page's record ids and deletions, and the change token after it) in `run_partitions`,
then hands it to the workers (an arq job per partition). A partition is applied by whoever
claims it first: a worker that picks up its job, or the run itself while it waits, so a run
with no worker free still goes on. A claim is a lease: a worker that dies leaves its partition
to be claimed again once the lease lapses, and applying a page twice is harmless (pairs that
agree write nothing; counterparts are found again by key or derived id).

The run's checkpoint moves to the token of the last page whose partitions are all applied, in
order, so that a run that stops reads again from there. Counters and progress are the sums
of what the partitions did (each adds its own to the run when it is applied).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from gateway.mappings.model import TableMapping
from gateway.services import Services
from gateway.store.leases import renewed_while
from gateway.sync.context import SyncContext, sync_context
from gateway.sync.engine import SyncEngine
from gateway.types import Document, SideName

COLLECTION = "run_partitions"
APPLY_PARTITION = "apply_partition"  # the job that applies one partition
PENDING, CLAIMED, APPLIED = "pending", "claimed", "applied"


@dataclass(frozen=True, slots=True)
class Partition:
    run_id: str
    stage: int
    seq: int  # the page's place in its stage
    side: SideName
    ids: list[str]
    deleted: list[str]
    token: str  # the change token after this page
    status: str = PENDING

    def to_doc(self) -> Document:
        return {
            "_id": key(self.run_id, self.stage, self.seq),
            "run_id": self.run_id,
            "stage": self.stage,
            "seq": self.seq,
            "side": self.side,
            "ids": self.ids,
            "deleted": self.deleted,
            "token": self.token,
            "status": self.status,
            "owner": None,
            "lease_until": None,
        }

    @classmethod
    def from_doc(cls, doc: Document) -> Partition:
        return cls(
            run_id=doc["run_id"],
            stage=int(doc["stage"]),
            seq=int(doc["seq"]),
            side="crm" if doc["side"] == "crm" else "erp",
            ids=list(doc.get("ids") or []),
            deleted=list(doc.get("deleted") or []),
            token=doc["token"],
            status=doc["status"],
        )


def key(run_id: str, stage: int, seq: int) -> str:
    return f"{run_id}:{stage}:{seq}"


class RunPartitions:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection: AsyncCollection[Document] = db[COLLECTION]

    async def add(self, partition: Partition) -> None:
        """Store a page to apply; a page stored before (a resumed run read it again) stays."""
        await self._collection.update_one(
            {"_id": key(partition.run_id, partition.stage, partition.seq)},
            {"$setOnInsert": partition.to_doc()},
            upsert=True,
        )

    async def claim(
        self, run_id: str, owner: str, *, seconds: float, seq: tuple[int, int] | None = None
    ) -> Partition | None:
        """Take a partition to apply (the one at (stage, seq), or any): pending, or claimed
        by a holder whose lease lapsed. None: nothing to take."""
        now = datetime.now(UTC)
        query: Document = {
            "run_id": run_id,
            "$or": [
                {"status": PENDING},
                {"status": CLAIMED, "lease_until": {"$lte": now}},
            ],
        }
        if seq is not None:
            query["_id"] = key(run_id, *seq)
        doc = await self._collection.find_one_and_update(
            query,
            {
                "$set": {
                    "status": CLAIMED,
                    "owner": owner,
                    "lease_until": now + timedelta(seconds=seconds),
                }
            },
            sort=[("stage", ASCENDING), ("seq", ASCENDING)],
            return_document=ReturnDocument.AFTER,
        )
        return Partition.from_doc(doc) if doc is not None else None

    async def renew(self, partition: Partition, owner: str, *, seconds: float) -> bool:
        result = await self._collection.update_one(
            {"_id": key(partition.run_id, partition.stage, partition.seq), "owner": owner},
            {"$set": {"lease_until": datetime.now(UTC) + timedelta(seconds=seconds)}},
        )
        return result.matched_count == 1

    async def applied(self, partition: Partition, owner: str) -> bool:
        """Mark a claimed partition applied; False if its claim had passed to another."""
        result = await self._collection.update_one(
            {
                "_id": key(partition.run_id, partition.stage, partition.seq),
                "owner": owner,
                "status": CLAIMED,
            },
            {"$set": {"status": APPLIED, "owner": None, "lease_until": None}},
        )
        return result.modified_count == 1

    async def give_back(self, partition: Partition, owner: str) -> None:
        """A claim that failed: pending again, for the next claim."""
        await self._collection.update_one(
            {"_id": key(partition.run_id, partition.stage, partition.seq), "owner": owner},
            {"$set": {"status": PENDING, "owner": None, "lease_until": None}},
        )

    async def unapplied(self, run_id: str, stage: int) -> int:
        return await self._collection.count_documents(
            {"run_id": run_id, "stage": stage, "status": {"$ne": APPLIED}}
        )

    async def applied_prefix(self, run_id: str, stage: int, after: int) -> list[Partition]:
        """The partitions of the stage after `after` (the ones known applied before) that are
        applied with every one before them, in order: how far the checkpoint may move."""
        prefix: list[Partition] = []
        cursor = self._collection.find(
            {"run_id": run_id, "stage": stage, "seq": {"$gt": after}},
            sort=[("seq", ASCENDING)],
        )
        expected = after + 1
        async for doc in cursor:
            found = Partition.from_doc(doc)
            if found.seq != expected or found.status != APPLIED:
                break
            prefix.append(found)
            expected += 1
        return prefix

    async def forget(self, run_id: str, stage: int | None = None, *, after: int = 0) -> None:
        """Drop a run's partitions (those of `stage` after `after`: pages read again)."""
        query: Document = {"run_id": run_id}
        if stage is not None:
            query.update(stage=stage, seq={"$gt": after})
        await self._collection.delete_many(query)


async def apply_partition(
    services: Services, run_id: str, owner: str, *, at: tuple[int, int] | None = None
) -> bool:
    """Claim one partition of the run (the one `at` (stage, seq), or any) and apply it, adding
    what it did to the run; False when there was none to claim."""
    partitions = RunPartitions(services.db)
    seconds = services.settings.sync_lease_seconds
    claimed = await partitions.claim(run_id, owner, seconds=seconds, seq=at)
    if claimed is None:
        return False
    run = await services.runs.get(run_id)
    stage = run.checkpoint["stages"][claimed.stage] if run is not None else None
    mapping = await services.mappings.get(stage["mapping"]) if stage is not None else None
    if run is None or mapping is None:
        await partitions.give_back(claimed, owner)
        return False

    async def renew() -> bool:
        return await partitions.renew(claimed, owner, seconds=seconds)

    ctx = sync_context(services, run.actor)
    engine = full_engine(ctx, services, mapping, run_id)
    try:
        async with renewed_while(
            renew, seconds=seconds, name=key(run_id, claimed.stage, claimed.seq)
        ):
            connector = engine.ctx.connector(claimed.side)
            found = (
                await connector.get_many(mapping.entity_of(claimed.side), claimed.ids)
                if claimed.ids
                else {}
            )
            applied = await engine.apply(claimed.side, list(found.values()), claimed.deleted)
    except BaseException:
        await partitions.give_back(claimed, owner)
        raise
    if await partitions.applied(claimed, owner):
        await services.runs.record_progress(run_id, applied.counters, mapping=mapping.name)
    return True


def full_engine(
    ctx: SyncContext, services: Services, mapping: TableMapping, run_id: str
) -> SyncEngine:
    """The engine of a full run: counterparts coupled, created where the mapping creates
    them, and a write refused for a while failing its record, not the run."""
    return SyncEngine(
        ctx,
        services.sync_errors,
        mapping,
        create=not mapping.sync_only_coupled,
        couple_existing=True,
        stop_on_outage=False,
        skip_after=services.settings.sync_skip_after_failures,
        run_id=run_id,
    )

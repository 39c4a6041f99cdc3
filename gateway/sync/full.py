"""Full synchronization: every record of the chosen mappings, in dependency order. An
uncoupled record is coupled to the counterpart it already has (by key, or by the id the
gateway gave it), and gets one created in the mapping's direction(s) unless the mapping
synchronizes coupled records only (documents that their lifecycles create, salespeople that
only users may become).

A run is planned as stages, one per mapping and side it reads (`checkpoint.stages`), and
streams each side's records page by page (`changes(entity, None)`). After each applied page
the run's checkpoint holds the stage and the page's token; `run_full_synchronization` called
again for the same run (after a crash, say) resumes right there. Re-reading a page that was
partly applied is harmless: pairs already agree, and counterparts already created are found
again by key or by the id the gateway gave them. When a mapping's stages are done, their final
tokens become the mapping's incremental tokens.

Progress is the share of records read when every side could count its records, else the share
of stages done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Sequence
from typing import Any

from redis.exceptions import RedisError

from adapters.base import Page
from adapters.filters import Compare, all_of
from gateway.mappings.model import MappingDirection, TableMapping
from gateway.refusals import RefusalCode, connector_error, refuse
from gateway.services import Services
from gateway.store.sync_runs import (
    Counters,
    RunStatus,
    RunTrigger,
    SyncRun,
)
from gateway.sync.context import SyncContext, sync_context
from gateway.sync.currency import couple_local_currency
from gateway.sync.partitions import (
    APPLY_PARTITION,
    Partition,
    RunPartitions,
    apply_partition,
    full_engine,
    key,
)
from gateway.sync.running import MappingLease, RecordedRun, recorded_run, source_sides
from gateway.types import SideName

log = logging.getLogger(__name__)

_PARTITION_POLL_SECONDS = 0.1


async def start_full_synchronization(
    services: Services, names: Sequence[str] | None, *, actor: str
) -> SyncRun:
    """Check the request and store the run, QUEUED; nothing is synchronized yet."""
    sync_context(services, actor)
    health = await services.mapping_health()
    known = {mapping.name: mapping for mapping in health.mappings}
    if names is None:
        chosen = health.runnable
    else:
        for index, name in enumerate(names):
            mapping = known.get(name)
            if mapping is None:
                raise refuse(
                    RefusalCode.NOT_FOUND,
                    f"no table mapping is named {name!r}",
                    "mappings",
                    str(index),
                )
            if not health.usable(mapping):
                reason = "; ".join(health.problems.get(name, [])) or f"{name} is disabled"
                raise refuse(
                    RefusalCode.INVALID_INPUT,
                    f"{name} cannot run: {reason}",
                    "mappings",
                    str(index),
                )
        chosen = [mapping for mapping in health.mappings if mapping.name in set(names)]
    if not chosen:
        raise refuse(RefusalCode.INVALID_INPUT, "no mapping can run", "mappings")
    chosen_names = [mapping.name for mapping in chosen]
    runs = services.runs
    busy = await runs.active(RunTrigger.FULL_SYNCHRONIZATION, chosen_names)
    if busy:
        raise refuse(
            RefusalCode.CONFLICT,
            f"a full synchronization of {', '.join(busy[0].mappings)} is under way "
            f"(run {busy[0].id})",
            "mappings",
        )
    stages = [{"mapping": m.name, "side": side} for m in chosen for side in source_sides(m)]
    directions = {mapping.direction for mapping in chosen}
    run = await runs.create(
        SyncRun(
            mapping=", ".join(chosen_names),
            mappings=chosen_names,
            direction=(
                directions.pop() if len(directions) == 1 else MappingDirection.BIDIRECTIONAL
            ).value,
            trigger=RunTrigger.FULL_SYNCHRONIZATION,
            actor=actor,
            checkpoint={
                "stages": stages,
                "stage": 0,
                "token": None,
                "pages": 0,
                "processed": [0] * len(stages),
                "totals": None,
                "final_tokens": {},
            },
        )
    )
    # Two requests for overlapping mappings at once both pass the check above; the run
    # stored first goes ahead and the other one withdraws, whatever the interleaving.
    assert run.id is not None
    earlier = [
        r
        for r in await runs.active(RunTrigger.FULL_SYNCHRONIZATION, chosen_names)
        if r.id is not None and r.id < run.id
    ]
    if earlier:
        await runs.delete(run.id)
        raise refuse(
            RefusalCode.CONFLICT,
            f"a full synchronization of {', '.join(earlier[0].mappings)} is under way "
            f"(run {earlier[0].id})",
            "mappings",
        )
    return run


async def run_full_synchronization(
    services: Services, run_id: str, *, raise_failures: bool = False
) -> SyncRun:
    """Run a stored full synchronization to its end, or resume it from its checkpoint (after
    a crash left it RUNNING, or an outage made it FAILED). A failure is recorded on the run;
    with `raise_failures` it is raised afterwards too, for a job to decide on a retry."""
    runs = services.runs
    run = await runs.get(run_id)
    if run is None:
        raise refuse(RefusalCode.NOT_FOUND, f"no sync run has the id {run_id!r}", "id")
    if run.status in (RunStatus.SUCCEEDED, RunStatus.CANCELLED):
        return run  # a FAILED run (an outage, say) goes on from its checkpoint
    ctx = sync_context(services, run.actor)
    async with recorded_run(services, run_id, raise_failures=raise_failures) as recorded:
        full = _FullRun(services, ctx, recorded)
        try:
            await full.run()
        finally:
            await full.leave()
    return recorded.finished


class _FullRun:
    def __init__(self, services: Services, ctx: SyncContext, recorded: RecordedRun) -> None:
        self.services, self.ctx, self.recorded = services, ctx, recorded
        self.run_id = recorded.id
        self.checkpoint = recorded.run.checkpoint
        self.owner = f"{self.run_id}:{uuid.uuid4().hex[:8]}"  # this attempt, not the run
        self.lease: MappingLease | None = None

    async def run(self) -> None:
        checkpoint = self.checkpoint
        mappings = {m.name: m for m in await self.services.mappings.all()}
        if checkpoint.get("totals") is None:
            checkpoint["totals"] = await _count(self.ctx, mappings, checkpoint["stages"])
        stages = checkpoint["stages"]
        for index in range(int(checkpoint["stage"]), len(stages)):
            mapping = mappings.get(stages[index]["mapping"])
            if mapping is None:
                raise refuse(
                    RefusalCode.NOT_FOUND, f"{stages[index]['mapping']} was removed", "mappings"
                )
            lease = self.lease or await self.enter(mapping)
            async with lease.kept():
                await self.stage(mapping, index)
            following = stages[index + 1]["mapping"] if index + 1 < len(stages) else None
            if following != mapping.name:
                final = checkpoint["final_tokens"].get(mapping.name, {})
                await self.services.tokens.save_tokens(mapping.name, final)
                await self.leave()

    async def enter(self, mapping: TableMapping) -> MappingLease:
        lease = MappingLease(self.services, mapping.name, self.owner)
        if not await lease.wait():
            raise refuse(
                RefusalCode.CONFLICT, f"{mapping.name} stayed busy with another run", "mappings"
            )
        self.lease = lease
        return lease

    async def leave(self) -> None:
        lease, self.lease = self.lease, None
        if lease is not None:
            with contextlib.suppress(Exception):
                await lease.release()

    async def stage(self, mapping: TableMapping, index: int) -> None:
        await couple_local_currency(self.ctx, mapping)
        checkpoint = self.checkpoint
        side: SideName = checkpoint["stages"][index]["side"]
        token: str | None = checkpoint["token"] if index == checkpoint["stage"] else None
        if self.services.settings.sync_parallel_pages > 1:
            token = await self._shared_stage(mapping, index, side, token)
        else:
            token = await self._own_stage(mapping, index, side, token)
        checkpoint["final_tokens"].setdefault(mapping.name, {})[side] = token
        checkpoint.update(stage=index + 1, token=None, applied=0, applied_records=0)
        await self.recorded.record(Counters(), progress=progress(checkpoint), checkpoint=checkpoint)

    async def _own_stage(
        self, mapping: TableMapping, index: int, side: SideName, token: str | None
    ) -> str | None:
        """Every page applied by this run, one after the other."""
        checkpoint = self.checkpoint
        engine = full_engine(self.ctx, self.services, mapping, self.run_id)
        changes = engine.ctx.connector(side).changes(
            mapping.entity_of(side), token, page_size=self.services.settings.sync_page_size
        )
        async for batch in changes:
            counters = (await engine.apply(side, batch.upserts, batch.deleted_ids)).counters
            token = batch.token
            checkpoint["processed"][index] += len(batch.upserts)
            checkpoint.update(stage=index, token=token, pages=int(checkpoint["pages"]) + 1)
            await self.recorded.record(
                counters, progress=progress(checkpoint), checkpoint=checkpoint, mapping=mapping.name
            )
        return token

    async def _shared_stage(
        self, mapping: TableMapping, index: int, side: SideName, token: str | None
    ) -> str | None:
        """Pages read here and applied by whichever workers are free (this run too), at most
        `SYNC_PARALLEL_PAGES` at a time (`gateway.sync.partitions`)."""
        checkpoint, parallel = self.checkpoint, self.services.settings.sync_parallel_pages
        partitions = RunPartitions(self.services.db)
        applied = int(checkpoint.get("applied") or 0) if index == checkpoint["stage"] else 0
        await partitions.forget(self.run_id, index, after=applied)  # read again from the token
        checkpoint["processed"][index] = int(checkpoint.get("applied_records") or 0)
        seq = applied
        changes = (
            self.ctx.for_mapping(mapping)
            .connector(side)
            .changes(
                mapping.entity_of(side), token, page_size=self.services.settings.sync_page_size
            )
        )
        async for batch in changes:
            seq += 1
            ids = [record.id for record in batch.upserts]
            await partitions.add(
                Partition(self.run_id, index, seq, side, ids, list(batch.deleted_ids), batch.token)
            )
            await self._hand_over(index, seq)
            checkpoint["processed"][index] += len(ids)
            while await partitions.unapplied(self.run_id, index) >= parallel:
                await self._help(index)
            await self._advance(partitions, index)
        while await partitions.unapplied(self.run_id, index):
            await self._help(index)
        await self._advance(partitions, index)
        return str(checkpoint["token"]) if checkpoint.get("token") else token

    async def _hand_over(self, stage: int, seq: int) -> None:
        """A job for the page; if none can be queued, this run applies it itself."""
        with contextlib.suppress(RedisError, OSError):
            await self.services.redis.enqueue_job(
                APPLY_PARTITION,
                self.run_id,
                stage,
                seq,
                _job_id=f"partition:{key(self.run_id, stage, seq)}",
            )

    async def _help(self, stage: int) -> None:
        """Apply a partition nobody has claimed (or whose claim lapsed), or wait a moment."""
        if not await apply_partition(self.services, self.run_id, self.owner):
            await asyncio.sleep(_PARTITION_POLL_SECONDS)

    async def _advance(self, partitions: RunPartitions, index: int) -> None:
        """Move the checkpoint to the last page applied with every page before it."""
        checkpoint = self.checkpoint
        applied = int(checkpoint.get("applied") or 0) if index == checkpoint["stage"] else 0
        prefix = await partitions.applied_prefix(self.run_id, index, applied)
        if prefix:
            records = int(checkpoint.get("applied_records") or 0) if applied else 0
            checkpoint.update(
                stage=index,
                token=prefix[-1].token,
                applied=prefix[-1].seq,
                applied_records=records + sum(len(p.ids) for p in prefix),
                pages=int(checkpoint["pages"]) + len(prefix),
            )
        await self.recorded.record(Counters(), progress=progress(checkpoint), checkpoint=checkpoint)


def progress(checkpoint: dict[str, Any]) -> float:
    stages = checkpoint["stages"]
    if not stages:
        return 1.0
    done = int(checkpoint["stage"])
    processed: list[int] = checkpoint["processed"]
    totals: list[int | None] = checkpoint.get("totals") or [None] * len(stages)
    if all(total is not None for total in totals) and sum(t or 0 for t in totals) > 0:
        counted = sum(
            (total or 0) if i < done else min(processed[i], total or 0)
            for i, total in enumerate(totals)
        )
        return min(counted / sum(t or 0 for t in totals), 0.999 if done < len(stages) else 1.0)
    within = 0.0
    if done < len(stages):
        total = totals[done]
        within = min(processed[done] / total, 0.99) if total else 0.5
    return (done + within) / len(stages)


async def _count(
    ctx: SyncContext, mappings: dict[str, TableMapping], stages: list[dict[str, str]]
) -> list[int | None]:
    """How many records each stage will read, where the system can count them."""

    async def count(stage: dict[str, str]) -> int | None:
        mapping = mappings.get(stage["mapping"])
        if mapping is None:
            return None
        side: SideName = "erp" if stage["side"] == "erp" else "crm"
        wanted = mapping.erp_filter if side == "erp" else mapping.crm_filter
        condition = all_of(*(Compare(name, "eq", value) for name, value in wanted.items()))
        try:
            result = (
                await ctx.for_mapping(mapping)
                .connector(side)
                .query(mapping.entity_of(side), condition, Page(size=1), count=True)
            )
        except Exception as exc:
            if connector_error(exc) is None:
                raise
            return None
        return result.total_count

    return list(await asyncio.gather(*(count(stage) for stage in stages)))

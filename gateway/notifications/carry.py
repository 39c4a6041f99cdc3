"""Carrying the queued notifications of one mapping through the normal engine.

One carrier at a time holds the mapping's lease (renewed in the background) and drains the
queue, taking turns between the sides: the queued records of a side, a page at a time, are
read with one `get_many` and applied by `SyncEngine` (conflict policy, couplings, errors,
integration log, only what changed is written); a record the system no longer has is a
deletion. After a `collection` notification the side's records changed since then are read
page by page instead. Only then are the records taken off the queue, so that a failure leaves
them for the next try. One `SyncRun` with trigger `notification` records it all, and a
mapping's entry asleep for lack of changes wakes. Another run holding the lease (a scheduled
one) makes the job wait for it.

A mapping that is disabled, unusable or paused by an administrator drops what is queued: its
scheduled run reads those changes once it runs again (their tokens were never moved).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from adapters.base import Page
from adapters.filters import Compare
from gateway.mappings.model import TableMapping
from gateway.notifications.pending import PendingChanges
from gateway.scheduling.clock import Clock, system_clock
from gateway.scheduling.settling import saw_changes
from gateway.services import Services
from gateway.store.sync_runs import Counters, RunTrigger, SyncRun
from gateway.sync.context import SyncContext, sync_context
from gateway.sync.engine import SyncEngine
from gateway.sync.running import MappingLease, RecordedRun, recorded_run, source_sides
from gateway.types import SideName

ACTOR = "notifications"


CARRIER = f"{ACTOR}:"  # how a carrier's hold on the mapping's lease is named


class MappingBusyError(Exception):
    """Another run holds the mapping's lease. A carrier of notifications there drains the
    queue itself; any other run is waited for."""

    def __init__(self, holder: str | None) -> None:
        super().__init__(f"the mapping is being synchronized by {holder}")
        self.holder = holder

    @property
    def carrier(self) -> bool:
        return bool(self.holder and self.holder.startswith(CARRIER))


class _Carrier:
    """Applies what was queued within one recorded run."""

    def __init__(
        self, services: Services, mapping: TableMapping, ctx: SyncContext, run: RecordedRun
    ) -> None:
        self.mapping = mapping
        self.ctx = ctx
        self.run = run
        self.counters = Counters()
        self.engine = SyncEngine(
            ctx,
            services.sync_errors,
            mapping,
            create=not mapping.sync_only_coupled,
            skip_after=services.settings.sync_skip_after_failures,
            run_id=run.id,
        )

    async def _record(self, counters: Counters) -> None:
        self.counters.add(counters)
        await self.run.record(counters)

    async def apply(self, side: SideName, ids: list[str]) -> None:
        """Read `ids` on `side` and apply them; those it no longer has were deleted."""
        found = await self.ctx.connector(side).get_many(self.mapping.entity_of(side), ids)
        gone = [record_id for record_id in ids if record_id not in found]
        applied = await self.engine.apply(side, list(found.values()), gone)
        await self._record(applied.counters)

    async def read_since(self, side: SideName, since: datetime, page_size: int) -> None:
        """Every record of `side` changed after `since`, page by page."""
        connector = self.ctx.connector(side)
        entity = self.mapping.entity_of(side)
        spec = connector.entities().get(entity)
        if spec is None or spec.modified_field is None:
            return  # nothing to filter on: the scheduled run reads these changes
        cursor: str | None = None
        while True:
            page = await connector.query(
                entity, Compare(spec.modified_field, "gt", since), Page(page_size, cursor)
            )
            applied = await self.engine.apply(side, page.records)
            await self._record(applied.counters)
            cursor = page.next_cursor
            if cursor is None:
                return


@dataclass(frozen=True, slots=True)
class _Work:
    side: SideName
    taken: list[tuple[str, float]]  # records, with their scores
    since: float | None = None  # a collection: changes since then (epoch seconds)


async def _next(
    pending: PendingChanges, mapping: str, sides: list[SideName], page: int, turn: int
) -> _Work | None:
    """What is queued now, one side after the other (starting at `turn`), records first."""
    order = sides[turn % len(sides) :] + sides[: turn % len(sides)]
    for side in order:
        taken = await pending.take(mapping, side, page, until=time.time())
        if taken:
            return _Work(side, taken)
    collections = await pending.collections(mapping)
    for side in order:
        if side in collections:
            return _Work(side, [], collections[side])
    return None


async def carry_notifications(
    services: Services, mapping_name: str, *, clock: Clock = system_clock
) -> SyncRun | None:
    """Carry what is queued for `mapping_name`, and whatever arrives meanwhile, until the
    queue is empty; the run, or None when there was nothing.

    One carrier at a time per mapping (the mapping's lease); the jobs of later windows that
    find it at work leave the records to it. What arrives after its last look and before it
    lets go is handed to a new job."""
    settings = services.settings
    page = settings.sync_page_size
    pending = PendingChanges(services.redis, window=settings.notification_window_seconds)
    mapping = await services.mappings.get(mapping_name)
    entry = await services.job_queue.get(mapping_name)
    health = await services.mapping_health()
    if mapping is None or not health.usable(mapping) or (entry is not None and entry.on_hold):
        await pending.drop(mapping_name)
        return None
    ctx = sync_context(services, ACTOR)
    lease = MappingLease(services, mapping.name, f"{CARRIER}{uuid.uuid4().hex}")
    if not await lease.take():
        raise MappingBusyError(await lease.holder())
    run: RecordedRun | None = None
    counters = Counters()
    try:
        async with lease.kept():
            sides = source_sides(mapping)
            work = await _next(pending, mapping.name, sides, page, 0)
            if work is not None:
                new = SyncRun(mapping.name, mapping.direction.value, RunTrigger.NOTIFICATION, ACTOR)
                async with recorded_run(services, new, raise_failures=True) as run:
                    carrier = _Carrier(services, mapping, ctx, run)
                    turn = 0
                    while work is not None:
                        await _carry(carrier, pending, work, page)
                        turn += 1
                        work = await _next(pending, mapping.name, sides, page, turn)
                    counters = carrier.counters
    finally:
        await lease.release()
    if await pending.waiting(mapping.name):
        await pending.schedule(mapping.name)
    if run is None:
        return None
    if saw_changes(counters):
        await services.job_queue.rouse(mapping.name, clock(), "woken by a change notification")
    return run.finished


async def _carry(carrier: _Carrier, pending: PendingChanges, work: _Work, page: int) -> None:
    """Apply one piece of work, then take it off the queue."""
    mapping = carrier.mapping.name
    if work.since is None:
        await carrier.apply(work.side, [record_id for record_id, _ in work.taken])
        await pending.done(mapping, work.side, work.taken)
        return
    await carrier.read_since(work.side, datetime.fromtimestamp(work.since, UTC), page)
    await pending.collection_done(mapping, work.side, work.since)

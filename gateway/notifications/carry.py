"""Carrying the queued notifications of one mapping through the normal engine.

Under the mapping's lease (a run elsewhere makes the job try again shortly), for each side the
mapping reads: the queued records, a page at a time, are read with one `get_many` and applied
by `SyncEngine` (conflict policy, couplings, errors, integration log, only what changed is
written); a record the system no longer has is a deletion. After a `collection` notification
the side's records changed since then are read page by page instead. Only then are the
records taken off the queue, so that a failure leaves them for the next try. One `SyncRun`
with trigger `notification` records it all, and a mapping's entry asleep for lack of changes
wakes.

A mapping that is disabled, unusable or paused by an administrator drops what is queued: its
scheduled run reads those changes once it runs again (their tokens were never moved).
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

from adapters.base import Page
from adapters.filters import Compare
from gateway.mappings.model import TableMapping
from gateway.notifications.pending import PendingChanges
from gateway.scheduling.clock import Clock, system_clock
from gateway.scheduling.entries import entries_of
from gateway.scheduling.settling import saw_changes
from gateway.services import Services
from gateway.store.sync_runs import Counters, RunStatus, RunTrigger, SyncRun, SyncRunRepository
from gateway.sync.engine import SyncEngine
from gateway.sync.pairs import SyncContext
from gateway.sync.running import (
    MappingLease,
    SideName,
    failure_message,
    mapping_health,
    source_sides,
    sync_context,
)

ACTOR = "notifications"


class MappingBusyError(Exception):
    """Another run holds the mapping's lease: try again shortly."""


class _Carrier:
    def __init__(self, services: Services, mapping: TableMapping, ctx: SyncContext) -> None:
        self.services = services
        self.mapping = mapping
        self.ctx = ctx
        self.runs = SyncRunRepository(services.db)
        self.run: SyncRun | None = None
        self.engine: SyncEngine | None = None
        self.counters = Counters()

    async def _engine(self) -> tuple[str, SyncEngine]:
        if self.run is None or self.engine is None:
            self.run = await self.runs.create(
                SyncRun(
                    mapping=self.mapping.name,
                    direction=self.mapping.direction.value,
                    trigger=RunTrigger.NOTIFICATION,
                    actor=ACTOR,
                    status=RunStatus.RUNNING,
                    started_at=datetime.now(UTC),
                )
            )
            assert self.run.id is not None
            self.engine = SyncEngine(
                self.ctx,
                self.services.db,
                self.mapping,
                create=not self.mapping.sync_only_coupled,
                skip_after=self.services.settings.sync_skip_after_failures,
                run_id=self.run.id,
            )
        assert self.run.id is not None
        return self.run.id, self.engine

    async def apply(self, side: SideName, ids: list[str]) -> None:
        """Read `ids` on `side` and apply them; those it no longer has were deleted."""
        run_id, engine = await self._engine()
        found = await self.ctx.connector(side).get_many(self.mapping.entity_of(side), ids)
        gone = [record_id for record_id in ids if record_id not in found]
        counters = await engine.apply(side, list(found.values()), gone)
        self.counters.add(counters)
        await self.runs.record_progress(run_id, counters)

    async def read_since(self, side: SideName, since: datetime, page_size: int) -> None:
        """Every record of `side` changed after `since`, page by page."""
        connector = self.ctx.connector(side)
        entity = self.mapping.entity_of(side)
        spec = connector.entities().get(entity)
        if spec is None or spec.modified_field is None:
            return  # nothing to filter on: the scheduled run reads these changes
        run_id, engine = await self._engine()
        cursor: str | None = None
        while True:
            page = await connector.query(
                entity, Compare(spec.modified_field, "gt", since), Page(page_size, cursor)
            )
            counters = await engine.apply(side, page.records)
            self.counters.add(counters)
            await self.runs.record_progress(run_id, counters)
            cursor = page.next_cursor
            if cursor is None:
                return


async def carry_notifications(
    services: Services, mapping_name: str, *, clock: Clock = system_clock
) -> SyncRun | None:
    """Carry what is queued for `mapping_name`; the run, or None when there was nothing."""
    settings = services.settings
    pending = PendingChanges(services.redis, window=settings.notification_window_seconds)
    mapping = await services.mappings.get(mapping_name)
    entry = await entries_of(services).get(mapping_name)
    health = await mapping_health(services)
    if mapping is None or not health.usable(mapping) or (entry is not None and entry.on_hold):
        await pending.drop(mapping_name)
        return None
    carrier = _Carrier(services, mapping, sync_context(services, ACTOR))
    lease = MappingLease(services, mapping.name, f"{ACTOR}:{uuid.uuid4().hex}")
    if not await lease.take():
        raise MappingBusyError(f"{mapping.name} is being synchronized by {await lease.holder()}")
    until = time.time()
    try:
        collections = await pending.collections(mapping.name)
        for side in source_sides(mapping):
            while True:
                taken = await pending.take(mapping.name, side, settings.sync_page_size, until=until)
                if taken:
                    await carrier.apply(side, [record_id for record_id, _ in taken])
                    await pending.done(mapping.name, side, taken)
                    await lease.renew()
                if len(taken) < settings.sync_page_size:
                    break
            since = collections.get(side)
            if since is not None:
                moment = datetime.fromtimestamp(since, UTC)
                await carrier.read_since(side, moment, settings.sync_page_size)
                await pending.collection_done(mapping.name, side, since)
    except Exception as exc:
        if carrier.run is not None and carrier.run.id is not None:
            await carrier.runs.finish(
                carrier.run.id, RunStatus.FAILED, message=failure_message(exc)
            )
        raise
    finally:
        await lease.release()
    if carrier.run is None or carrier.run.id is None:
        return None
    if saw_changes(carrier.counters):
        await entries_of(services).rouse(mapping.name, clock(), "woken by a change notification")
    return await carrier.runs.finish(carrier.run.id, RunStatus.SUCCEEDED)

"""The scheduler's tick: what every worker runs every few seconds (an arq cron job).

One tick
1. sets up the entry of every runnable mapping that has none;
2. settles entries whose run ended without saying so (its worker died at the wrong moment);
3. re-enqueues what MongoDB says is waiting but Redis may have lost: every QUEUED run (arq
   drops a job id it already knows, so this is harmless when nothing was lost), and every
   RUNNING run whose lease is free, as a new attempt (its worker died; it resumes from its
   checkpoint);
4. starts each due entry, in dependency order: claims it with a conditional update on its
   `next_run_at` (one scheduler wins, however many tick at once), stores its run QUEUED and
   enqueues it; an entry on hold for inactivity is probed instead and woken by a change. An
   entry whose dependencies are running, or have never run, waits for a later tick (units
   are coupled before the items that name them).

The clock is injected, so tests move time instead of waiting for it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from gateway.mappings.model import TableMapping
from gateway.scheduling.clock import Clock, system_clock
from gateway.scheduling.probe import changes_waiting
from gateway.scheduling.queue import enqueue
from gateway.scheduling.run_jobs import RunJobs
from gateway.scheduling.run_lease import RunLease
from gateway.scheduling.settling import settle_entry
from gateway.services import Services
from gateway.store.job_queue import JobQueueEntry, JobStatus
from gateway.store.sync_runs import RunStatus, RunTrigger, SyncRun
from gateway.sync.incremental import SCHEDULER

log = logging.getLogger(__name__)

# A claimed entry whose run was never stored (its scheduler died in between) is freed after.
_UNSTARTED_GRACE = timedelta(minutes=1)
_PROBES_AT_ONCE = 4


@dataclass
class TickReport:
    """What one tick did, by mapping or run id."""

    created: list[str] = field(default_factory=list)
    started: dict[str, str] = field(default_factory=dict)  # mapping -> run id
    probed: list[str] = field(default_factory=list)
    woken: list[str] = field(default_factory=list)
    requeued: list[str] = field(default_factory=list)
    taken_over: list[str] = field(default_factory=list)
    waiting: dict[str, list[str]] = field(default_factory=dict)  # mapping -> what it waits for
    abandoned: list[str] = field(default_factory=list)
    settled: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {name: value for name, value in vars(self).items() if value}


class Scheduler:
    def __init__(self, services: Services, *, clock: Clock = system_clock) -> None:
        self.services = services
        self.clock = clock
        self.entries = services.job_queue
        self.run_jobs = RunJobs(services.db)
        self.runs = services.runs

    async def tick(self) -> TickReport:
        report = TickReport()
        now = self.clock()
        health = await self.services.mapping_health()
        runnable = health.runnable
        report.created = await self.entries.ensure([m.name for m in runnable], now)
        await self._settle_orphans(now, report)
        await self._recover_runs(report)
        await self._start_due(runnable, now, report)
        if report.summary():
            log.info("scheduler tick: %s", report.summary())
        return report

    async def _settle_orphans(self, now: datetime, report: TickReport) -> None:
        for entry in await self.entries.in_process():
            if entry.current_run_id is None:
                if entry.claimed_at is None or now - entry.claimed_at > _UNSTARTED_GRACE:
                    settled = await self.entries.settle(
                        entry.mapping,
                        None,
                        status=JobStatus.READY,
                        message="its run was never started; it runs at the next interval",
                        at=now,
                        changed=False,
                    )
                    if settled is not None:
                        report.settled.append(entry.mapping)
                continue
            run = await self.runs.get(entry.current_run_id)
            if run is None or run.status.finished:
                if run is None:
                    run = _missing_run(entry)
                if await settle_entry(self.services, run, clock=self.clock) is not None:
                    report.settled.append(entry.mapping)

    async def _recover_runs(self, report: TickReport) -> None:
        redis = self.services.redis
        max_tries = self.services.settings.job_max_tries
        for carried in await self.run_jobs.unfinished():
            if carried.status is RunStatus.QUEUED:
                if await enqueue(redis, carried.id, carried.attempt):
                    report.requeued.append(carried.id)
                continue
            if not await RunLease(self.services, carried.id).free():
                continue  # its worker is alive
            stalls = await self.run_jobs.stalled(carried.id, carried.progress_mark)
            if stalls >= max_tries:
                message = f"its worker stopped {stalls} times without getting further; gave up"
                failed = await self.runs.finish(carried.id, RunStatus.FAILED, message=message)
                if failed is not None:
                    await settle_entry(self.services, failed, failure=message, clock=self.clock)
                report.abandoned.append(carried.id)
                continue
            message = "its worker stopped; taken over from its checkpoint"
            if await self.run_jobs.take_over(carried.id, carried.attempt, message):
                await enqueue(redis, carried.id, carried.attempt + 1)
                report.taken_over.append(carried.id)

    async def _start_due(
        self, runnable: list[TableMapping], now: datetime, report: TickReport
    ) -> None:
        due = {entry.mapping: entry for entry in await self.entries.due(now)}
        entries = {e.mapping: e for e in await self.entries.all([m.name for m in runnable])}
        asleep: list[tuple[TableMapping, JobQueueEntry]] = []
        for mapping in runnable:  # dependency order
            entry = due.get(mapping.name)
            if entry is None:
                continue
            waiting = _waiting_for(mapping, entries, report)
            if waiting:
                report.waiting[mapping.name] = waiting
                continue
            if entry.status is JobStatus.ON_HOLD:
                if await self.entries.claim_probe(entry, now):
                    asleep.append((mapping, entry))
                continue
            if await self.entries.claim(entry, now):
                report.started[mapping.name] = await self._start(
                    mapping, now, resumed_by=entry.resumed_by
                )
        if asleep:
            await self._probe(asleep, now, report)

    async def _probe(
        self, asleep: list[tuple[TableMapping, JobQueueEntry]], now: datetime, report: TickReport
    ) -> None:
        limit = asyncio.Semaphore(_PROBES_AT_ONCE)

        async def probe(mapping: TableMapping) -> bool:
            async with limit:
                try:
                    return await changes_waiting(self.services, mapping)
                except Exception as exc:  # a side is down: look again at the next interval
                    log.warning("could not probe %s (%s)", mapping.name, type(exc).__name__)
                    return False

        found = await asyncio.gather(*(probe(mapping) for mapping, _ in asleep))
        for (mapping, _), changed in zip(asleep, found, strict=True):
            report.probed.append(mapping.name)
            if changed and await self.entries.wake(mapping.name, now, "woken by a change"):
                report.woken.append(mapping.name)
                report.started[mapping.name] = await self._start(mapping, now)

    async def _start(
        self, mapping: TableMapping, claimed_at: datetime, *, resumed_by: str | None = None
    ) -> str:
        run = await self.run_jobs.create(
            SyncRun(
                mapping=mapping.name,
                direction=mapping.direction.value,
                trigger=RunTrigger.RESUMED if resumed_by else RunTrigger.SCHEDULED,
                actor=resumed_by or SCHEDULER,
            )
        )
        assert run.id is not None
        await self.entries.attach_run(mapping.name, claimed_at, run.id)
        await enqueue(self.services.redis, run.id, 1)
        return run.id


def _waiting_for(
    mapping: TableMapping, entries: dict[str, JobQueueEntry], report: TickReport
) -> list[str]:
    """The mappings `mapping` depends on whose run it must wait for: one started in this
    tick or still in process, or one that has never run (on a first start every entry is due
    at once, and units must be coupled before items)."""
    waiting = []
    for name in mapping.depends_on:
        dependency = entries.get(name)
        if dependency is None:
            continue  # not runnable: nothing to wait for
        if (
            name in report.started
            or dependency.status is JobStatus.IN_PROCESS
            or (dependency.last_run_at is None and not dependency.on_hold)
        ):
            waiting.append(name)
    return waiting


def _missing_run(entry: JobQueueEntry) -> SyncRun:
    """Stands in for a run that was removed: the entry is settled READY."""
    return SyncRun(
        mapping=entry.mapping,
        direction="",
        trigger=RunTrigger.SCHEDULED,
        actor=SCHEDULER,
        status=RunStatus.CANCELLED,
        message="its run was removed",
        id=entry.current_run_id,
    )

"""What a scheduled run's end does to its job queue entry: READY for the next run, ERROR with
the message (the next run still happens), or ON_HOLD when it has seen no change for longer
than the entry's inactivity timeout and a probe can tell when to wake it."""

from __future__ import annotations

from datetime import datetime, timedelta

from gateway.scheduling.clock import Clock, system_clock
from gateway.scheduling.probe import can_probe
from gateway.services import Services
from gateway.store.job_queue import JobQueueEntry, JobStatus
from gateway.store.sync_runs import ENTRY_TRIGGERS, Counters, RunStatus, SyncRun


def saw_changes(counters: Counters) -> bool:
    """Whether a run found anything to do (records only read and found equal do not count)."""
    return bool(
        counters.inserted
        + counters.modified
        + counters.deleted
        + counters.coupled
        + counters.uncoupled
        + counters.failed
    )


async def settle_entry(
    services: Services, run: SyncRun, *, failure: str | None = None, clock: Clock = system_clock
) -> JobQueueEntry | None:
    """Settle the entry whose current run is `run` (a scheduled run); None if it is not."""
    if run.trigger not in ENTRY_TRIGGERS or run.id is None:
        return None
    entries = services.job_queue
    now = clock()
    changed = saw_changes(run.counters)
    status, message = JobStatus.READY, run.message
    if failure is not None or run.status is RunStatus.FAILED:
        status, message = JobStatus.ERROR, failure or run.message
    elif run.status is RunStatus.SUCCEEDED and not changed:
        entry = await entries.get(run.mapping)
        if entry is not None and await _asleep(services, entry, now):
            status = JobStatus.ON_HOLD
            message = (
                f"on hold: no changes for {minutes(entry.inactivity_timeout_minutes)}; "
                "a change on either side wakes it"
            )
    return await entries.settle(
        run.mapping, run.id, status=status, message=message, at=now, changed=changed
    )


async def _asleep(services: Services, entry: JobQueueEntry, now: datetime) -> bool:
    timeout = entry.inactivity_timeout_minutes
    if not timeout or entry.last_change_at is None:
        return False
    if now - entry.last_change_at < timedelta(minutes=timeout):
        return False
    mapping = await services.mappings.get(entry.mapping)
    return mapping is not None and can_probe(services, mapping)


def minutes(count: int | None) -> str:
    return "1 minute" if count == 1 else f"{count} minutes"

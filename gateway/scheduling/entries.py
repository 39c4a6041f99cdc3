"""Job queue entries as administrators see and change them: one per enabled table mapping,
created idempotently, listed in dependency order, paused, resumed and re-timed.

Pausing takes effect for the next run (a run under way finishes); resuming schedules a run
now; a shorter interval brings the next run forward.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from gateway.refusals import RefusalCode, refuse
from gateway.scheduling.clock import Clock, system_clock
from gateway.services import Services
from gateway.store.job_queue import JobQueueEntry, JobStatus

MAX_MINUTES_BETWEEN_RUNS = 7 * 24 * 60
MAX_INACTIVITY_MINUTES = 365 * 24 * 60


async def list_entries(services: Services, *, clock: Clock = system_clock) -> list[JobQueueEntry]:
    """The entry of every enabled mapping, in dependency order (set up if missing)."""
    health = await services.mapping_health()
    names = [mapping.name for mapping in health.mappings if mapping.enabled]
    entries = services.job_queue
    await entries.ensure(names, clock())
    return await entries.all(names)


@dataclass(frozen=True, slots=True)
class EntryChange:
    """What an administrator asked to change; None leaves a setting as it is.
    `inactivity_timeout_minutes` 0 means never go on hold for lack of changes."""

    minutes_between_runs: int | None = None
    on_hold: bool | None = None
    inactivity_timeout_minutes: int | None = None


def check_change(change: EntryChange) -> None:
    """Refuse a change that cannot be applied, naming the field, before anything is written."""
    minutes = change.minutes_between_runs
    if minutes is not None and not 1 <= minutes <= MAX_MINUTES_BETWEEN_RUNS:
        raise refuse(
            RefusalCode.INVALID_INPUT,
            f"minutesBetweenRuns must be between 1 and {MAX_MINUTES_BETWEEN_RUNS}",
            "minutesBetweenRuns",
        )
    timeout = change.inactivity_timeout_minutes
    if timeout is not None and not 0 <= timeout <= MAX_INACTIVITY_MINUTES:
        raise refuse(
            RefusalCode.INVALID_INPUT,
            f"inactivityTimeoutMinutes must be between 0 (never) and {MAX_INACTIVITY_MINUTES}",
            "inactivityTimeoutMinutes",
        )


async def update_entry(
    services: Services,
    mapping_name: str,
    change: EntryChange,
    *,
    actor: str,
    clock: Clock = system_clock,
) -> JobQueueEntry:
    check_change(change)
    mapping = await services.mappings.get(mapping_name)
    if mapping is None:
        raise refuse(
            RefusalCode.NOT_FOUND, f"no table mapping is named {mapping_name!r}", "mapping"
        )
    if not mapping.enabled:
        raise refuse(
            RefusalCode.INVALID_INPUT,
            f"{mapping.name} is disabled: it has no job queue entry",
            "mapping",
        )
    now = clock()
    entries = services.job_queue
    await entries.ensure([mapping.name], now)
    current = await entries.get(mapping.name)
    assert current is not None
    fields: dict[str, object] = {}
    when_idle: dict[str, object] = {}
    if change.minutes_between_runs is not None:
        fields["minutes_between_runs"] = change.minutes_between_runs
        sooner = now + timedelta(minutes=change.minutes_between_runs)
        if current.next_run_at is None or current.next_run_at > sooner:
            fields["next_run_at"] = sooner
    if change.inactivity_timeout_minutes is not None:
        fields["inactivity_timeout_minutes"] = change.inactivity_timeout_minutes or None
        if not change.inactivity_timeout_minutes and current.inactive:
            when_idle.update(status=JobStatus.READY.value, message=None)
            fields["next_run_at"] = now
    if change.on_hold is True:
        fields.update(on_hold=True, message=f"paused by {actor}")
        when_idle["status"] = JobStatus.ON_HOLD.value
    elif change.on_hold is False:
        fields.update(on_hold=False, next_run_at=now, last_change_at=now, resumed_by=actor)
        if current.on_hold or current.status is not JobStatus.IN_PROCESS:
            fields["message"] = None
        when_idle.update(status=JobStatus.READY.value)
    updated = await entries.change(mapping.name, fields, unless_in_process=when_idle or None)
    assert updated is not None
    return updated

"""Carrying out one stored run in a worker, whatever queued it (the scheduler, the API, a
takeover), and deciding what follows a failure.

The job holds the run's lease while it works (`run_lease`), so no two workers carry out the
same run, and a run whose worker died is noticed. An outage (retriable connector errors,
a batch cut short, a lost mapping lease, MongoDB or Redis unreachable) puts the run back in
the queue with exponential backoff, up to `job_max_tries`; anything else, or the last try,
fails the run with its message and puts a scheduled run's entry in ERROR.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pymongo.errors import ConnectionFailure
from redis.exceptions import RedisError

from adapters.errors import RetriableError
from gateway.refusals import RefusalCode, RefusalError, connector_error, refuse
from gateway.scheduling.clock import Clock, system_clock
from gateway.scheduling.queue import enqueue
from gateway.scheduling.run_jobs import CarriedRun, RunJobs
from gateway.scheduling.run_lease import RunLease
from gateway.scheduling.settling import settle_entry
from gateway.services import Services
from gateway.settings import Settings
from gateway.store.sync_runs import ENTRY_TRIGGERS, RunStatus, RunTrigger, SyncRun
from gateway.sync.bulk_now import synchronize_records
from gateway.sync.engine import BatchInterruptedError
from gateway.sync.full import run_full_synchronization
from gateway.sync.incremental import run_incremental
from gateway.sync.running import (
    LeaseLostError,
    RunCancelledError,
    expected_failure,
    failure_message,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class JobOutcome:
    """What one try did: the run's status after it (or `stale`, `busy`, `missing` when there
    was nothing for this job to do), and the delay before the next try, if one follows."""

    run_id: str
    status: str
    retry_in: float | None = None
    message: str | None = None

    def summary(self) -> dict[str, Any]:
        return {"run": self.run_id, "status": self.status, "message": self.message}


async def execute_run(
    services: Services,
    run_id: str,
    attempt: int,
    *,
    job_try: int = 1,
    clock: Clock = system_clock,
) -> JobOutcome:
    carried = await RunJobs(services.db).get(run_id)
    if carried is None:
        return JobOutcome(run_id, "missing")
    if carried.attempt != attempt:
        return JobOutcome(run_id, "stale")  # the run was handed to a later attempt
    if carried.status.finished:
        return JobOutcome(run_id, carried.status.value)
    lease = RunLease(services, run_id)
    if not await lease.take():
        return JobOutcome(run_id, "busy")
    try:
        async with lease.kept():
            await RunJobs(services.db).clear_message(run_id)
            try:
                run = await _carry_out(services, carried)
            except Exception as exc:
                return await _after_failure(services, carried, exc, job_try=job_try, clock=clock)
            await settle_entry(services, run, clock=clock)
            return JobOutcome(run_id, run.status.value, message=run.message)
    finally:
        await lease.release()


async def _incremental(services: Services, carried: CarriedRun) -> SyncRun:
    return await run_incremental(services, carried.mapping, run_id=carried.id, raise_failures=True)


async def _full(services: Services, carried: CarriedRun) -> SyncRun:
    return await run_full_synchronization(services, carried.id, raise_failures=True)


async def _records(services: Services, carried: CarriedRun) -> SyncRun:
    return await synchronize_records(services, carried.id, raise_failures=True)


# What carries out each kind of stored run, by the trigger that stored it.
_CARRIERS: dict[str, Callable[[Services, CarriedRun], Awaitable[SyncRun]]] = {
    RunTrigger.SCHEDULED: _incremental,
    RunTrigger.RESUMED: _incremental,
    RunTrigger.FULL_SYNCHRONIZATION: _full,
    RunTrigger.SYNCHRONIZE_NOW: _records,
}


async def _carry_out(services: Services, carried: CarriedRun) -> SyncRun:
    carrier = _CARRIERS.get(carried.trigger)
    if carrier is None:
        raise refuse(
            RefusalCode.INVALID_INPUT, f"a {carried.trigger} run is not carried out by a job"
        )
    return await carrier(services, carried)


def retry_hint(exc: BaseException) -> tuple[bool, float | None]:
    """Whether trying again later may succeed, and after how long the other side asked."""
    if isinstance(exc, BatchInterruptedError):
        return True, exc.error.retry_after
    error = connector_error(exc)
    if error is not None:
        retriable = isinstance(error, RetriableError)
        return retriable, error.retry_after if isinstance(error, RetriableError) else None
    if isinstance(exc, RefusalError):
        return exc.code is RefusalCode.CONFLICT, None  # the mapping stayed busy
    outage = isinstance(exc, LeaseLostError | ConnectionFailure | RedisError | OSError)
    return outage, None


def backoff(settings: Settings, job_try: int, asked: float | None = None) -> float:
    """Seconds before try `job_try + 1`: doubling from the base, capped, never sooner than
    the other side asked, with a little jitter so that workers do not retry in step."""
    delay = min(
        settings.job_retry_max_seconds, settings.job_retry_base_seconds * 2.0 ** (job_try - 1)
    )
    if asked is not None:
        delay = max(delay, min(asked, settings.job_retry_max_seconds))
    return delay + random.uniform(0, delay / 10)  # noqa: S311 - jitter, not security


async def _after_failure(
    services: Services,
    carried: CarriedRun,
    exc: Exception,
    *,
    job_try: int,
    clock: Clock,
) -> JobOutcome:
    settings = services.settings
    retriable, asked = retry_hint(exc)
    message = exc.message if isinstance(exc, RefusalError) else failure_message(exc)
    scheduled = carried.trigger in ENTRY_TRIGGERS
    run_jobs = RunJobs(services.db)
    if isinstance(exc, RunCancelledError):
        cancelled = await services.runs.get(carried.id)
        if cancelled is not None:
            await settle_entry(services, cancelled, clock=clock)
        return JobOutcome(carried.id, RunStatus.CANCELLED.value, message=message)
    stalls = 1
    if retriable:
        current = await run_jobs.get(carried.id)
        mark = current.progress_mark if current is not None else carried.progress_mark
        stalls = await run_jobs.stalled(carried.id, mark)
    if retriable and stalls < settings.job_max_tries:
        delay = backoff(settings, stalls, asked)
        note = (
            f"{message}; try {stalls + 1} of {settings.job_max_tries} without progress "
            f"in {delay:.1f}s"
        )
        if scheduled:
            await services.job_queue.note(carried.mapping, carried.id, note)
        log.warning("run %s (%s): %s", carried.id, carried.mapping, note)
        if job_try < settings.job_max_tries:
            await run_jobs.requeue(carried.id, carried.attempt, note)
            return JobOutcome(carried.id, RunStatus.QUEUED.value, retry_in=delay, message=note)
        # This job has used its tries, but the run got further with them: a new attempt.
        if await run_jobs.hand_over(carried.id, carried.attempt, note):
            await enqueue(services.redis, carried.id, carried.attempt + 1, defer=delay)
        return JobOutcome(carried.id, RunStatus.QUEUED.value, message=note)
    if retriable:
        message = f"{message} (gave up after {stalls} tries without progress)"
    elif not (expected_failure(exc) or isinstance(exc, RefusalError)):
        log.error("run %s (%s) stopped", carried.id, carried.mapping, exc_info=exc)
    failed = await services.runs.finish(carried.id, RunStatus.FAILED, message=message)
    if failed is not None and scheduled:
        await settle_entry(services, failed, failure=message, clock=clock)
    return JobOutcome(carried.id, RunStatus.FAILED.value, message=message)

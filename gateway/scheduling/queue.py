"""Putting stored runs on the arq queue, by job name, under ids derived from the run.

The id `run:<run id>:<attempt>` makes enqueueing idempotent: arq refuses a second job with an
id it still knows (queued, running or with its result kept), so the API, any number of
schedulers and a re-enqueue after Redis lost its data all end up with one job per attempt.
A run whose job could not be enqueued (Redis down) is still stored QUEUED; the scheduler's
next tick enqueues it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from arq.connections import ArqRedis
from redis.exceptions import RedisError

from gateway.mappings.model import Direction
from gateway.scheduling.run_jobs import RunJobs
from gateway.services import Services
from gateway.store.sync_runs import SyncRun
from gateway.sync.bulk_now import plan_synchronize_records
from gateway.sync.full import start_full_synchronization

log = logging.getLogger(__name__)

CARRY_OUT_RUN = "carry_out_run"  # every stored run, whatever made it
UPDATE_STATISTICS = "update_statistics"
SCHEDULER_TICK = "scheduler_tick"


def job_id(run_id: str, attempt: int) -> str:
    return f"run:{run_id}:{attempt}"


async def enqueue(redis: ArqRedis, run_id: str, attempt: int, *, defer: float = 0.0) -> bool:
    """Enqueue the job of one attempt of a run; False if arq already has it."""
    job = await redis.enqueue_job(
        CARRY_OUT_RUN,
        run_id,
        attempt,
        _job_id=job_id(run_id, attempt),
        _defer_by=defer or None,
    )
    return job is not None


async def _hand_over(services: Services, run: SyncRun) -> None:
    assert run.id is not None
    try:
        await enqueue(services.redis, run.id, 1)
    except (RedisError, OSError) as exc:
        log.warning(
            "run %s is stored but not yet queued (%s); the scheduler will queue it",
            run.id,
            type(exc).__name__,
        )


async def queue_full_synchronization(
    services: Services, names: Sequence[str] | None, *, actor: str
) -> SyncRun:
    """Check the request, store the run QUEUED and hand it to a worker."""
    run = await start_full_synchronization(services, names, actor=actor)
    await _hand_over(services, run)
    return run


async def queue_synchronize_records(
    services: Services,
    mapping: str,
    *,
    erp_ids: Sequence[str],
    crm_ids: Sequence[str],
    direction: Direction,
    actor: str,
) -> SyncRun:
    """Synchronize Now for many records: checked here, run by a worker."""
    planned = await plan_synchronize_records(
        services, mapping, erp_ids=erp_ids, crm_ids=crm_ids, direction=direction, actor=actor
    )
    run = await RunJobs(services.db).create(planned)
    await _hand_over(services, run)
    return run

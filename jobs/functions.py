"""The job functions: each one line or two over a gateway service. Their names are what
`gateway.scheduling.queue` enqueues."""

from __future__ import annotations

import os
import uuid
from typing import Any

from arq.worker import Retry

from gateway.account_statistics import update_account_statistics
from gateway.scheduling.clock import Clock, system_clock
from gateway.scheduling.execution import execute_run
from gateway.scheduling.scheduler import Scheduler
from gateway.services import Services
from gateway.sync.incremental import SCHEDULER
from gateway.sync.partitions import apply_partition as apply_run_partition

JobContext = dict[str, Any]


def _services(ctx: JobContext) -> Services:
    services: Services = ctx["services"]
    return services


def _clock(ctx: JobContext) -> Clock:
    clock: Clock = ctx.get("clock") or system_clock
    return clock


async def carry_out_run(ctx: JobContext, run_id: str, attempt: int) -> dict[str, Any]:
    """One attempt of a stored run: a scheduled incremental run, a full synchronization or
    a many-record Synchronize Now (the run says which), started or resumed."""
    outcome = await execute_run(
        _services(ctx), run_id, attempt, job_try=int(ctx.get("job_try", 1)), clock=_clock(ctx)
    )
    if outcome.retry_in is not None:
        raise Retry(defer=outcome.retry_in)
    return outcome.summary()


async def apply_partition(ctx: JobContext, run_id: str, stage: int, seq: int) -> bool:
    """One page of a full synchronization, applied by whichever worker is free."""
    owner = f"worker:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    return await apply_run_partition(_services(ctx), run_id, owner, at=(stage, seq))


async def update_statistics(ctx: JobContext, erp_id: str | None = None) -> dict[str, Any]:
    """The ERP's figures of one coupled customer, or of all, onto their CRM accounts."""
    run = await update_account_statistics(_services(ctx), erp_id, actor=SCHEDULER)
    return {"run": run.id, "status": run.status.value, "message": run.message}


async def scheduler_tick(ctx: JobContext) -> dict[str, Any]:
    """Start due job queue entries and re-enqueue what Redis lost."""
    return (await Scheduler(_services(ctx), clock=_clock(ctx)).tick()).summary()

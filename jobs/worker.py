"""The arq worker: its settings, and the shared services it keeps in `ctx`."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from arq.connections import RedisSettings
from arq.worker import func
from arq.worker import run_worker as arq_run_worker

from gateway.notifications.pending import JOB
from gateway.observability.metrics import serve_process_metrics
from gateway.observability.tracing import configure_tracing, end_job_span, start_job_span
from gateway.scheduling.entries import list_entries
from gateway.services import Services, build_services, prepare_store
from gateway.settings import Settings
from gateway.system import describe_system
from jobs.functions import apply_partition, carry_out_run, scheduler_tick, update_statistics
from jobs.lifecycles import lifecycle_tick, process_quote, resume_workflows
from jobs.notifications import (
    MAINTAIN,
    carry_notifications_job,
    maintain_subscriptions_job,
    maintain_subscriptions_tick,
)
from jobs.schedules import cron_jobs

log = logging.getLogger(__name__)

JobContext = dict[str, Any]


async def ping(ctx: JobContext) -> dict[str, str]:
    """A job that proves a worker can reach MongoDB and Redis."""
    services: Services = ctx["services"]
    versions = await describe_system(services)
    return {"mongo": versions.mongo, "redis": versions.redis}


async def startup(ctx: JobContext) -> None:
    settings: Settings = ctx["settings"]
    configure_tracing(settings, service="gateway-worker")
    if settings.worker_metrics_port is not None:
        serve_process_metrics(settings.gateway_host, settings.worker_metrics_port)
    services = build_services(settings)
    # Kept in ctx before the first await: a worker stopped during start-up still closes it.
    ctx["services"] = services
    await prepare_store(services)
    try:  # every enabled mapping gets its job queue entry (idempotent)
        await list_entries(services)
    except Exception:  # the scheduler's tick sets them up too
        log.exception("the job queue entries could not be set up at start-up")
    if settings.erp_notifications or settings.crm_notifications:
        # Subscribe, and catch up on what changed while no notification could arrive.
        await services.redis.enqueue_job(MAINTAIN, catch_up=True)


async def shutdown(ctx: JobContext) -> None:
    services: Services | None = ctx.get("services")
    if services is not None:
        await services.aclose()


class WorkerSettings:
    functions: ClassVar[list[Any]] = [
        ping,
        carry_out_run,
        apply_partition,
        update_statistics,
        scheduler_tick,
        lifecycle_tick,
        resume_workflows,
        process_quote,
        func(carry_notifications_job, name=JOB),
        func(maintain_subscriptions_job, name=MAINTAIN),
        maintain_subscriptions_tick,
    ]
    on_startup = startup
    on_shutdown = shutdown
    max_tries = 5


def worker_options(settings: Settings, *, burst: bool = False) -> dict[str, Any]:
    """Options for arq's `Worker`; a burst worker drains the queue and stops, so only a
    long-running one carries the scheduler's cron tick. arq's own try limit is one above
    ours: a run's last try is ours to record as FAILED."""
    return {
        "redis_settings": RedisSettings.from_dsn(str(settings.redis_url)),
        "ctx": {"settings": settings},
        "burst": burst,
        "handle_signals": not burst,
        "cron_jobs": [] if burst else cron_jobs(settings),
        "max_tries": settings.job_max_tries + 1,
        "job_timeout": settings.job_timeout_seconds,
        # Each job's span continues the trace of the request that queued it.
        "on_job_start": start_job_span,
        "on_job_end": end_job_span,
    }


def run_worker(settings: Settings, *, burst: bool = False) -> None:
    arq_run_worker(WorkerSettings, **worker_options(settings, burst=burst))  # type: ignore[arg-type]

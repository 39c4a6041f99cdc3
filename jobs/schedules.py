"""The cron jobs every long-running worker carries: the scheduler's tick, every few seconds,
and the lifecycle tick (`jobs.lifecycles`), every `LIFECYCLE_TICK_SECONDS`, and (with change
notifications on) the maintenance of subscriptions, every minute.

arq gives a cron run a job id of its own per instant, so when several workers tick at the
same second only one of them runs it; the tick's claims make even concurrent ticks safe.
"""

from __future__ import annotations

from typing import Any

from arq.cron import cron

from gateway.settings import Settings
from jobs.functions import scheduler_tick
from jobs.lifecycles import lifecycle_cron_jobs
from jobs.notifications import notification_cron_jobs


def cron_jobs(settings: Settings) -> list[Any]:
    return [*_scheduler_cron_jobs(settings), *lifecycle_cron_jobs(settings)]


def _scheduler_cron_jobs(settings: Settings) -> list[Any]:
    if not settings.scheduler_enabled:
        return []
    every = settings.scheduler_tick_seconds
    return [
        *notification_cron_jobs(settings),
        cron(
            scheduler_tick,
            name="scheduler_tick",
            second=set(range(0, 60, every)),
            run_at_startup=True,
            timeout=max(60, 10 * every),
            keep_result=0,
            max_tries=1,
        ),
    ]

"""Change notification jobs: thin calls of `gateway.notifications`.

- `carry_notifications(mapping)`: what the receiver queued for a mapping, through the engine;
  enqueued by the receiver, one per mapping and window. A mapping another carrier is draining
  is left to it; one busy with another run, or a system unavailable, is tried again later
  (what is queued stays queued, and a last try hands it to a later job).
- `maintain_subscriptions(catch_up)`: subscribe, renew, remove; every minute in every
  long-running worker, and once with `catch_up` when a worker starts.
"""

from __future__ import annotations

from typing import Any

from arq.cron import cron
from arq.worker import Retry

from gateway.notifications.carry import MappingBusyError, carry_notifications
from gateway.notifications.pending import PendingChanges
from gateway.notifications.subscriptions import maintain_subscriptions
from gateway.scheduling.execution import backoff, retry_hint
from gateway.settings import Settings
from jobs.functions import JobContext, _clock, _services

BUSY_RETRY_SECONDS = 1.0
MAINTAIN = "maintain_subscriptions"


async def carry_notifications_job(ctx: JobContext, mapping: str) -> dict[str, Any]:
    services = _services(ctx)
    try:
        run = await carry_notifications(services, mapping, clock=_clock(ctx))
    except MappingBusyError as exc:
        if exc.carrier:  # it carries what this job would have: nothing to do here
            return {"mapping": mapping, "run": None, "busy": exc.holder}
        tried = int(ctx.get("job_try", 1))
        if tried < services.settings.job_max_tries:
            wait = min(BUSY_RETRY_SECONDS * 2 ** (tried - 1), services.settings.sync_lease_seconds)
            raise Retry(defer=wait) from exc
        # A long run holds the mapping: a later job takes over, so nothing stays queued.
        pending = PendingChanges(
            services.redis, window=services.settings.notification_window_seconds
        )
        await pending.schedule(mapping, later=services.settings.sync_lease_seconds)
        return {"mapping": mapping, "run": None, "busy": exc.holder}
    except Exception as exc:
        retriable, asked = retry_hint(exc)
        if not retriable:
            raise
        raise Retry(defer=backoff(services.settings, int(ctx.get("job_try", 1)), asked)) from exc
    if run is None:
        return {"mapping": mapping, "run": None}
    return {"mapping": mapping, "run": run.id, "status": run.status.value}


async def maintain_subscriptions_job(ctx: JobContext, catch_up: bool = False) -> dict[str, Any]:
    report = await maintain_subscriptions(_services(ctx), catch_up=catch_up, clock=_clock(ctx))
    return report.summary()


async def maintain_subscriptions_tick(ctx: JobContext) -> dict[str, Any]:
    """The cron form (no arguments)."""
    return await maintain_subscriptions_job(ctx)


def notification_cron_jobs(settings: Settings) -> list[Any]:
    if not (settings.erp_notifications or settings.crm_notifications):
        return []
    return [
        cron(
            maintain_subscriptions_tick,
            name="maintain_subscriptions_tick",
            second={30},
            run_at_startup=False,
            timeout=300,
            keep_result=0,
            max_tries=1,
        )
    ]

"""Lifecycle jobs: thin calls of `gateway.workflows.background`.

- `lifecycle_tick`: resumes interrupted workflows, then processes activated quotes and
  submitted orders (when their settings are on) and posted invoices of CRM orders;
- `resume_workflows`: only the resumption;
- `process_quote`: one activated quote, enqueued by `activateQuote` when automatic processing
  is on (the tick would find it too).

`lifecycle_cron_jobs` is the periodic schedule of the tick that every long-running worker
carries (`jobs.schedules`).
"""

from __future__ import annotations

from typing import Any

from arq.cron import cron

from gateway.services import Services
from gateway.settings import Settings
from gateway.workflows.background import WORKER, resume_interrupted, run_lifecycle_tick
from gateway.workflows.engine import Engine
from gateway.workflows.registry import DEFINITIONS

JobContext = dict[str, Any]


def _services(ctx: JobContext) -> Services:
    services: Services = ctx["services"]
    return services


async def lifecycle_tick(ctx: JobContext) -> dict[str, int]:
    """Resume interrupted workflows and process what the settings say to process."""
    return await run_lifecycle_tick(_services(ctx))


async def resume_workflows(ctx: JobContext) -> int:
    """Finish the workflow instances whose process died."""
    return await resume_interrupted(_services(ctx))


async def process_quote(ctx: JobContext, crm_quote_id: str) -> dict[str, Any]:
    """Send one activated CRM quote to the ERP (automatic quote processing)."""
    outcome = await Engine(_services(ctx), actor=WORKER).start(
        DEFINITIONS["processQuote"], {"crmQuoteId": crm_quote_id}
    )
    instance = outcome.instance
    return {
        "instance": instance.id if instance is not None else None,
        "status": instance.status.value if instance is not None else "REFUSED",
        "message": outcome.refusal.message if outcome.refusal is not None else None,
    }


def lifecycle_cron_jobs(settings: Settings) -> list[Any]:
    """The tick every `LIFECYCLE_TICK_SECONDS` (none when 0). arq gives each instant's run a
    job id of its own, so of several workers only one ticks at a time."""
    every = settings.lifecycle_tick_seconds
    if not every:
        return []
    return [
        cron(
            lifecycle_tick,
            name="lifecycle_tick",
            second=set(range(0, 60, every)),
            run_at_startup=True,
            timeout=600,
            keep_result=0,
            max_tries=1,
        )
    ]

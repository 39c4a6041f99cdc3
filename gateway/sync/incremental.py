"""An incremental run of one mapping: the unit a scheduled job runs.

It reads each side's changes since the token saved in the mapping's job queue entry (the ERP
side first, then the CRM side), applies them batch by batch (`gateway.sync.engine`) and saves
each token only once its batch is applied; then the records that failed before and are due
for another try go through the engine again. The first run, with no token yet, reads every
record and couples the counterparts it finds, as a full run does. It holds the mapping's lease
while it works: a run that finds the lease held elsewhere returns at once, CANCELLED, saying
so. With nothing to do, a run costs one change request per side (and one query of the sync
errors).
"""

from __future__ import annotations

from gateway.mappings.model import TableMapping
from gateway.refusals import RefusalCode, refuse
from gateway.services import Services
from gateway.store.sync_runs import Counters, RunStatus, RunTrigger, SyncRun
from gateway.sync.context import SyncContext, sync_context
from gateway.sync.currency import couple_local_currency
from gateway.sync.engine import SyncEngine
from gateway.sync.retrying import retry_failed
from gateway.sync.running import MappingLease, RecordedRun, recorded_run, source_sides
from gateway.types import SideName

SCHEDULER = "scheduler"


async def run_incremental(
    services: Services,
    mapping_name: str,
    *,
    actor: str = SCHEDULER,
    trigger: str = RunTrigger.SCHEDULED,
    run_id: str | None = None,
    raise_failures: bool = False,
) -> SyncRun:
    """Synchronize what changed on either side of `mapping_name` since its last run, then
    try again the records that failed before and are due (`gateway.sync.retrying`).

    `run_id` names a run stored beforehand (QUEUED, by the scheduler) to carry out instead of
    storing a new one; `raise_failures` raises a failure after recording it on the run, for a
    job to decide on a retry."""
    mapping = await services.mappings.get(mapping_name)
    if mapping is None:
        raise refuse(
            RefusalCode.NOT_FOUND, f"no table mapping is named {mapping_name!r}", "mapping"
        )
    ctx = sync_context(services, actor)
    new = SyncRun(mapping.name, mapping.direction.value, trigger, actor)
    async with recorded_run(services, run_id or new, raise_failures=raise_failures) as run:
        await _carry_out(services, ctx, mapping, run)
    return run.finished


async def _carry_out(
    services: Services, ctx: SyncContext, mapping: TableMapping, run: RecordedRun
) -> None:
    health = await services.mapping_health()
    if not health.usable(mapping):
        reason = "; ".join(health.problems.get(mapping.name, [])) or "the mapping is disabled"
        run.end(RunStatus.CANCELLED, f"not run: {reason}")
        return
    lease = MappingLease(services, mapping.name, run.id)
    if not await lease.take():
        holder = await lease.holder()
        run.end(
            RunStatus.CANCELLED,
            f"skipped: {mapping.name} is being synchronized elsewhere (by {holder})",
        )
        return
    try:
        async with lease.kept():
            await couple_local_currency(ctx, mapping)
            saved = await services.tokens.tokens(mapping.name)
            engine = SyncEngine(
                ctx,
                services.sync_errors,
                mapping,
                create=not mapping.sync_only_coupled,
                # The first run reads every record: the counterparts it finds are coupled, as a
                # full run's would be, so that the mappings depending on this one can start.
                couple_existing=all(token is None for token in saved.values()),
                skip_after=services.settings.sync_skip_after_failures,
                run_id=run.id,
            )
            await _read_changes(services, engine, run, saved)
            retried = await retry_failed(services, engine)
            if retried:
                await run.record(retried)
    finally:
        await lease.release()


async def _read_changes(
    services: Services,
    engine: SyncEngine,
    run: RecordedRun,
    saved: dict[SideName, str | None],
) -> None:
    """Each side's changes since its saved token, batch by batch; a token is saved only once
    its batch is applied."""
    mapping, tokens = engine.mapping, services.tokens
    sides = source_sides(mapping)
    for done, side in enumerate(sides):
        pages = 0
        changes = engine.ctx.connector(side).changes(
            mapping.entity_of(side), saved[side], page_size=services.settings.sync_page_size
        )
        async for batch in changes:
            counters = Counters()
            if batch.upserts or batch.deleted_ids:
                applied = await engine.apply(side, batch.upserts, batch.deleted_ids)
                counters = applied.counters
            if batch.token != saved[side]:
                await tokens.save_token(mapping.name, side, batch.token)
                saved[side] = batch.token
            pages += 1
            if counters:
                await run.record(counters, progress=(done + 1 - 0.5**pages) / len(sides))

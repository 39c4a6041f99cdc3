"""An incremental run of one mapping: the unit a scheduled job runs.

It reads each side's changes since the token saved in the mapping's job queue entry (the ERP
side first, then the CRM side), applies them batch by batch (`gateway.sync.engine`) and saves
each token only once its batch is applied. It holds the mapping's lease while it works: a run
that finds the lease held elsewhere returns at once, CANCELLED, saying so. With nothing to do,
a run costs one change request per side.
"""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.refusals import RefusalCode, refuse
from gateway.services import Services
from gateway.store.sync_runs import Counters, RunStatus, RunTrigger, SyncRun, SyncRunRepository
from gateway.sync.context import sync_context
from gateway.sync.engine import SyncEngine
from gateway.sync.running import (
    MappingLease,
    expected_failure,
    failure_message,
    source_sides,
)

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
    """Synchronize what changed on either side of `mapping_name` since its last run.

    `run_id` names a run stored beforehand (QUEUED, by the scheduler) to carry out instead of
    storing a new one; `raise_failures` raises a failure after recording it on the run, for a
    job to decide on a retry."""
    mapping = await services.mappings.get(mapping_name)
    if mapping is None:
        raise refuse(
            RefusalCode.NOT_FOUND, f"no table mapping is named {mapping_name!r}", "mapping"
        )
    ctx = sync_context(services, actor)
    runs = services.runs
    run = await _begin(runs, run_id, SyncRun(mapping.name, mapping.direction.value, trigger, actor))
    assert run.id is not None
    health = await services.mapping_health()
    if not health.usable(mapping):
        reason = "; ".join(health.problems.get(mapping.name, [])) or "the mapping is disabled"
        return await _finish(runs, run.id, RunStatus.CANCELLED, f"not run: {reason}")
    lease = MappingLease(services, mapping.name, run.id)
    if not await lease.take():
        holder = await lease.holder()
        return await _finish(
            runs,
            run.id,
            RunStatus.CANCELLED,
            f"skipped: {mapping.name} is being synchronized elsewhere (by {holder})",
        )
    engine = SyncEngine(
        ctx,
        services.sync_errors,
        mapping,
        create=not mapping.sync_only_coupled,
        skip_after=services.settings.sync_skip_after_failures,
        run_id=run.id,
    )
    tokens = services.tokens
    try:
        saved = await tokens.tokens(mapping.name)
        sides = source_sides(mapping)
        for done, side in enumerate(sides):
            pages = 0
            changes = ctx.connector(side).changes(
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
                progress = (done + 1 - 0.5**pages) / len(sides)
                if counters:
                    await runs.record_progress(run.id, counters, progress=progress)
                    await lease.renew()
    except Exception as exc:
        await _finish(runs, run.id, RunStatus.FAILED, failure_message(exc))
        if raise_failures or not expected_failure(exc):
            raise
        finished = await runs.get(run.id)
        assert finished is not None
        return finished
    finally:
        await lease.release()
    return await _finish(runs, run.id, RunStatus.SUCCEEDED, None)


async def _begin(runs: SyncRunRepository, run_id: str | None, new: SyncRun) -> SyncRun:
    """The stored run `run_id`, started; or `new`, stored RUNNING."""
    if run_id is None:
        new.status, new.started_at = RunStatus.RUNNING, datetime.now(UTC)
        return await runs.create(new)
    stored = await runs.start(run_id)
    if stored is None:
        raise refuse(RefusalCode.NOT_FOUND, f"no sync run has the id {run_id!r}", "id")
    return stored


async def _finish(
    runs: SyncRunRepository, run_id: str, status: RunStatus, message: str | None
) -> SyncRun:
    finished = await runs.finish(run_id, status, message=message)
    assert finished is not None
    return finished

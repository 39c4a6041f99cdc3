"""Retrying a sync error: the record is synchronized again, on its own, right now, through
the same engine as every run.

A coupled record is pushed in the direction its failed attempt was going; a conflict left
for a person has no such direction, so it is settled with Synchronize Now instead. An
uncoupled record goes through the engine like a new record of a full run: its counterpart is
coupled if one exists (by key, or by the id an earlier attempt gave it), else created. The
error goes when the retry succeeds; otherwise the engine counts one attempt more on it. Either
way the retry is a `SyncRun` with trigger `retrySyncError`.
"""

from __future__ import annotations

from gateway.mappings.model import TableMapping
from gateway.refusals import RefusalCode, RefusalError, connector_error, refusal_for, refuse
from gateway.services import Services
from gateway.store.couplings import Coupling
from gateway.store.sync_errors import SyncError
from gateway.store.sync_runs import RunStatus, RunTrigger, SyncRun
from gateway.sync.batch import flow_from
from gateway.sync.context import sync_context
from gateway.sync.engine import SyncEngine
from gateway.sync.now import RecordRun, push_pair, refusal_of
from gateway.sync.running import recorded_run, usable_mapping
from gateway.types import SideName


async def retry_sync_error(services: Services, error_id: str, *, actor: str) -> RecordRun:
    error = await services.sync_errors.get(error_id)
    if error is None:
        raise refuse(RefusalCode.NOT_FOUND, f"no sync error has the id {error_id}", "id")
    mapping = await usable_mapping(services, error.mapping, "id")
    sync_context(services, actor)
    coupling = await _coupling(services, mapping, error)
    if coupling is None:
        return await _couple_or_create(services, mapping, error, actor=actor)
    if error.direction is None:
        raise refuse(
            RefusalCode.CONFLICT,
            f"{error.message[:300]}: a person decides which side wins; "
            "use synchronizeNow with the direction to keep",
            "id",
        )
    return await push_pair(
        services,
        mapping,
        coupling,
        flow_from("erp" if error.direction == "TO_CRM" else "crm"),
        actor=actor,
        trigger=RunTrigger.RETRY_SYNC_ERROR,
    )


async def _coupling(services: Services, mapping: TableMapping, error: SyncError) -> Coupling | None:
    name, couplings = mapping.coupling_mapping, services.couplings
    if error.erp_id is not None:
        found = (await couplings.by_ids(name, "erp", [error.erp_id])).get(error.erp_id)
        if found is not None:
            return found
    if error.crm_id is not None:
        return (await couplings.by_ids(name, "crm", [error.crm_id])).get(error.crm_id)
    return None


async def _couple_or_create(
    services: Services, mapping: TableMapping, error: SyncError, *, actor: str
) -> RecordRun:
    side: SideName = "erp" if error.source_side == "erp" else "crm"
    direction = flow_from(side)
    source_id = error.erp_id if side == "erp" else error.crm_id
    if source_id is None or not mapping.direction.allows(direction):
        raise refuse(
            RefusalCode.INVALID_INPUT, f"{mapping.name} does not create records that way", "id"
        )
    ctx = sync_context(services, actor).for_mapping(mapping)
    new = SyncRun(mapping.name, direction.value, RunTrigger.RETRY_SYNC_ERROR, actor)
    refusal: RefusalError | None = None
    async with recorded_run(services, new) as run:
        source = (await ctx.connector(side).get_many(mapping.entity_of(side), [source_id])).get(
            source_id
        )
        if source is None:
            refusal = refuse(
                RefusalCode.NOT_FOUND, f"the {side.upper()} record {source_id} no longer exists"
            )
            run.end(RunStatus.FAILED, refusal.message)
        else:
            engine = SyncEngine(
                ctx,
                services.sync_errors,
                mapping,
                create=True,
                skip_after=services.settings.sync_skip_after_failures,
                run_id=run.id,
                retrying=True,
            )
            applied = await engine.apply(side, [source])
            await run.record(applied.counters)
            if applied.failures:
                refusal = refusal_of(applied.failures[0])
                run.end(RunStatus.FAILED, refusal.message)
    if run.error is not None:
        failure = connector_error(run.error)
        refusal = refusal_for(failure) if failure is not None else refusal
    return RecordRun(run.finished, {}, refusal)

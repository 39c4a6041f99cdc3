"""Retrying a sync error: the record is synchronized again, on its own, right now.

A coupled record is synchronized in the direction its failed attempt was going; a conflict
left for a person has no such direction, so it is settled with Synchronize Now instead. An
uncoupled record gets its counterpart created (or coupled, if an earlier attempt created it).
The error goes when the retry succeeds; otherwise it counts one attempt more. Either way the
retry is a `SyncRun` with trigger `retrySyncError`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.base import Record
from gateway.mappings.model import Direction, TableMapping
from gateway.refusals import (
    RefusalCode,
    RefusalError,
    connector_error,
    refusal_for,
    refuse,
    untranslatable,
)
from gateway.services import Services
from gateway.store.couplings import AlreadyCoupledError, Coupling
from gateway.store.sync_errors import SyncError
from gateway.store.sync_runs import (
    Counters,
    RunStatus,
    RunTrigger,
    SyncRun,
)
from gateway.sync.batch import flow_from
from gateway.sync.context import SyncContext, sync_context
from gateway.sync.matching import chooses_ids, counterpart_id
from gateway.sync.now import RecordRun, known_mapping, refusal_of, run_pair
from gateway.sync.pairs import (
    CounterpartError,
    coupled_record,
    create_counterpart,
    synchronize_pair,
)
from gateway.types import SideName


async def retry_sync_error(services: Services, error_id: str, *, actor: str) -> RecordRun:
    errors = services.sync_errors
    error = await errors.get(error_id)
    if error is None:
        raise refuse(RefusalCode.NOT_FOUND, f"no sync error has the id {error_id}", "id")
    mapping = await known_mapping(services, error.mapping, "id")
    ctx = sync_context(services, actor)
    coupling = await _coupling(services, mapping, error)
    if coupling is not None:
        if error.direction is None:
            raise refuse(
                RefusalCode.CONFLICT,
                f"{error.message[:300]}: a person decides which side wins; "
                "use synchronizeNow with the direction to keep",
                "id",
            )
        direction = Direction(error.direction)
        result = await run_pair(
            services, ctx, mapping, coupling, direction, trigger=RunTrigger.RETRY_SYNC_ERROR
        )
    else:
        result = await _create(services, ctx, mapping, error)
    if result.refusal is None:
        await errors.delete(error_id)
    else:
        await errors.count_attempt(error_id, result.refusal.message)
    return result


async def _coupling(services: Services, mapping: TableMapping, error: SyncError) -> Coupling | None:
    name, couplings = mapping.coupling_mapping, services.couplings
    if error.erp_id is not None:
        found = (await couplings.by_ids(name, "erp", [error.erp_id])).get(error.erp_id)
        if found is not None:
            return found
    if error.crm_id is not None:
        return (await couplings.by_ids(name, "crm", [error.crm_id])).get(error.crm_id)
    return None


async def _create(
    services: Services, ctx: SyncContext, mapping: TableMapping, error: SyncError
) -> RecordRun:
    side: SideName = "erp" if error.source_side == "erp" else "crm"
    direction = flow_from(side)
    source_id = error.erp_id if side == "erp" else error.crm_id
    if source_id is None or not mapping.direction.allows(direction):
        raise refuse(
            RefusalCode.INVALID_INPUT, f"{mapping.name} does not create records that way", "id"
        )
    runs = services.runs
    run = await runs.create(
        SyncRun(
            mapping=mapping.name,
            direction=direction.value,
            trigger=RunTrigger.RETRY_SYNC_ERROR,
            actor=ctx.actor,
            status=RunStatus.RUNNING,
            started_at=datetime.now(UTC),
        )
    )
    assert run.id is not None
    counters = Counters()
    refusal: RefusalError | None = None
    try:
        source = (await ctx.connector(side).get_many(mapping.entity_of(side), [source_id])).get(
            source_id
        )
        if source is None:
            refusal = refuse(
                RefusalCode.NOT_FOUND, f"the {side.upper()} record {source_id} no longer exists"
            )
        else:
            refusal = await _couple_or_create(ctx, mapping, (side, source), counters)
    except CounterpartError as exc:
        refusal = (
            untranslatable(exc.problems)
            if exc.problems
            else refuse(RefusalCode.INVALID_INPUT, str(exc))
        )
    except AlreadyCoupledError as exc:
        refusal = refuse(RefusalCode.CONFLICT, str(exc))
    except Exception as exc:
        failure = connector_error(exc)
        if failure is None:
            raise
        refusal = refusal_for(failure)
    if refusal is not None:
        counters.failed += 1
    await runs.record_progress(run.id, counters)
    finished = await runs.finish(
        run.id,
        RunStatus.FAILED if refusal is not None else RunStatus.SUCCEEDED,
        message=refusal.message if refusal is not None else None,
    )
    assert finished is not None
    return RecordRun(finished, None, refusal)


async def _couple_or_create(
    ctx: SyncContext,
    mapping: TableMapping,
    read: tuple[SideName, Record],
    counters: Counters,
) -> RefusalError | None:
    """Couple the counterpart an earlier attempt created, or create it now."""
    side, source = read
    direction = flow_from(side)
    target = ctx.connector(direction.target)
    made = counterpart_id(mapping, direction, source.id) if chooses_ids(target) else None
    earlier = (
        (await target.get_many(mapping.entity_of(direction.target), [made])).get(made)
        if made is not None
        else None
    )
    if earlier is None:
        await create_counterpart(
            ctx, mapping, source, direction, replace_existing=False, record_id=made
        )
        counters.inserted += 1
        return None
    erp, crm = (source, earlier) if side == "erp" else (earlier, source)
    coupled = await ctx.couplings.couple(
        mapping.coupling_mapping,
        coupled_record(mapping, "erp", erp),
        coupled_record(mapping, "crm", crm),
        replace_existing=False,
    )
    counters.coupled += 1
    outcome = await synchronize_pair(
        ctx, mapping, coupled.coupling, direction, erp_record=erp, crm_record=crm
    )
    if outcome.status == "modified":
        counters.modified += 1
    return refusal_of(outcome)

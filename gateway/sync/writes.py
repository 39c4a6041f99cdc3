"""Sending a batch's writes (one bulk write per system, both systems at once) and settling
each pair and deletion from what the systems answered. Every write, done or refused, gets
its integration log entry."""

from __future__ import annotations

import asyncio
from typing import Any

from adapters.base import Create, Delete, Operation, OperationResult, Record, Update
from adapters.errors import (
    ConflictError,
    ConnectorError,
    LockedError,
    NotFoundError,
    RetriableError,
)
from gateway.mappings.model import Direction
from gateway.store.couplings import Synced, needs_update
from gateway.store.integration_log import Target
from gateway.sync.batch import (
    Batch,
    CreateWork,
    DeleteWork,
    PairWork,
    Work,
    error_code,
    flow_from,
    other_side,
)
from gateway.sync.conflicts import settle_baseline
from gateway.sync.context import SyncContext
from gateway.sync.pairs import coupled_record, write_entry
from gateway.types import SideName


def _operations(batch: Batch) -> dict[SideName, list[tuple[Operation, Work]]]:
    by_side: dict[SideName, list[tuple[Operation, Work]]] = {"erp": [], "crm": []}
    for work in batch.pairs:
        targets: tuple[tuple[SideName, dict[str, Any]], ...] = (
            ("erp", work.plan.to_erp),
            ("crm", work.plan.to_crm),
        )
        for side, changes in targets:
            if changes:
                record = work.side(side)
                update = Update(record.entity, record.id, changes, etag=record.etag)
                by_side[side].append((update, work))
    for create in batch.creates:
        entity = batch.mapping.entity_of(create.direction.target)
        by_side[create.direction.target].append((Create(entity, create.values), create))
    for delete in batch.deletes:
        operation = Delete(delete.target.entity, delete.target.id, etag=delete.target.etag)
        by_side[delete.side].append((operation, delete))
    return by_side


async def send_writes(ctx: SyncContext, batch: Batch) -> None:
    async def send(side: SideName, operations: list[tuple[Operation, Work]]) -> None:
        if not operations:
            return
        results = await ctx.connector(side).write_many([op for op, _ in operations])
        for (_, work), result in zip(operations, results, strict=True):
            note_result(ctx, batch, side, work, result)

    by_side = _operations(batch)
    await asyncio.gather(send("erp", by_side["erp"]), send("crm", by_side["crm"]))


def note_result(
    ctx: SyncContext, batch: Batch, side: SideName, work: Work, result: OperationResult
) -> None:
    # A record held by someone (checked out) waits as its own error; the batch goes on.
    if isinstance(result.error, RetriableError) and not isinstance(result.error, LockedError):
        batch.interrupted = result.error
    operation = result.operation
    if isinstance(operation, Create):
        verb, changes, record_id = "create", dict(operation.values), None
    elif isinstance(operation, Update):
        verb, changes, record_id = "update", dict(operation.values), operation.id
    else:
        verb, changes, record_id = "delete", {}, operation.id
    entry = write_entry(
        ctx,
        verb,
        result.record,
        mapping=batch.mapping,
        direction=Direction.TO_CRM if side == "crm" else Direction.FROM_CRM,
        changes=changes,
        target=Target(system=ctx.connector(side).system, entity=operation.entity, id=record_id),
        error=result.error,
    )
    entry.details["run"] = batch.run_id
    if isinstance(work, PairWork) and work.plan.conflicts:
        entry.details["policy"] = batch.mapping.conflict_policy.value
        entry.details["conflicts"] = [
            {"row": c.row, "erp": c.erp, "crm": c.crm, "winner": c.winner}
            for c in work.plan.conflicts
        ]
    batch.log.append(entry)
    if isinstance(work, PairWork):
        if result.ok:
            work.written[side] = result.record or work.side(side)
        elif work.error is None:
            work.error = result.error
    elif isinstance(work, CreateWork):
        work.created, work.error = result.record if result.ok else None, result.error
    else:
        work.error, work.done = result.error, result.ok


def describe_write_error(error: ConnectorError) -> str:
    if isinstance(error, ConflictError):
        return (
            f"the record changed while it was being synchronized ({error}); "
            "the next run takes it up again"
        )
    return str(error)


def settle_pair(batch: Batch, work: PairWork) -> None:
    erp, crm = work.side("erp"), work.side("crm")
    if work.error is not None:
        # Keep the old baseline: whatever was written on one side is found agreeing next time.
        batch.fail(
            work.reading,
            coupling=work.coupling,
            message=describe_write_error(work.error),
            code=error_code(work.error),
            direction=flow_from(work.reading).value,
            erp_id=erp.id,
            crm_id=crm.id,
        )
        return
    erp_after, crm_after = work.written.get("erp"), work.written.get("crm")
    baseline = settle_baseline(
        batch.mapping,
        work.plan,
        erp_after=erp_after.values if erp_after is not None else None,
        crm_after=crm_after.values if crm_after is not None else None,
    )
    if work.written:
        batch.counters.modified += len(work.written)
    else:
        batch.counters.unchanged += 1
    batch.succeeded(erp.id, crm.id)
    if work.written or needs_update(work.coupling, baseline):
        batch.couplings.synced.append(
            Synced(
                work.coupling,
                baseline,
                _last_direction(work),
                erp=coupled_record(batch.mapping, "erp", erp_after or erp),
                crm=coupled_record(batch.mapping, "crm", crm_after or crm),
            )
        )


def _last_direction(work: PairWork) -> str | None:
    if not work.written:
        return work.coupling.last_direction
    if len(work.written) == 2:
        return flow_from(work.reading).value
    return (Direction.TO_CRM if "crm" in work.written else Direction.FROM_CRM).value


def settle_delete(batch: Batch, delete: DeleteWork) -> None:
    kept = other_side(delete.side)
    if delete.done or isinstance(delete.error, NotFoundError):
        batch.counters.deleted += int(delete.done)
        batch.uncouple(
            delete.coupling,
            delete.side,
            reason=f"the {kept.upper()} record {delete.coupling.side(kept).id} was deleted",
        )
        return
    batch.fail(
        kept,
        coupling=None,
        message=f"deleting its counterpart failed: {delete.error}",
        code=error_code(delete.error),
        direction=None,
        erp_id=delete.coupling.erp.id,
        crm_id=delete.coupling.crm.id,
    )


async def remove_orphans(
    ctx: SyncContext, batch: Batch, side: SideName, orphans: list[Record]
) -> None:
    """Delete what we created for records that turned out to be coupled already."""
    results = await ctx.connector(side).write_many(
        [Delete(r.entity, r.id, etag=r.etag) for r in orphans]
    )
    for result in results:
        operation = result.operation
        entry = write_entry(
            ctx,
            "delete",
            None,
            mapping=batch.mapping,
            direction=Direction.TO_CRM if side == "crm" else Direction.FROM_CRM,
            changes={},
            target=Target(
                system=ctx.connector(side).system,
                entity=operation.entity,
                id=None if isinstance(operation, Create) else operation.id,
            ),
            error=result.error,
        )
        entry.details.update({"run": batch.run_id, "reason": "created twice; coupled elsewhere"})
        batch.log.append(entry)

"""Synchronize Now for many records at once: the same overwrite in a chosen direction as for
one record (`gateway.sync.now`), for a list of ERP and/or CRM ids, run in the background.

The request is checked before anything is stored (mapping, direction, connections, number of
ids); the run keeps the ids and how many are done in its checkpoint, so a run stopped by an
outage or a lost worker goes on after the last chunk it finished. Per chunk: one lookup of
the couplings per side, one read per side, then each pair written only where fields differ.
A record that fails is counted, kept as a sync error (retryable in the same direction) and
named in the run's message; an id that is not coupled is counted as failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from adapters.errors import RetriableError
from gateway.mappings.model import Direction, TableMapping
from gateway.refusals import (
    RefusalCode,
    RefusalError,
    connector_error,
    refusal_for,
    refuse,
)
from gateway.services import Services
from gateway.store.couplings import Coupling
from gateway.store.sync_errors import RecordFailure
from gateway.store.sync_runs import Counters, RunStatus, RunTrigger, SyncRun
from gateway.sync.context import SyncContext, sync_context
from gateway.sync.now import known_mapping, refusal_of
from gateway.sync.pairs import synchronize_pair
from gateway.sync.running import expected_failure, failure_message
from gateway.types import SideName

MAX_RECORDS = 1000
_CHUNK = 100
_PAIRS_AT_ONCE = 8
_EXAMPLES = 3


async def plan_synchronize_records(
    services: Services,
    mapping_name: str,
    *,
    erp_ids: Sequence[str],
    crm_ids: Sequence[str],
    direction: Direction,
    actor: str,
) -> SyncRun:
    """The run to store for the request, once everything about it has been checked."""
    mapping = await known_mapping(services, mapping_name)
    if not mapping.direction.allows(direction):
        raise refuse(
            RefusalCode.INVALID_INPUT,
            f"{mapping.name} synchronizes {mapping.direction.value}: it cannot {direction.value}",
            "direction",
        )
    sync_context(services, actor)
    erp, crm = list(dict.fromkeys(erp_ids)), list(dict.fromkeys(crm_ids))
    if not erp and not crm:
        raise refuse(RefusalCode.INVALID_INPUT, "give at least one id", "erpIds")
    if len(erp) + len(crm) > MAX_RECORDS:
        raise refuse(
            RefusalCode.INVALID_INPUT,
            f"at most {MAX_RECORDS} records at a time; split the list",
            "erpIds" if erp else "crmIds",
        )
    return SyncRun(
        mapping=mapping.name,
        direction=direction.value,
        trigger=RunTrigger.SYNCHRONIZE_NOW,
        actor=actor,
        status=RunStatus.QUEUED,
        checkpoint={"erp_ids": erp, "crm_ids": crm, "done": 0, "examples": []},
    )


async def synchronize_records(
    services: Services, run_id: str, *, raise_failures: bool = False
) -> SyncRun:
    """Run a stored many-record Synchronize Now to its end, or on from its checkpoint."""
    runs = services.runs
    run = await runs.get(run_id)
    if run is None:
        raise refuse(RefusalCode.NOT_FOUND, f"no sync run has the id {run_id!r}", "id")
    if run.status in (RunStatus.SUCCEEDED, RunStatus.CANCELLED):
        return run
    mapping = await known_mapping(services, run.mapping)
    direction = Direction(run.direction)
    ctx = sync_context(services, run.actor)
    started = await runs.start(run_id)
    assert started is not None
    checkpoint = started.checkpoint
    wanted: list[tuple[SideName, str]] = [("erp", i) for i in checkpoint.get("erp_ids", [])]
    wanted += [("crm", i) for i in checkpoint.get("crm_ids", [])]
    done = int(checkpoint.get("done") or 0)
    try:
        while done < len(wanted):
            chunk = wanted[done : done + _CHUNK]
            result = await _synchronize_chunk(
                services, ctx, mapping, chunk, direction=direction, run_id=run_id
            )
            done += len(chunk)
            examples: list[str] = checkpoint.setdefault("examples", [])
            examples.extend(result.messages[: max(0, _EXAMPLES - len(examples))])
            checkpoint["done"] = done
            await runs.record_progress(
                run_id, result.counters, progress=done / len(wanted), checkpoint=checkpoint
            )
    except Exception as exc:
        await runs.finish(run_id, RunStatus.FAILED, message=failure_message(exc))
        if raise_failures or not expected_failure(exc):
            raise
    else:
        current = await runs.get(run_id)
        failed = current.counters.failed if current is not None else 0
        message = None
        if failed:
            message = f"{failed} of {len(wanted)} records failed: " + "; ".join(
                checkpoint.get("examples", [])
            )
        await runs.finish(run_id, RunStatus.SUCCEEDED, message=message)
    finished = await runs.get(run_id)
    assert finished is not None
    return finished


@dataclass
class _ChunkResult:
    counters: Counters = field(default_factory=Counters)
    messages: list[str] = field(default_factory=list)


async def _synchronize_chunk(
    services: Services,
    ctx: SyncContext,
    mapping: TableMapping,
    chunk: list[tuple[SideName, str]],
    *,
    direction: Direction,
    run_id: str,
) -> _ChunkResult:
    result = _ChunkResult()
    name = mapping.coupling_mapping
    pairs: dict[str, Coupling] = {}
    sides: tuple[SideName, ...] = ("erp", "crm")
    for side in sides:
        ids = [record_id for s, record_id in chunk if s == side]
        found = await services.couplings.by_ids(name, side, ids)
        for record_id in ids:
            coupling = found.get(record_id)
            if coupling is None:
                result.counters.failed += 1
                result.messages.append(
                    f"{side.upper()} record {record_id} is not coupled in {name}"
                )
            else:
                pairs.setdefault(coupling.id, coupling)
    if not pairs:
        return result
    erp_records = await ctx.erp.get_many(mapping.erp_entity, [c.erp.id for c in pairs.values()])
    crm_records = await ctx.crm.get_many(mapping.crm_entity, [c.crm.id for c in pairs.values()])
    limit = asyncio.Semaphore(_PAIRS_AT_ONCE)

    async def one(coupling: Coupling) -> RefusalError | bool | None:
        async with limit:
            try:
                outcome = await synchronize_pair(
                    ctx,
                    mapping,
                    coupling,
                    direction,
                    erp_record=erp_records.get(coupling.erp.id),
                    crm_record=crm_records.get(coupling.crm.id),
                )
            except Exception as exc:
                error = connector_error(exc)
                if error is None or isinstance(error, RetriableError):
                    raise  # an outage stops the chunk: it is read again on the next try
                return refusal_for(error)
            return refusal_of(outcome) or outcome.status == "modified"

    outcomes = await asyncio.gather(*(one(coupling) for coupling in pairs.values()))
    failures: list[RecordFailure] = []
    succeeded: list[Coupling] = []
    for coupling, outcome in zip(pairs.values(), outcomes, strict=True):
        if isinstance(outcome, RefusalError):
            result.counters.failed += 1
            result.messages.append(f"{coupling.erp.id}: {outcome.message}")
            failures.append(_failure(mapping, direction, coupling, outcome))
        else:
            succeeded.append(coupling)
            if outcome:
                result.counters.modified += 1
            else:
                result.counters.unchanged += 1
    errors = services.sync_errors
    await errors.record_many(failures, run_id=run_id)
    await errors.clear(
        mapping.name,
        erp_ids=[c.erp.id for c in succeeded],
        crm_ids=[c.crm.id for c in succeeded],
    )
    return result


def _failure(
    mapping: TableMapping, direction: Direction, coupling: Coupling, refusal: RefusalError
) -> RecordFailure:
    details: dict[str, Any] = {"synchronizeNow": True}
    return RecordFailure(
        mapping=mapping.name,
        source_side=direction.source,
        erp_id=coupling.erp.id,
        crm_id=coupling.crm.id,
        message=refusal.message,
        code=refusal.code.value,
        direction=direction.value,
        details=details,
    )

"""Synchronize Now: one coupled record, in the direction a person chose ("Send data update to
CRM" is TO_CRM, "Get data update from CRM" is FROM_CRM).

Only the fields that differ are written; the coupling remembers what both sides now agree on,
becomes COUPLED again if it was SKIPPED or in error, and the record's sync errors go (this is
how a MANUAL conflict is settled). Each call is a `SyncRun` with trigger `synchronizeNow`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

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
from gateway.store.sync_runs import Counters, RunStatus, SyncRun
from gateway.sync.context import SyncContext, sync_context
from gateway.sync.pairs import PairOutcome, synchronize_pair


@dataclass(frozen=True, slots=True)
class RecordRun:
    """A run about one record: the stored run, what it did, and why it failed if it did."""

    run: SyncRun
    outcome: PairOutcome | None = None
    refusal: RefusalError | None = None


async def known_mapping(services: Services, name: str, *field: str) -> TableMapping:
    mapping = await services.mappings.get(name)
    if mapping is None:
        raise refuse(
            RefusalCode.NOT_FOUND, f"no table mapping is named {name!r}", *(field or ("mapping",))
        )
    return mapping


async def find_coupling(
    services: Services, mapping: TableMapping, *, erp_id: str | None, crm_id: str | None
) -> Coupling:
    if erp_id is None and crm_id is None:
        raise refuse(RefusalCode.INVALID_INPUT, "give erpId or crmId", "erpId")
    couplings = services.couplings
    name = mapping.coupling_mapping
    by_erp = (await couplings.by_ids(name, "erp", [erp_id])).get(erp_id) if erp_id else None
    by_crm = (await couplings.by_ids(name, "crm", [crm_id])).get(crm_id) if crm_id else None
    if erp_id is not None and by_erp is None:
        raise refuse(
            RefusalCode.NOT_COUPLED, f"ERP record {erp_id} is not coupled in {name}", "erpId"
        )
    if crm_id is not None and by_crm is None:
        raise refuse(
            RefusalCode.NOT_COUPLED, f"CRM record {crm_id} is not coupled in {name}", "crmId"
        )
    if by_erp is not None and by_crm is not None and by_erp.id != by_crm.id:
        raise refuse(
            RefusalCode.INVALID_INPUT,
            f"ERP record {erp_id} and CRM record {crm_id} are not coupled to each other",
            "crmId",
        )
    coupling = by_erp or by_crm
    assert coupling is not None
    return coupling


def refusal_of(outcome: PairOutcome) -> RefusalError | None:
    if outcome.status != "failed":
        return None
    dependencies = [p for p in outcome.problems if p.dependency]
    if dependencies:
        return refuse(RefusalCode.DEPENDENCY_NOT_COUPLED, dependencies[0].message)
    if not outcome.problems:
        return refuse(RefusalCode.NOT_FOUND, outcome.message or "not found")
    return refuse(RefusalCode.INVALID_INPUT, outcome.message or "cannot be translated")


async def run_pair(
    services: Services,
    ctx: SyncContext,
    mapping: TableMapping,
    coupling: Coupling,
    direction: Direction,
    *,
    trigger: str,
) -> RecordRun:
    """Synchronize one pair as a run of its own, recording how it went."""
    runs = services.runs
    run = await runs.create(
        SyncRun(
            mapping=mapping.name,
            direction=direction.value,
            trigger=trigger,
            actor=ctx.actor,
            status=RunStatus.RUNNING,
            started_at=datetime.now(UTC),
        )
    )
    assert run.id is not None
    outcome: PairOutcome | None = None
    try:
        outcome = await synchronize_pair(ctx, mapping, coupling, direction)
    except Exception as exc:
        error = connector_error(exc)
        if error is None:
            raise
        refusal: RefusalError | None = refusal_for(error)
    else:
        refusal = refusal_of(outcome)
    counters = Counters()
    if refusal is not None:
        counters.failed = 1
    elif outcome is not None and outcome.status == "modified":
        counters.modified = 1
    else:
        counters.unchanged = 1
    await runs.record_progress(run.id, counters)
    if refusal is None:
        await services.sync_errors.clear(
            mapping.name, erp_ids=[coupling.erp.id], crm_ids=[coupling.crm.id]
        )
    finished = await runs.finish(
        run.id,
        RunStatus.FAILED if refusal is not None else RunStatus.SUCCEEDED,
        message=refusal.message if refusal is not None else None,
    )
    assert finished is not None
    return RecordRun(finished, outcome, refusal)


async def synchronize_now(
    services: Services,
    mapping_name: str,
    *,
    erp_id: str | None,
    crm_id: str | None,
    direction: Direction,
    actor: str,
) -> RecordRun:
    """Validate everything, then synchronize the pair; a `RefusalError` means nothing
    was written and no run was stored."""
    mapping = await known_mapping(services, mapping_name)
    if not mapping.direction.allows(direction):
        raise refuse(
            RefusalCode.INVALID_INPUT,
            f"{mapping.name} synchronizes {mapping.direction.value}: it cannot {direction.value}",
            "direction",
        )
    ctx = sync_context(services, actor)
    coupling = await find_coupling(services, mapping, erp_id=erp_id, crm_id=crm_id)
    return await run_pair(services, ctx, mapping, coupling, direction, trigger="synchronizeNow")

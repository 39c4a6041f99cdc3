"""Synchronize Now: coupled records, in the direction a person chose ("Send data update to
CRM" is TO_CRM, "Get data update from CRM" is FROM_CRM), through the engine's forced push.

Only the fields that differ are written; the coupling remembers what both sides now agree on,
becomes COUPLED again if it was SKIPPED or in error, and the record's sync errors go (this is
how a MANUAL conflict is settled). A pair that fails keeps a sync error, like any run's. Each
call is a `SyncRun` of its own (trigger `synchronizeNow`, or `retrySyncError` for a retry).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gateway.mappings.model import Direction, TableMapping
from gateway.refusals import RefusalCode, RefusalError, connector_error, refusal_for, refuse
from gateway.services import Services
from gateway.store.couplings import Coupling
from gateway.store.sync_errors import RecordFailure
from gateway.store.sync_runs import RunStatus, RunTrigger, SyncRun
from gateway.sync.context import sync_context
from gateway.sync.engine import SyncEngine
from gateway.sync.running import recorded_run, usable_mapping

# What a sync error's code means to a person who asked for the record.
_REFUSAL_OF_ERROR = {
    "REJECTED": RefusalCode.INVALID_INPUT,
    "DELETED": RefusalCode.NOT_FOUND,
    "LOCKED": RefusalCode.UPSTREAM_UNAVAILABLE,
}


@dataclass(frozen=True, slots=True)
class RecordRun:
    """A run about one record: the stored run, the target fields it wrote, and why it
    failed if it did."""

    run: SyncRun
    changes: dict[str, Any] = field(default_factory=dict)
    refusal: RefusalError | None = None


def refusal_of(failure: RecordFailure) -> RefusalError:
    code = _REFUSAL_OF_ERROR.get(failure.code)
    if code is None:
        code = (
            RefusalCode(failure.code)
            if failure.code in RefusalCode.__members__
            else RefusalCode.INVALID_INPUT
        )
    return refuse(code, failure.message)


def check_direction(mapping: TableMapping, direction: Direction) -> None:
    if not mapping.direction.allows(direction):
        raise refuse(
            RefusalCode.INVALID_INPUT,
            f"{mapping.name} synchronizes {mapping.direction.value}: it cannot {direction.value}",
            "direction",
        )


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


async def push_pair(
    services: Services,
    mapping: TableMapping,
    coupling: Coupling,
    direction: Direction,
    *,
    actor: str,
    trigger: str,
) -> RecordRun:
    """Synchronize one pair in `direction` as a run of its own, recording how it went."""
    ctx = sync_context(services, actor)
    new = SyncRun(mapping=mapping.name, direction=direction.value, trigger=trigger, actor=actor)
    failure: RecordFailure | None = None
    changes: dict[str, Any] = {}
    async with recorded_run(services, new) as run:
        engine = SyncEngine(
            ctx,
            services.sync_errors,
            mapping,
            create=False,
            skip_after=services.settings.sync_skip_after_failures,
            run_id=run.id,
        )
        pushed = await engine.push(direction, [coupling])
        await run.record(pushed.counters)
        failure = pushed.failure_of(coupling.erp.id)
        changes = pushed.changes.get(coupling.erp.id, {})
        if failure is not None:
            run.end(RunStatus.FAILED, failure.message)
    refusal = refusal_of(failure) if failure is not None else None
    if run.error is not None:
        error = connector_error(run.error)
        refusal = (
            refusal_for(error)
            if error is not None
            else refuse(RefusalCode.UPSTREAM_UNAVAILABLE, run.finished.message or "stopped")
        )
    return RecordRun(run.finished, changes if refusal is None else {}, refusal)


async def synchronize_now(
    services: Services,
    mapping_name: str,
    *,
    erp_id: str | None,
    crm_id: str | None,
    direction: Direction,
    actor: str,
) -> RecordRun:
    """Validate everything, then synchronize the pair; a `RefusalError` means nothing was
    written and no run was stored."""
    mapping = await usable_mapping(services, mapping_name)
    check_direction(mapping, direction)
    sync_context(services, actor)
    coupling = await find_coupling(services, mapping, erp_id=erp_id, crm_id=crm_id)
    return await push_pair(
        services, mapping, coupling, direction, actor=actor, trigger=RunTrigger.SYNCHRONIZE_NOW
    )

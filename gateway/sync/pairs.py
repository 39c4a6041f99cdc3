"""Synchronizing one coupled pair, and creating one record's counterpart, right now.

These are the single-record operations behind Synchronize Now, "synchronize after coupling"
and "create account from customer" (and its reverse). The sync engine does the same work in
batches; both rest on the pure plans of `gateway.sync.plan`.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any, Literal

from adapters.base import Record
from adapters.errors import ConnectorError
from gateway.mappings.model import Direction, TableMapping
from gateway.mappings.translate import RowProblem, resolve_lookups
from gateway.store.couplings import CoupledRecord, CoupleResult, Coupling
from gateway.store.integration_log import (
    EntryKind,
    LogEntry,
    Outcome,
    ResultStatus,
    Target,
)
from gateway.sync.context import SyncContext
from gateway.sync.plan import plan_create, plan_push
from gateway.types import SideName

PairStatus = Literal["modified", "unchanged", "failed"]


@dataclass(frozen=True, slots=True)
class PairOutcome:
    status: PairStatus
    coupling: Coupling
    changes: dict[str, Any] = field(default_factory=dict)
    problems: list[RowProblem] = field(default_factory=list)
    message: str | None = None


class CounterpartError(Exception):
    """The counterpart could not be created; nothing was left behind."""

    def __init__(self, message: str, problems: list[RowProblem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


def coupled_record(mapping: TableMapping, side: SideName, record: Record) -> CoupledRecord:
    """What a coupling remembers of a record: where it is, its natural key and version."""
    key_field = mapping.key_field_of(side)
    key = record.values.get(key_field) if key_field else None
    return CoupledRecord(
        system=record.system,
        entity=record.entity,
        id=record.id,
        key=None if key in (None, "") else str(key),
        modified_on=record.modified_on,
        etag=record.etag,
    )


def write_entry(
    ctx: SyncContext,
    operation: str,
    record: Record | None,
    *,
    mapping: TableMapping,
    direction: Direction,
    changes: dict[str, Any],
    target: Target | None = None,
    error: ConnectorError | None = None,
) -> LogEntry:
    """The integration log's entry for one write the gateway made (or tried) on a system."""
    if record is not None:
        target = Target(system=record.system, entity=record.entity, id=record.id)
    return LogEntry(
        kind=EntryKind.WRITE,
        actor=ctx.actor,
        operation=operation,
        target=target,
        details={"mapping": mapping.name, "direction": direction.value, "changes": changes},
        result=Outcome(ResultStatus.OK)
        if error is None
        else Outcome(ResultStatus.ERROR, (type(error).__name__,), str(error)),
    )


async def synchronize_pair(
    ctx: SyncContext,
    mapping: TableMapping,
    coupling: Coupling,
    direction: Direction,
    *,
    erp_record: Record | None = None,
    crm_record: Record | None = None,
) -> PairOutcome:
    """Overwrite the target side's mapped fields with the source side's, writing only the
    fields that differ, and remember what both sides now agree on."""
    erp_entity, crm_entity = mapping.erp_entity, mapping.crm_entity
    if erp_record is None:
        erp_record = (await ctx.erp.get_many(erp_entity, [coupling.erp.id])).get(coupling.erp.id)
    if crm_record is None:
        crm_record = (await ctx.crm.get_many(crm_entity, [coupling.crm.id])).get(coupling.crm.id)
    missing = [
        f"{side} record {ident}"
        for side, ident, found in (
            ("ERP", coupling.erp.id, erp_record),
            ("CRM", coupling.crm.id, crm_record),
        )
        if found is None
    ]
    if erp_record is None or crm_record is None:
        return PairOutcome("failed", coupling, message=f"{' and '.join(missing)} not found")

    source, target = (
        (erp_record, crm_record) if direction is Direction.TO_CRM else (crm_record, erp_record)
    )
    lookups = await resolve_lookups(mapping, direction, [source.values], ctx.couplings)
    plan = plan_push(
        mapping, direction, source.values, target.values, lookups, previous=coupling.synced_values
    )
    if not plan.ok:
        return PairOutcome(
            "failed", coupling, problems=plan.problems, message=plan.problems[0].message
        )
    written = target
    if plan.changes:
        target_side: SideName = direction.target
        target_entity = mapping.entity_of(target_side)
        try:
            written = await ctx.connector(target_side).update(
                target_entity, target.id, plan.changes, etag=target.etag
            )
        except ConnectorError as exc:
            await ctx.log.append(
                write_entry(
                    ctx,
                    "update",
                    target,
                    mapping=mapping,
                    direction=direction,
                    changes=plan.changes,
                    error=exc,
                )
            )
            raise
        await ctx.log.append(
            write_entry(
                ctx, "update", written, mapping=mapping, direction=direction, changes=plan.changes
            )
        )
    erp_after, crm_after = (
        (erp_record, written) if direction is Direction.TO_CRM else (written, crm_record)
    )
    synced = await ctx.couplings.record_sync(
        coupling,
        synced_values=plan.baseline,
        direction=direction.value,
        erp=coupled_record(mapping, "erp", erp_after),
        crm=coupled_record(mapping, "crm", crm_after),
    )
    return PairOutcome("modified" if plan.changes else "unchanged", synced, plan.changes)


async def create_counterpart(
    ctx: SyncContext,
    mapping: TableMapping,
    source: Record,
    direction: Direction,
    *,
    replace_existing: bool = True,
    record_id: str | None = None,
) -> tuple[CoupleResult, Record]:
    """Create `source`'s counterpart on the other side through the mapping's fields and
    template, then couple the two. Both happen or neither: a coupling that cannot be stored
    removes the record just created. `record_id` chooses the new record's id (where the
    system lets the caller choose), so that a repeated creation is detectable."""
    lookups = await resolve_lookups(mapping, direction, [source.values], ctx.couplings)
    plan = plan_create(mapping, direction, source.values, lookups)
    if not plan.ok:
        raise CounterpartError(plan.problems[0].message, plan.problems)
    target_side: SideName = direction.target
    connector = ctx.connector(target_side)
    target_entity = mapping.entity_of(target_side)
    values = dict(plan.values)
    if record_id is not None:
        spec = connector.entities().get(target_entity)
        values[spec.key_field if spec is not None else "id"] = record_id
    created = await connector.create(target_entity, values)
    source_side: SideName = direction.source
    sides = {
        source_side: coupled_record(mapping, source_side, source),
        target_side: coupled_record(mapping, target_side, created),
    }
    try:
        result = await ctx.couplings.couple(
            mapping.coupling_mapping,
            sides["erp"],
            sides["crm"],
            replace_existing=replace_existing,
            synced_values=plan.baseline,
        )
    except BaseException:
        with contextlib.suppress(ConnectorError):
            await connector.delete(target_entity, created.id, etag=created.etag)
        raise
    await ctx.log.append(
        write_entry(
            ctx, "create", created, mapping=mapping, direction=direction, changes=plan.values
        )
    )
    return result, created

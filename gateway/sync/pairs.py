"""Creating one record's counterpart right now ("create account from customer" and its
reverse), and what every write of the gateway leaves: the coupled record and its log entry.

Synchronizing coupled pairs, one or many, is the sync engine's (`gateway.sync.engine`).
"""

from __future__ import annotations

import contextlib
from typing import Any, Literal

from adapters.base import Record
from adapters.errors import ConnectorError
from gateway.mappings.model import Direction, TableMapping
from gateway.mappings.translate import RowProblem, resolve_lookups
from gateway.store.couplings import CoupledRecord, CoupleResult
from gateway.store.integration_log import (
    EntryKind,
    LogEntry,
    Outcome,
    ResultStatus,
    Target,
)
from gateway.sync.context import SyncContext
from gateway.sync.plan import plan_create
from gateway.types import SideName

PairStatus = Literal["modified", "unchanged", "failed"]


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
    system lets the caller choose): a record that already has it (an earlier attempt created
    it and then stopped) is coupled instead of created again."""
    ctx = ctx.for_mapping(mapping)
    lookups = await resolve_lookups(mapping, direction, [source.values], ctx.couplings)
    plan = plan_create(mapping, direction, source.values, lookups)
    if not plan.ok:
        raise CounterpartError(plan.problems[0].message, plan.problems)
    target_side: SideName = direction.target
    connector = ctx.connector(target_side)
    target_entity = mapping.entity_of(target_side)
    values = dict(plan.values)
    earlier: Record | None = None
    if record_id is not None:
        spec = connector.entities().get(target_entity)
        values[spec.key_field if spec is not None else "id"] = record_id
        earlier = (await connector.get_many(target_entity, [record_id])).get(record_id)
    created = earlier or await connector.create(target_entity, values)
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
        if earlier is None:
            with contextlib.suppress(ConnectorError):
                await connector.delete(target_entity, created.id, etag=created.etag)
        raise
    if earlier is None:
        await ctx.log.append(
            write_entry(
                ctx, "create", created, mapping=mapping, direction=direction, changes=plan.values
            )
        )
    return result, created

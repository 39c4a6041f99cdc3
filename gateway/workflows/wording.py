"""Refusals of the lifecycles in a person's words: the record a document refers to by its
name ("the quote's account, Fabrikam Projects"), never by a column name or a raw id, and the
table mapping to couple it in.

A mapping's field rows report a reference that is not coupled with the row's column and the
value it holds; `not_carried` reads the referenced records (one request per kind) to name
them, and falls back on the row's own message for anything else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from adapters.base import Connector, Record
from gateway.mappings.model import Direction, TableMapping
from gateway.mappings.translate import RowProblem, source_field
from gateway.refusals import Problem, RefusalCode, RefusalError
from gateway.workflows.steps import WorkflowContext

# The columns that name a record, by preference, in either system.
_NAME_FIELDS = (
    "fullname",
    "name",
    "currencyname",
    "displayName",
    "msdyn_subject",
    "code",
    "number",
)


def display_name(record: Record | None) -> str | None:
    if record is None:
        return None
    for name in _NAME_FIELDS:
        value = record.values.get(name)
        if value not in (None, ""):
            return str(value)
    return None


def what(entity: str) -> str:
    """An entity's name in words: 'sales_order' → 'sales order'."""
    return entity.replace("_", " ")


async def names_of(connector: Connector, entity: str, ids: Sequence[str]) -> dict[str, str]:
    """The display names of records of one entity, by id (those it has no name for, absent)."""
    if not ids:
        return {}
    found = await connector.get_many(entity, list(dict.fromkeys(ids)))
    named = {record_id: display_name(record) for record_id, record in found.items()}
    return {record_id: name for record_id, name in named.items() if name}


async def not_carried(
    ctx: WorkflowContext,
    mapping: TableMapping,
    direction: Direction,
    source: Mapping[str, Any],
    problems: Sequence[RowProblem],
    *,
    document: str,
    field: tuple[str, ...] = (),
) -> RefusalError:
    """Why the document's header cannot be carried across: a reference not coupled yet comes
    first, since coupling it is what the caller must do."""
    dependencies = [problem for problem in problems if problem.dependency]
    if not dependencies:
        return RefusalError(
            *(Problem(RefusalCode.INVALID_INPUT, p.message, field) for p in problems)
        )
    connector = ctx.crm if direction is Direction.FROM_CRM else ctx.erp
    rows = {row.key: row for row in mapping.fields}
    found: list[Problem] = []
    for problem in dependencies:
        row = rows.get(problem.row)
        column = source_field(row, direction) if row is not None else None
        value = source.get(column) if column else None
        target = connector.entities()[_source_entity(mapping, direction)].lookups.get(column or "")
        if row is None or row.lookup is None or value in (None, "") or target is None:
            found.append(Problem(RefusalCode.DEPENDENCY_NOT_COUPLED, problem.message, field))
            continue
        dependency = await ctx.services.mappings.get(row.lookup.mapping)
        names = await names_of(connector, target, [str(value)])
        label = names.get(str(value), str(value))
        other = "an ERP" if direction is Direction.FROM_CRM else "a CRM"
        counterpart = what(dependency.entity_of(direction.target)) if dependency else "record"
        found.append(
            Problem(
                RefusalCode.DEPENDENCY_NOT_COUPLED,
                f"the {document}'s {what(target)}, {label}, is not coupled to {other} "
                f"{counterpart}: couple it in {row.lookup.mapping} first",
                field,
            )
        )
    return RefusalError(*found)


def _source_entity(mapping: TableMapping, direction: Direction) -> str:
    return mapping.entity_of(direction.source)

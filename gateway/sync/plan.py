"""Planning what to write, as pure functions of a mapping and the records' values.

A plan never touches a backend: it says which fields of the target must change (only those
that differ), which problems stop it, and what both sides will agree on afterwards (the new
`synced_values` baseline of the coupling). Executing a plan is the caller's business, one record
at a time (`gateway.sync.pairs`) or in batches (the sync engine).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.mappings.model import Direction, TableMapping
from gateway.mappings.translate import (
    Lookups,
    RowProblem,
    differing_fields,
    source_field,
    target_field,
    translate,
    translate_row,
)
from gateway.types import Values

Baseline = dict[str, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class PushPlan:
    """Make the target side of a coupled pair agree with the source side in one direction."""

    direction: Direction
    changes: dict[str, Any]  # target fields to write; empty when the target already agrees
    baseline: Baseline  # synced_values after the write
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class CreatePlan:
    """Create the counterpart of an uncoupled record on the other side."""

    direction: Direction
    values: dict[str, Any]  # template defaults, overridden by mapped values
    baseline: Baseline
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _side_values(direction: Direction, source: Values, target: Values) -> tuple[Values, Values]:
    """(ERP values, CRM values) from (source, target) in `direction`."""
    return (source, target) if direction is Direction.TO_CRM else (target, source)


def baseline_for(
    mapping: TableMapping,
    direction: Direction,
    erp: Values,
    crm: Values,
    previous: Mapping[str, Mapping[str, Any]] | None = None,
) -> Baseline:
    """What both sides agree on for every two-sided row that flows in `direction`, on top of
    the previous baseline: rows this push did not touch keep what was agreed before, so a
    later run still sees their differences."""
    baseline: Baseline = {key: dict(value) for key, value in (previous or {}).items()}
    for row in mapping.rows_towards(direction):
        if row.is_constant or row.erp_field is None or row.crm_field is None:
            continue
        baseline[row.key] = {"erp": erp.get(row.erp_field), "crm": crm.get(row.crm_field)}
    return baseline


def plan_push(
    mapping: TableMapping,
    direction: Direction,
    source: Values,
    target: Values,
    lookups: Lookups,
    *,
    previous: Mapping[str, Mapping[str, Any]] | None = None,
) -> PushPlan:
    translation = translate(mapping, direction, source, lookups)
    if not translation.ok:
        kept = {key: dict(value) for key, value in (previous or {}).items()}
        return PushPlan(direction, {}, kept, translation.problems)
    changes = differing_fields(translation.values, target)
    after = {**target, **changes}
    erp, crm = _side_values(direction, source, after)
    return PushPlan(direction, changes, baseline_for(mapping, direction, erp, crm, previous))


def plan_create(
    mapping: TableMapping, direction: Direction, source: Values, lookups: Lookups
) -> CreatePlan:
    template = mapping.crm_template if direction is Direction.TO_CRM else mapping.erp_template
    translation = translate(mapping, direction, source, lookups)
    values = {**template, **{k: v for k, v in translation.values.items() if v is not None}}
    erp, crm = _side_values(direction, source, values)
    return CreatePlan(
        direction,
        values,
        baseline_for(mapping, direction, erp, crm),
        translation.problems,
    )


def plan_rows(
    mapping: TableMapping,
    direction: Direction,
    *,
    row_keys: set[str],
    source: Values,
    target: Values,
    lookups: Lookups,
) -> tuple[dict[str, Any], list[RowProblem]]:
    """Target changes for only some rows (those a change detection picked) in `direction`."""
    changes: dict[str, Any] = {}
    problems: list[RowProblem] = []
    for row in mapping.rows_towards(direction):
        if row.key not in row_keys:
            continue
        name = target_field(row, direction)
        if name is None:
            continue
        value, problem = translate_row(row, direction, source, lookups)
        if problem is not None:
            problems.append(problem)
        else:
            changes[name] = value
    return differing_fields(changes, target), problems


__all__ = [
    "Baseline",
    "CreatePlan",
    "PushPlan",
    "baseline_for",
    "plan_create",
    "plan_push",
    "plan_rows",
    "source_field",
    "target_field",
]

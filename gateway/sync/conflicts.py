"""Reconciling a coupled pair: which side changed each field since the last synchronization,
which way each change flows, and what to do when both sides changed it (a conflict).

Pure functions of the mapping, both records' values and the coupling's `synced_values`
baseline. Per two-sided field row:

- neither side changed: nothing to do;
- one side changed: it flows to the other, if the mapping and the row let it flow that way
  (otherwise the change stays where it is and becomes the new baseline);
- both changed to values that already agree: nothing to write, the baseline moves;
- both changed differently: a conflict, settled by the mapping's policy: `ERP_WINS`,
  `CRM_WINS`, `NEWEST_WINS` (the record modified last, by its system's clock) or `MANUAL`,
  which writes nothing to either side and leaves the pair for a person to settle with
  Synchronize Now in the direction they choose.

A row without a baseline (a pair coupled without synchronizing, a row added to the mapping)
counts as changed on the side whose change is being read, unless that side is empty: then the
other side's value fills the gap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gateway.mappings.model import ConflictPolicy, Direction, FieldMapping, TableMapping
from gateway.mappings.translate import (
    Lookups,
    RowProblem,
    blank_is_coupled,
    target_field,
    translate_row,
    values_equal,
)
from gateway.sync.plan import Baseline
from gateway.types import SideName, Values


@dataclass(frozen=True, slots=True)
class RowConflict:
    """A field changed on both sides since the last synchronization."""

    row: str
    erp: Any
    crm: Any
    baseline: Mapping[str, Any] | None
    winner: Direction | None  # None: MANUAL, a person decides

    def describe(self) -> str:
        return f"{self.row}: ERP {self.erp!r}, CRM {self.crm!r}"


@dataclass(frozen=True, slots=True)
class MergePlan:
    to_erp: dict[str, Any]
    to_crm: dict[str, Any]
    baseline: Baseline  # synced_values once the writes are made
    conflicts: list[RowConflict] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def manual(self) -> bool:
        """Conflicts that no policy settles: nothing may be written."""
        return any(conflict.winner is None for conflict in self.conflicts)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.manual

    @property
    def writes(self) -> bool:
        return bool(self.to_erp or self.to_crm)


@dataclass(frozen=True, slots=True)
class PairState:
    """Both records of a coupled pair as read now, and the lookups for each direction."""

    erp: Values
    crm: Values
    erp_modified: datetime | None
    crm_modified: datetime | None
    to_crm_lookups: Lookups
    to_erp_lookups: Lookups


def _two_sided(row: FieldMapping) -> bool:
    return not row.is_constant and row.erp_field is not None and row.crm_field is not None


def _fields(row: FieldMapping) -> tuple[str, str]:
    if row.erp_field is None or row.crm_field is None:
        raise ValueError(f"row {row.key} is not two-sided")
    return row.erp_field, row.crm_field


def winner_by_policy(
    policy: ConflictPolicy, erp_modified: datetime | None, crm_modified: datetime | None
) -> Direction | None:
    if policy is ConflictPolicy.ERP_WINS:
        return Direction.TO_CRM
    if policy is ConflictPolicy.CRM_WINS:
        return Direction.FROM_CRM
    if policy is ConflictPolicy.NEWEST_WINS:
        if crm_modified is not None and (erp_modified is None or crm_modified > erp_modified):
            return Direction.FROM_CRM
        return Direction.TO_CRM  # the ERP wins a tie: it is the system of record for money
    return None


def _changes(
    current: Mapping[str, Any], baseline: Mapping[str, Any] | None, reading: SideName
) -> tuple[bool, bool]:
    """Whether the ERP side and the CRM side changed the row since the baseline. Without one,
    the side being read counts as changed, unless it is empty and the other is not: a value is
    never cleared for want of a baseline, the gap is filled from the other side instead."""
    if baseline is not None:
        return (
            not values_equal(current["erp"], baseline.get("erp")),
            not values_equal(current["crm"], baseline.get("crm")),
        )
    other = "crm" if reading == "erp" else "erp"
    changed: str = reading
    if values_equal(current[reading], None) and not values_equal(current[other], None):
        changed = other
    return changed == "erp", changed == "crm"


def _agree(row: FieldMapping, pair: PairState, flows: Mapping[Direction, bool]) -> bool:
    """Whether the two sides already hold what the row would write (in a way it may flow)."""
    for direction in (Direction.TO_CRM, Direction.FROM_CRM):
        if not flows[direction]:
            continue
        to_crm = direction is Direction.TO_CRM
        source, target = (pair.erp, pair.crm) if to_crm else (pair.crm, pair.erp)
        lookups = pair.to_crm_lookups if to_crm else pair.to_erp_lookups
        value, problem = translate_row(row, direction, source, lookups)
        name = target_field(row, direction)
        if problem is None and name is not None and values_equal(value, target.get(name)):
            return True
    erp_field, crm_field = _fields(row)
    plain = row.transform is None and row.lookup is None and row.option_map is None
    return plain and values_equal(pair.erp.get(erp_field), pair.crm.get(crm_field))


@dataclass(frozen=True, slots=True)
class _RowMerge:
    """What one row contributes: a value to write, the new baseline, a conflict, a problem."""

    write: tuple[Direction, str, Any] | None = None
    baseline: dict[str, Any] | None = None
    conflict: RowConflict | None = None
    problem: RowProblem | None = None


def _merge_row(
    mapping: TableMapping,
    row: FieldMapping,
    flows: Mapping[Direction, bool],
    pair: PairState,
    *,
    previous: Mapping[str, Any] | None,
    reading: SideName,
) -> _RowMerge:
    erp_field, crm_field = _fields(row)
    erp_value, crm_value = pair.erp.get(erp_field), pair.crm.get(crm_field)
    current: dict[str, Any] = {"erp": erp_value, "crm": crm_value}
    erp_changed, crm_changed = _changes(current, previous, reading)
    if not erp_changed and not crm_changed:
        return _RowMerge()
    if _agree(row, pair, flows):
        return _RowMerge(baseline=current)
    conflict = None
    if erp_changed and crm_changed:
        winner = winner_by_policy(mapping.conflict_policy, pair.erp_modified, pair.crm_modified)
        conflict = RowConflict(row.key, erp_value, crm_value, previous, winner)
        if winner is None:
            return _RowMerge(conflict=conflict)
    else:
        winner = Direction.TO_CRM if erp_changed else Direction.FROM_CRM
    to_crm = winner is Direction.TO_CRM
    source = pair.erp if to_crm else pair.crm
    source_value = source.get(erp_field if to_crm else crm_field)
    lookups = pair.to_crm_lookups if to_crm else pair.to_erp_lookups
    unreferenced = (
        row.lookup is not None
        and values_equal(source_value, None)
        and not blank_is_coupled(row, winner, lookups)
    )
    if not flows[winner] or unreferenced:
        # The change may not flow that way, or has no reference to carry: it stays where it
        # is (a target is never cleared for want of a reference) and becomes the baseline.
        return _RowMerge(baseline=current, conflict=conflict)
    value, problem = translate_row(row, winner, source, lookups)
    if problem is not None:
        return _RowMerge(conflict=conflict, problem=problem)
    return _RowMerge(
        write=(winner, crm_field if to_crm else erp_field, value),
        baseline={"erp": erp_value, "crm": value} if to_crm else {"erp": value, "crm": crm_value},
        conflict=conflict,
    )


def plan_merge(
    mapping: TableMapping,
    pair: PairState,
    synced: Mapping[str, Mapping[str, Any]],
    *,
    reading: SideName,
) -> MergePlan:
    """What to write to each side of a coupled pair so that both agree again."""
    flowing = {
        direction: {row.key for row in mapping.rows_towards(direction)}
        for direction in (Direction.TO_CRM, Direction.FROM_CRM)
    }
    changes: dict[Direction, dict[str, Any]] = {Direction.TO_CRM: {}, Direction.FROM_CRM: {}}
    baseline: Baseline = {key: dict(value) for key, value in synced.items()}
    conflicts: list[RowConflict] = []
    problems: list[RowProblem] = []
    for row in mapping.fields:
        flows = {direction: row.key in keys for direction, keys in flowing.items()}
        if not _two_sided(row) or not any(flows.values()):
            continue
        merged = _merge_row(
            mapping, row, flows, pair, previous=synced.get(row.key), reading=reading
        )
        if merged.conflict is not None:
            conflicts.append(merged.conflict)
        if merged.problem is not None:
            problems.append(merged.problem)
        if merged.baseline is not None:
            baseline[row.key] = merged.baseline
        if merged.write is not None:
            direction, name, value = merged.write
            changes[direction][name] = value
    if problems or any(conflict.winner is None for conflict in conflicts):
        kept = {key: dict(value) for key, value in synced.items()}
        return MergePlan({}, {}, kept, conflicts, problems)
    for direction, written in changes.items():
        if written:
            written.update(_constants(mapping, direction, pair))
    _drop_agreeing(changes, pair)
    return MergePlan(
        to_erp=changes[Direction.FROM_CRM],
        to_crm=changes[Direction.TO_CRM],
        baseline=baseline,
        conflicts=conflicts,
    )


def _constants(mapping: TableMapping, direction: Direction, pair: PairState) -> dict[str, Any]:
    """Constant rows towards a side that is being written anyway."""
    target = pair.crm if direction is Direction.TO_CRM else pair.erp
    found: dict[str, Any] = {}
    for row in mapping.rows_towards(direction):
        name = target_field(row, direction)
        if (
            row.is_constant
            and name is not None
            and not values_equal(row.constant, target.get(name))
        ):
            found[name] = row.constant
    return found


def _drop_agreeing(changes: dict[Direction, dict[str, Any]], pair: PairState) -> None:
    """Never write a value the target already holds."""
    for direction, written in changes.items():
        target = pair.crm if direction is Direction.TO_CRM else pair.erp
        for name in [n for n, value in written.items() if values_equal(value, target.get(n))]:
            del written[name]


def settle_baseline(
    mapping: TableMapping,
    plan: MergePlan,
    *,
    erp_after: Values | None,
    crm_after: Values | None,
) -> Baseline:
    """The baseline after the writes, with the values each system answered it stored (it may
    normalize what it was sent); `None` where a side was not written."""
    baseline = {key: dict(value) for key, value in plan.baseline.items()}
    for row in mapping.fields:
        if not _two_sided(row) or row.key not in baseline:
            continue
        erp_field, crm_field = _fields(row)
        if erp_after is not None and erp_field in plan.to_erp and erp_field in erp_after:
            baseline[row.key]["erp"] = erp_after[erp_field]
        if crm_after is not None and crm_field in plan.to_crm and crm_field in crm_after:
            baseline[row.key]["crm"] = crm_after[crm_field]
    return baseline

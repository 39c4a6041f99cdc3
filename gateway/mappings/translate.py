"""Moving values across: apply a mapping's field rows to one side's values to get the other's.

References (salesperson code ↔ owner user, currency code ↔ transaction currency) translate
through another mapping's couplings. `resolve_lookups` fetches those for a whole batch of
records in one query per lookup row, so translation itself is pure and synchronous.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from gateway.mappings.model import Direction, FieldMapping, LookupBy, TableMapping
from gateway.mappings.transforms import resolve_transform
from gateway.store.couplings import Coupling, CouplingRepository
from gateway.types import Values


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why one field row could not be translated; `dependency` names a mapping to couple first."""

    row: str
    message: str
    dependency: str | None = None


@dataclass(slots=True)
class Lookups:
    """Resolved references for one batch: (row key, direction) -> {source value: target value}."""

    table: dict[tuple[str, Direction], dict[Any, Any]] = field(default_factory=dict)

    def translate(self, row: FieldMapping, direction: Direction, value: Any) -> Any:
        return self.table.get((row.key, direction), {}).get(value)


@dataclass(frozen=True, slots=True)
class Translation:
    values: dict[str, Any]
    problems: list[RowProblem]

    @property
    def ok(self) -> bool:
        return not self.problems


def source_field(row: FieldMapping, direction: Direction) -> str | None:
    return row.erp_field if direction is Direction.TO_CRM else row.crm_field


def target_field(row: FieldMapping, direction: Direction) -> str | None:
    return row.crm_field if direction is Direction.TO_CRM else row.erp_field


def _side_value(coupling: Coupling, side: Literal["erp", "crm"], by: LookupBy) -> str | None:
    record = coupling.side(side)
    return record.id if by is LookupBy.ID else record.key


async def resolve_lookups(
    mapping: TableMapping,
    direction: Direction,
    sources: Iterable[Values],
    couplings: CouplingRepository,
) -> Lookups:
    """One coupling query per lookup row for every record of the batch."""
    lookups = Lookups()
    records = list(sources)
    for row in mapping.rows_towards(direction):
        if row.lookup is None:
            continue
        name = source_field(row, direction)
        src, dst = direction.source, direction.target
        src_by = row.lookup.erp_by if src == "erp" else row.lookup.crm_by
        dst_by = row.lookup.erp_by if dst == "erp" else row.lookup.crm_by
        wanted = {record.get(name) for record in records if name is not None}
        if src_by is LookupBy.KEY and wanted & {None, ""}:
            # A blank key may be coupled too: the ERP's local currency has no code.
            wanted.add("")
        wanted.discard(None)
        if src_by is LookupBy.ID:
            wanted.discard("")
        if not wanted:
            continue
        keys = [str(value) for value in wanted]
        if src_by is LookupBy.ID:
            found = await couplings.by_ids(row.lookup.mapping, src, keys)
        else:
            found = await couplings.by_keys(row.lookup.mapping, src, keys)
        lookups.table[(row.key, direction)] = {
            source: _side_value(coupling, dst, dst_by) for source, coupling in found.items()
        }
    return lookups


def field_label(name: str) -> str:
    """A field as a person reads it: Dataverse's `_ownerid_value` is the owner,
    Business Central's `salespersonCode` the salesperson code."""
    if name.startswith("_") and name.endswith("_value"):
        name = name[1:-6]
        name = name.removesuffix("id")
    spaced = "".join(f" {c.lower()}" if c.isupper() else c for c in name)
    return spaced.replace("_", " ").strip()


def blank_is_coupled(row: FieldMapping, direction: Direction, lookups: Lookups) -> bool:
    """Whether a blank reference means something here: a coupled blank key (the ERP's local
    currency, which documents leave blank)."""
    return lookups.translate(row, direction, "") is not None


def _apply_option_map(row: FieldMapping, direction: Direction, value: Any) -> tuple[bool, Any]:
    assert row.option_map is not None
    for erp_value, crm_value in row.option_map:
        src, dst = (
            (erp_value, crm_value) if direction is Direction.TO_CRM else (crm_value, erp_value)
        )
        if values_equal(src, value):
            return True, dst
    return False, None


def translate_row(
    row: FieldMapping, direction: Direction, source: Values, lookups: Lookups
) -> tuple[Any, RowProblem | None]:
    """The value `row` puts in its target field, given the source side's values."""
    if row.is_constant:
        return row.constant, None
    name = source_field(row, direction)
    value = source.get(name) if name is not None else None
    if row.transform is not None:
        transform = resolve_transform(row.transform)
        value = (transform.to_crm if direction is Direction.TO_CRM else transform.to_erp)(value)
    if row.option_map is not None and value not in (None, ""):
        found, mapped = _apply_option_map(row, direction, value)
        if not found:
            return None, RowProblem(row.key, f"{name}: no option is mapped for the value {value!r}")
        value = mapped
    if row.lookup is not None and (
        value not in (None, "") or blank_is_coupled(row, direction, lookups)
    ):
        mapped = lookups.translate(row, direction, "" if value is None else str(value))
        if mapped is None:
            other = "a CRM" if direction is Direction.TO_CRM else "an ERP"
            return None, RowProblem(
                row.key,
                f"its {field_label(name or '')} ({value}) is not coupled to {other} record "
                f"yet: couple {row.lookup.mapping} first",
                dependency=row.lookup.mapping,
            )
        value = mapped
    return value, None


def translate(
    mapping: TableMapping, direction: Direction, source: Values, lookups: Lookups
) -> Translation:
    """Every target field the mapping writes in `direction`, from the source side's values."""
    values: dict[str, Any] = {}
    problems: list[RowProblem] = []
    for row in mapping.rows_towards(direction):
        target = target_field(row, direction)
        if target is None:
            continue
        name = source_field(row, direction)
        if (
            row.lookup is not None
            and name is not None
            and _normal(source.get(name)) is None
            and not blank_is_coupled(row, direction, lookups)
        ):
            # No reference to carry across (a customer without a salesperson): the target
            # keeps its own rather than being cleared.
            continue
        value, problem = translate_row(row, direction, source, lookups)
        if problem is not None:
            problems.append(problem)
        else:
            values[target] = value
    return Translation(values=values, problems=problems)


def _normal(value: Any) -> Any:
    """One spelling per value: "" and None alike (BC answers "" where Dataverse answers null),
    numbers as numbers, dates and datetimes as ISO text."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def values_equal(left: Any, right: Any) -> bool:
    return bool(_normal(left) == _normal(right))


def differing_fields(wanted: Values, current: Values) -> dict[str, Any]:
    """The subset of `wanted` that the target does not already hold: what must be written."""
    return {
        name: value for name, value in wanted.items() if not values_equal(value, current.get(name))
    }

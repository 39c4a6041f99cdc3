"""A coupled pair side by side: each mapped field with both systems' values, the values agreed
at the last synchronization, and whether the two sides differ now (the "Coupled Records" view
people look at before choosing a direction for Synchronize Now).

Two values differ when the one side's value, carried across as a synchronization would carry
it (its transform, option map or lookup through another mapping's couplings), is not the other
side's value. A row that flows both ways is compared towards the CRM.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from gateway.mappings.model import Direction, FieldMapping, TableMapping
from gateway.mappings.translate import Lookups, resolve_lookups, translate_row, values_equal
from gateway.store.couplings import Coupling, CouplingRepository

Values = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class CoupledFieldView:
    erp_field: str | None
    crm_field: str | None
    erp_value: str | None
    crm_value: str | None
    last_synced_erp_value: str | None
    last_synced_crm_value: str | None
    differs: bool
    direction: str  # the row's direction: BIDIRECTIONAL, TO_CRM or FROM_CRM


@dataclass(frozen=True, slots=True)
class Pair:
    coupling: Coupling
    erp: Values | None  # None: the record could not be read
    crm: Values | None


def shown(value: Any) -> str | None:
    """A field's value as text: numbers and dates as JSON writes them, "" as nothing."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    return orjson.dumps(value, default=str).decode().strip('"')


def _compared_towards(mapping: TableMapping, row: FieldMapping) -> Direction | None:
    for direction in (Direction.TO_CRM, Direction.FROM_CRM):
        if mapping.direction.allows(direction) and row.direction.allows(direction):
            return direction
    return None


async def lookups_for(
    mapping: TableMapping, pairs: Sequence[Pair], couplings: CouplingRepository
) -> dict[Direction, Lookups]:
    """The references of every pair's rows, one coupling query per lookup row and way."""
    found: dict[Direction, Lookups] = {}
    for direction in (Direction.TO_CRM, Direction.FROM_CRM):
        side = "erp" if direction is Direction.TO_CRM else "crm"
        sources = [values for pair in pairs if (values := getattr(pair, side)) is not None]
        found[direction] = await resolve_lookups(mapping, direction, sources, couplings)
    return found


def coupled_fields(
    mapping: TableMapping, pair: Pair, lookups: Mapping[Direction, Lookups]
) -> list[CoupledFieldView]:
    rows: list[CoupledFieldView] = []
    baseline = pair.coupling.synced_values
    erp, crm = pair.erp or {}, pair.crm or {}
    for row in mapping.fields:
        agreed = baseline.get(row.key) or {}
        erp_value = erp.get(row.erp_field) if row.erp_field else None
        crm_value = crm.get(row.crm_field) if row.crm_field else None
        rows.append(
            CoupledFieldView(
                erp_field=row.erp_field,
                crm_field=row.crm_field,
                erp_value=shown(erp_value),
                crm_value=shown(crm_value),
                last_synced_erp_value=shown(agreed.get("erp")),
                last_synced_crm_value=shown(agreed.get("crm")),
                differs=_differs(mapping, row, pair, lookups),
                direction=row.direction.value,
            )
        )
    return rows


def _differs(
    mapping: TableMapping, row: FieldMapping, pair: Pair, lookups: Mapping[Direction, Lookups]
) -> bool:
    """Whether the target holds something else than the source would give it. A side that
    could not be read is not compared."""
    if pair.erp is None or pair.crm is None:
        return False
    direction = _compared_towards(mapping, row)
    if direction is None:
        return False
    source, target = (pair.erp, pair.crm) if direction is Direction.TO_CRM else (pair.crm, pair.erp)
    target_field = row.crm_field if direction is Direction.TO_CRM else row.erp_field
    if target_field is None:
        return False
    carried, problem = translate_row(row, direction, source, lookups[direction])
    if problem is not None:
        return True
    return not values_equal(carried, target.get(target_field))

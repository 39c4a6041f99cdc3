"""`Coupling.fields`: a coupled pair side by side, field by field, before choosing a direction
for `synchronizeNow` (see `gateway.documents.coupled_fields`).

For a page of couplings: one read of each system per table mapping, one MongoDB query per
lookup row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import strawberry
from strawberry.dataloader import DataLoader

from adapters.base import Record
from adapters.documents import DocumentKind
from gateway.documents.coupled_fields import CoupledFieldView, Pair, coupled_fields, lookups_for
from gateway.documents.graph import Failures
from gateway.mappings.model import TableMapping
from gateway.store.couplings import Coupling
from gateway.types import SideName
from schema.context import Info
from schema.document_loaders import DocumentLoaders, Found


@strawberry.type(description="One mapped field of a coupled pair, as both systems hold it now.")
class CoupledField:
    erp_field: str | None
    crm_field: str | None
    erp_value: str | None = strawberry.field(description="The ERP record's value now.")
    crm_value: str | None = strawberry.field(description="The CRM record's value now.")
    last_synced_value: str | None = strawberry.field(
        description="The value both sides agreed on at the last synchronization (as the ERP "
        "holds it; as the CRM holds it for a field only the CRM has)."
    )
    last_synced_erp_value: str | None
    last_synced_crm_value: str | None
    differs: bool = strawberry.field(
        description="The one side's value, carried across as a synchronization would, is not "
        "the other's (false where a side could not be read)."
    )
    direction: str = strawberry.field(description="BIDIRECTIONAL, TO_CRM or FROM_CRM.")

    @classmethod
    def of(cls, view: CoupledFieldView) -> CoupledField:
        return cls(
            erp_field=view.erp_field,
            crm_field=view.crm_field,
            erp_value=view.erp_value,
            crm_value=view.crm_value,
            last_synced_value=view.last_synced_erp_value
            if view.erp_field is not None
            else view.last_synced_crm_value,
            last_synced_erp_value=view.last_synced_erp_value,
            last_synced_crm_value=view.last_synced_crm_value,
            differs=view.differs,
            direction=view.direction,
        )


async def fields_of(info: Info, coupling: Coupling) -> list[CoupledField]:
    documents = info.context.loaders.documents

    async def batch(couplings: list[Coupling]) -> list[Found[list[CoupledFieldView]]]:
        return await _batch(documents, couplings)

    loader: DataLoader[Coupling, Found[list[CoupledFieldView]]] = documents.custom(
        "coupled fields", batch, lambda each: each.id
    )
    views = await documents.found(info, loader.load(coupling))
    return [CoupledField.of(view) for view in views]


async def _batch(
    documents: DocumentLoaders, couplings: list[Coupling]
) -> list[Found[list[CoupledFieldView]]]:
    failures = Failures()
    by_mapping: dict[str, list[Coupling]] = {}
    for coupling in couplings:
        by_mapping.setdefault(coupling.mapping, []).append(coupling)
    found: dict[str, list[CoupledFieldView]] = {}
    for name, group in by_mapping.items():
        mapping = await documents.services.mappings.get(name)
        if mapping is None:
            continue
        erp = await _records(documents, mapping, "erp", group, failures)
        crm = await _records(documents, mapping, "crm", group, failures)
        pairs = [Pair(c, _values(erp, c.erp.id), _values(crm, c.crm.id)) for c in group]
        lookups = await lookups_for(mapping, pairs, documents.services.couplings)
        for pair in pairs:
            found[pair.coupling.id] = coupled_fields(mapping, pair, lookups)
    return [Found(found.get(coupling.id, []), failures.found) for coupling in couplings]


async def _records(
    documents: DocumentLoaders,
    mapping: TableMapping,
    side: SideName,
    group: Sequence[Coupling],
    failures: Failures,
) -> dict[str, Record] | None:
    """The pairs' records on one side (a document in whichever entity it is now); None when
    the system did not answer."""
    entity = mapping.entity_of(side)
    ids = [coupling.side(side).id for coupling in group]
    reader = documents.reader
    kind = next(
        (
            kind
            for kind in DocumentKind
            if (fields := reader.fields(side, kind)) is not None and fields.entity == entity
        ),
        None,
    )
    read = reader.by_ids(side, kind, ids) if kind else reader.records(side, entity, ids)
    nothing: dict[str, Record] | None = None
    return await failures.attempt(side, f"{entity} records", read, nothing)


def _values(records: dict[str, Record] | None, key: str) -> dict[str, Any] | None:
    """The record's values; {} for a record gone from its system; None when unknown."""
    if records is None:
        return None
    found = records.get(key)
    return dict(found.values) if found is not None else {}

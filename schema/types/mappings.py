"""Table mappings and their field rows as the API shows them, with what keeps a mapping from
running (its validation problems against the connected systems)."""

from __future__ import annotations

from typing import cast

import strawberry
from strawberry.scalars import JSON

from gateway.mappings import model
from schema.types.enums import (
    ConflictPolicy,
    DeletionPolicy,
    LookupBy,
    MappingDirection,
    OtherSystem,
)


@strawberry.type(description="A field's value: a template default or a filter condition.")
class FieldValue:
    field: str
    value: JSON


@strawberry.type(description="An ERP value and the CRM value it corresponds to.")
class OptionPair:
    erp: JSON
    crm: JSON


@strawberry.type(description="A reference translated through another mapping's couplings.")
class FieldLookup:
    mapping: str
    erp_by: LookupBy
    crm_by: LookupBy


@strawberry.type(description="How one field travels between the ERP and the CRM.")
class FieldMapping:
    erp_field: str | None
    crm_field: str | None
    direction: MappingDirection
    constant: str | None = strawberry.field(
        description="The value written to the target field instead of a source value, as text."
    )
    constant_value: JSON | None = strawberry.field(description="The constant with its type.")
    transform: str | None
    option_map: list[OptionPair] | None
    lookup: FieldLookup | None

    @classmethod
    def from_model(cls, row: model.FieldMapping) -> FieldMapping:
        return cls(
            erp_field=row.erp_field,
            crm_field=row.crm_field,
            direction=row.direction,
            constant=None if row.constant is None else str(row.constant),
            constant_value=cast(JSON, row.constant),
            transform=row.transform,
            option_map=None
            if row.option_map is None
            else [OptionPair(erp=cast(JSON, e), crm=cast(JSON, c)) for e, c in row.option_map],
            lookup=None
            if row.lookup is None
            else FieldLookup(
                mapping=row.lookup.mapping, erp_by=row.lookup.erp_by, crm_by=row.lookup.crm_by
            ),
        )


def _values(values: dict[str, model.Scalar]) -> list[FieldValue]:
    return [FieldValue(field=name, value=cast(JSON, value)) for name, value in values.items()]


@strawberry.type(description="Which ERP entity corresponds to which CRM entity, and how.")
class TableMapping:
    name: str
    erp_entity: str
    crm_entity: str = strawberry.field(
        description="The entity of the system on the other side (see otherSystem)."
    )
    other_system: OtherSystem
    direction: MappingDirection
    sync_only_coupled: bool
    depends_on: list[str]
    conflict_policy: ConflictPolicy
    deletion_policy: DeletionPolicy
    enabled: bool
    coupled_through: str | None = strawberry.field(
        description="The mapping whose couplings this one uses (statistics use CUSTOMER's)."
    )
    erp_key_field: str | None
    crm_key_field: str | None
    erp_filter: list[FieldValue]
    crm_filter: list[FieldValue]
    erp_template: list[FieldValue] = strawberry.field(
        description="Default values of ERP records created from CRM records."
    )
    crm_template: list[FieldValue] = strawberry.field(
        description="Default values of CRM records created from ERP records."
    )
    couple_local_currency: bool = strawberry.field(
        description="A currency mapping: the ERP's local currency (a blank code, no record) is "
        "coupled to the CRM's base currency."
    )
    description: str
    fields: list[FieldMapping]
    problems: list[str] = strawberry.field(
        description="What keeps the mapping out of synchronization; empty when it can run."
    )

    @classmethod
    def from_model(cls, mapping: model.TableMapping, problems: list[str]) -> TableMapping:
        return cls(
            name=mapping.name,
            erp_entity=mapping.erp_entity,
            crm_entity=mapping.crm_entity,
            other_system=mapping.other_system,
            direction=mapping.direction,
            sync_only_coupled=mapping.sync_only_coupled,
            depends_on=list(mapping.depends_on),
            conflict_policy=mapping.conflict_policy,
            deletion_policy=mapping.deletion_policy,
            enabled=mapping.enabled,
            coupled_through=mapping.coupled_through,
            erp_key_field=mapping.erp_key_field,
            crm_key_field=mapping.crm_key_field,
            erp_filter=_values(mapping.erp_filter),
            crm_filter=_values(mapping.crm_filter),
            erp_template=_values(mapping.erp_template),
            crm_template=_values(mapping.crm_template),
            couple_local_currency=mapping.couple_local_currency,
            description=mapping.description,
            fields=[FieldMapping.from_model(row) for row in mapping.fields],
            problems=problems,
        )

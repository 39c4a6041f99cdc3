"""Table mappings and field mappings: which ERP entity corresponds to which CRM entity, and
how each field travels. Stored as data (collection `table_mappings`), changed through the API.

Directions: a table mapping's direction says which way records may flow (and be created);
a field row's direction narrows that for one field. A row flows towards the CRM only when
both the table and the row allow it, and likewise towards the ERP.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Scalar = str | int | float | bool | None


class MappingDirection(StrEnum):
    BIDIRECTIONAL = "BIDIRECTIONAL"
    TO_CRM = "TO_CRM"
    FROM_CRM = "FROM_CRM"

    def allows(self, direction: Direction) -> bool:
        return self is MappingDirection.BIDIRECTIONAL or self.value == direction.value


class Direction(StrEnum):
    """The way one synchronization moves data (Synchronize Now asks for one)."""

    TO_CRM = "TO_CRM"  # ERP data overwrites CRM data
    FROM_CRM = "FROM_CRM"  # CRM data overwrites ERP data

    @property
    def source(self) -> Literal["erp", "crm"]:
        return "erp" if self is Direction.TO_CRM else "crm"

    @property
    def target(self) -> Literal["erp", "crm"]:
        return "crm" if self is Direction.TO_CRM else "erp"

    @property
    def opposite(self) -> Direction:
        return Direction.FROM_CRM if self is Direction.TO_CRM else Direction.TO_CRM


class ConflictPolicy(StrEnum):
    ERP_WINS = "ERP_WINS"
    CRM_WINS = "CRM_WINS"
    NEWEST_WINS = "NEWEST_WINS"
    MANUAL = "MANUAL"  # record a sync error; a person resolves it with Synchronize Now


class DeletionPolicy(StrEnum):
    """What a deletion on one side does to the coupled record on the other side."""

    UNCOUPLE = "UNCOUPLE"  # remove the coupling, keep the other record, log it
    DELETE = "DELETE"  # delete the coupled record too (where the direction allows), log it
    IGNORE = "IGNORE"  # keep both coupling and record; the sync error says what happened


class OtherSystem(StrEnum):
    """The system on the other side of a mapping from the ERP. Inside the gateway that side
    is called `crm` whichever system it is (couplings' `crm_id`, rows' `crm_field`); the API
    names the id after the system (`crmId`, `projectServerId`)."""

    CRM = "crm"
    PROJECT_MANAGEMENT = "projectManagement"

    @property
    def label(self) -> str:
        return "CRM" if self is OtherSystem.CRM else "project-management system"


class LookupBy(StrEnum):
    ID = "id"  # the field holds the other record's id (e.g. customerId, _ownerid_value)
    KEY = "key"  # the field holds its natural key (e.g. salespersonCode, currencyCode)


class Lookup(BaseModel):
    """Translate a reference through another mapping's couplings (salesperson code ↔ owner)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mapping: str
    erp_by: LookupBy = LookupBy.ID
    crm_by: LookupBy = LookupBy.ID


class FieldMapping(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    erp_field: str | None = None
    crm_field: str | None = None
    direction: MappingDirection = MappingDirection.BIDIRECTIONAL
    constant: Scalar = Field(
        default=None, description="Written to the target field instead of a source value."
    )
    transform: str | None = Field(default=None, description="A name from the transforms registry.")
    # Pairs of (ERP value, CRM value), e.g. an ERP status and the CRM statecode it means.
    option_map: tuple[tuple[Scalar, Scalar], ...] | None = None
    lookup: Lookup | None = None

    @model_validator(mode="after")
    def _consistent(self) -> FieldMapping:
        if self.erp_field is None and self.crm_field is None:
            raise ValueError("a field row needs an ERP field, a CRM field, or both")
        has_constant = self.constant is not None
        if has_constant:
            if self.erp_field is not None and self.crm_field is not None:
                raise ValueError("a constant row writes one field: give only its target field")
            if self.direction is MappingDirection.BIDIRECTIONAL:
                raise ValueError("a constant row needs a direction (TO_CRM or FROM_CRM)")
            target_is_crm = self.crm_field is not None
            if target_is_crm != (self.direction is MappingDirection.TO_CRM):
                raise ValueError("a constant row's field must be on its target side")
        elif self.erp_field is None or self.crm_field is None:
            raise ValueError("a row without a constant needs both an ERP and a CRM field")
        if self.lookup is not None and (self.option_map or self.transform):
            raise ValueError("a lookup row cannot also have an option map or a transform")
        return self

    @property
    def key(self) -> str:
        """Stable name of the row within its table mapping (used in `synced_values`)."""
        return f"{self.erp_field or '='}|{self.crm_field or '='}"

    @property
    def is_constant(self) -> bool:
        return self.constant is not None


class TableMapping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Z0-9][A-Z0-9 _-]*$")
    erp_entity: str
    crm_entity: str  # the other system's entity (see `other_system`)
    other_system: OtherSystem = OtherSystem.CRM
    direction: MappingDirection
    sync_only_coupled: bool = True
    depends_on: tuple[str, ...] = ()
    conflict_policy: ConflictPolicy = ConflictPolicy.NEWEST_WINS
    deletion_policy: DeletionPolicy = DeletionPolicy.UNCOUPLE
    enabled: bool = True
    # Records of this mapping share their ids with another mapping's records and use its
    # couplings (a customer's statistics are keyed by the customer's id).
    coupled_through: str | None = None
    # Natural keys stored on couplings, for lookups by key and for matching.
    erp_key_field: str | None = None
    crm_key_field: str | None = None
    # Only records matching these equality filters take part (e.g. submitted CRM orders).
    erp_filter: dict[str, Scalar] = Field(default_factory=dict)
    crm_filter: dict[str, Scalar] = Field(default_factory=dict)
    # Default values for records created on that side (the seeds' templates).
    erp_template: dict[str, Scalar] = Field(default_factory=dict)
    crm_template: dict[str, Scalar] = Field(default_factory=dict)
    # For a currency mapping: the ERP's local currency, which has no record (documents leave
    # the code blank), is coupled to the CRM's base currency, as Business Central's own
    # integration maps LCY.
    couple_local_currency: bool = False
    fields: tuple[FieldMapping, ...]
    description: str = ""

    @field_validator("fields")
    @classmethod
    def _unique_rows(cls, rows: tuple[FieldMapping, ...]) -> tuple[FieldMapping, ...]:
        seen: set[str] = set()
        for row in rows:
            if row.key in seen:
                raise ValueError(f"field row {row.key} appears twice")
            seen.add(row.key)
        return rows

    @property
    def coupling_mapping(self) -> str:
        """The mapping whose couplings this one reads and writes."""
        return self.coupled_through or self.name

    def rows_towards(self, direction: Direction) -> list[FieldMapping]:
        """The rows whose values flow in `direction` under this table's direction."""
        if not self.direction.allows(direction):
            return []
        return [row for row in self.fields if row.direction.allows(direction)]

    def entity_of(self, side: str) -> str:
        return self.erp_entity if side == "erp" else self.crm_entity

    def key_field_of(self, side: str) -> str | None:
        return self.erp_key_field if side == "erp" else self.crm_key_field

    def to_doc(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> TableMapping:
        return cls.model_validate({k: v for k, v in doc.items() if k not in {"_id", "updated_at"}})

"""The data that describes an emulated API: entity sets, their fields and navigation properties.

Both emulators declare their tables with these types (see `dataverse/catalogue.py` and
`bc/catalogue.py`), so that validation of bodies, `$select`, `$filter`, `$orderby`, `$expand`
and the wording of error messages all come from one place.

Storage: one MongoDB collection per entity set, one document per record, the key in `_id`,
every other field under its API name. Fields that start with an underscore and are not in the
catalogue (`_seq`, `_company`, `_lookups`) are the sandbox's own bookkeeping and never leave it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

# Creation order of a record: a dense integer per database that default paging walks in
# windows (see `store/reader.py`).
SEQ = "_seq"
# The record's row version: bumped on every write, the ETag and the change-tracking position.
VERSION = "_version"
# A copy of the key (`_id`) with an index of its own: ordered ranges of keys are cheap on it,
# which they are not on `_id` with the embedded server (see `store/reader.py`).
KEY = "_key"
# For polymorphic lookups: which entity set each lookup value points to.
LOOKUP_TARGETS = "_lookups"
# Business Central: the company a record belongs to.
COMPANY = "_company"


class FieldType(StrEnum):
    STRING = "Edm.String"
    INT = "Edm.Int32"
    BIGINT = "Edm.Int64"
    DECIMAL = "Edm.Decimal"
    BOOLEAN = "Edm.Boolean"
    DATETIME = "Edm.DateTimeOffset"
    DATE = "Edm.Date"
    GUID = "Edm.Guid"


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: FieldType
    read_only: bool = False
    required: bool = False
    max_length: int | None = None
    # Allowed values of an option set (Dataverse choices) or an enum (Business Central).
    choices: tuple[int | str, ...] | None = None
    # Worth a selective index: lookups by it return few records (keys, numbers, e-mails).
    selective: bool = False
    # Set by the service on every write (modifiedon, lastModifiedDateTime); never null.
    system_time: bool = False
    # Stored under another name (Dataverse's versionnumber is the record's row version).
    stored_as: str | None = None


@dataclass(frozen=True, slots=True)
class Navigation:
    """A navigation property. Single-valued: `local` holds the target's key. Collection-valued:
    the target's `remote` field holds this record's key."""

    name: str
    target: str
    local: str = ""
    remote: str = ""
    many: bool = False


@dataclass(frozen=True)
class EntitySet:
    name: str
    entity: str  # the entity type's name (account, customer)
    key: str  # the key property (accountid, id)
    fields: Mapping[str, Field]
    navigations: Mapping[str, Navigation] = field(default_factory=dict)
    modified_field: str | None = "modifiedon"
    created_field: str | None = "createdon"
    change_tracking: bool = False
    writable: bool = True
    # Defaults applied on create, before validation (statecode 0, status "Draft").
    defaults: Mapping[str, object] = field(default_factory=dict)

    def column(self, name: str) -> str:
        """The storage name of a property."""
        if name == self.key:
            return "_id"
        found = self.fields.get(name)
        return found.stored_as if found is not None and found.stored_as else name

    def index_columns(self) -> list[str]:
        return [
            self.column(f.name)
            for f in self.fields.values()
            if (f.selective or f.system_time) and f.name != self.key
        ]

    @property
    def time_columns(self) -> frozenset[str]:
        return frozenset(f.name for f in self.fields.values() if f.system_time)

    @property
    def selective_columns(self) -> frozenset[str]:
        return frozenset(self.column(f.name) for f in self.fields.values() if f.selective)


def fields(*items: Field) -> dict[str, Field]:
    return {item.name: item for item in items}


def navigations(*items: Navigation) -> dict[str, Navigation]:
    return {item.name: item for item in items}


class Catalogue:
    """The entity sets of one API, by name."""

    def __init__(self, sets: Iterable[EntitySet]) -> None:
        self._sets = {entity_set.name: entity_set for entity_set in sets}

    def get(self, name: str) -> EntitySet | None:
        return self._sets.get(name)

    def __iter__(self) -> Iterator[EntitySet]:
        return iter(self._sets.values())

    def names(self) -> list[str]:
        return list(self._sets)

"""Canonical entities as Tryton models: which fields, which records, which buttons.

An `EntityDef` is data: the model, the values and the Tryton fields behind them, the domain
every record of the entity matches, and the workflow buttons callable as transitions. What plain
field mapping cannot express (a party's e-mail living in a contact mechanism, a sale's lines)
lives in the entity's `Shape`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from adapters.base import EntitySpec
from adapters.errors import ValidationError
from adapters.tryton.fields import FieldDef, Kind, Write

if TYPE_CHECKING:
    from adapters.tryton.rpc import TrytonRPC

MODIFIED_FIELD = "last_modified_at"


class Shape:
    """Reads and writes of an entity beyond plain field mapping; the default does nothing."""

    # Tryton fields read with every row, whatever values were asked for.
    extra_reads: tuple[str, ...] = ()

    async def enrich(
        self,
        rpc: TrytonRPC,
        entity: EntityDef,
        rows: Sequence[Mapping[str, Any]],
        values: Sequence[dict[str, Any]],
        wanted: frozenset[str],
    ) -> None:
        """Fill the computed values among `wanted` into `values` (one dict per row)."""
        return

    async def prepare_create(
        self, rpc: TrytonRPC, entity: EntityDef, shaped: Mapping[str, Any], tryton: dict[str, Any]
    ) -> None:
        """Add to `tryton` (the new record's Tryton values) what `shaped` values mean."""
        return

    async def prepare_write(
        self,
        rpc: TrytonRPC,
        entity: EntityDef,
        record_id: int,
        shaped: Mapping[str, Any],
        tryton: dict[str, Any],
    ) -> None:
        """Add to `tryton` (the write's Tryton values) what `shaped` values mean."""
        return

    async def after_create(self, rpc: TrytonRPC, entity: EntityDef, record_id: int) -> None:
        """Run after a record of the entity was created (e.g. move a new order past draft)."""
        return

    def entity_of(self, entity: EntityDef, row: Mapping[str, Any]) -> str:
        """The canonical entity a row belongs to now (a confirmed quote is a sales order)."""
        return entity.name


@dataclass(frozen=True, slots=True)
class EntityDef:
    name: str
    model: str
    fields: tuple[FieldDef, ...]
    # Every record of the entity matches this domain (e.g. projects are works of type project).
    domain: tuple[Any, ...] = ()
    # Entities sharing a model by state (quote, sales order): the states of this one.
    states: frozenset[str] | None = None
    read_only: bool = False
    actions: frozenset[str] = frozenset()
    defaults: Mapping[str, Any] = field(default_factory=dict)
    shape: Shape = field(default_factory=Shape)
    # False: Tryton's timestamps do not move when these values do (receivables), so every
    # `changes` pass reads a full snapshot.
    tracked: bool = True
    order: tuple[tuple[str, str], ...] = (("id", "ASC"),)
    _index: Mapping[str, FieldDef] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", str(self.name))  # a plain string, not the enum member
        implicit = (
            FieldDef("id", Kind.REF, write=Write.NONE),
            FieldDef(MODIFIED_FIELD, Kind.DATETIME, write=Write.NONE),
        )
        index = {item.name: item for item in (*implicit, *self.fields)}
        object.__setattr__(self, "_index", MappingProxyType(index))

    def field(self, name: str) -> FieldDef:
        try:
            return self._index[name]
        except KeyError:
            raise ValidationError(
                f"{self.name}.{name}: unknown field (known: {', '.join(self.value_names)})",
                system="tryton",
            ) from None

    @property
    def value_names(self) -> tuple[str, ...]:
        return tuple(item.name for item in self.fields)

    def membership(self, *, with_states: bool = True) -> list[Any]:
        """The domain every record of the entity matches."""
        clauses: list[Any] = [list(clause) for clause in self.domain]
        if with_states and self.states is not None:
            clauses.append(["state", "in", sorted(self.states)])
        return clauses

    def spec(self) -> EntitySpec:
        return EntitySpec(
            name=self.name,
            native_name=self.model,
            key_field="id",
            fields=frozenset(self.value_names),
            modified_field=MODIFIED_FIELD if self.tracked else None,
            change_tracking=False,
            lookups={item.name: item.lookup for item in self.fields if item.lookup},
            read_only=self.read_only,
        )

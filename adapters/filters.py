"""A small, system-neutral filter language for `Connector.query`.

Connectors translate it to their own syntax (OData `$filter`, Tryton domains). Values are
always data, never syntax: each connector quotes them for its wire format.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Compare:
    """`field <op> value` with op one of eq, ne, gt, ge, lt, le."""

    field: str
    op: str
    value: Any

    def __post_init__(self) -> None:
        if self.op not in COMPARISON_OPERATORS:
            raise ValueError(f"unknown comparison operator {self.op!r}")


@dataclass(frozen=True, slots=True)
class In:
    field: str
    values: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Contains:
    """Case-insensitive substring match, as both Dataverse and Business Central do it."""

    field: str
    value: str


@dataclass(frozen=True, slots=True)
class StartsWith:
    field: str
    value: str


@dataclass(frozen=True, slots=True)
class And:
    parts: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class Or:
    parts: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class Not:
    part: Filter


Filter = Compare | In | Contains | StartsWith | And | Or | Not

COMPARISON_OPERATORS = frozenset({"eq", "ne", "gt", "ge", "lt", "le"})


def eq(field: str, value: Any) -> Compare:
    return Compare(field, "eq", value)


def all_of(*parts: Filter | None) -> Filter | None:
    """AND of the given parts, skipping None; None when nothing is left."""
    kept = tuple(part for part in parts if part is not None)
    if not kept:
        return None
    return kept[0] if len(kept) == 1 else And(kept)


def any_of(*parts: Filter) -> Filter:
    return parts[0] if len(parts) == 1 else Or(tuple(parts))

"""`$apply` (OData aggregation): `filter(...)`, `groupby((a,b),aggregate(...))`, `aggregate(...)`.

Aggregates: `$count as alias`, `<property> with sum|min|max|average|countdistinct as alias`.
Matching records are fetched with only the columns the aggregation needs and grouped here,
which keeps large `$in` filters (statistics for a page of accounts) cheap on the server.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sandbox.errors import ErrorKind, SandboxError
from sandbox.model import EntitySet, Field
from sandbox.odata import filter as odata_filter
from sandbox.odata.filter import MongoFilter, merge
from sandbox.odata.options import Schema, split_top_level

_AGGREGATE = re.compile(
    r"^(?:(?P<count>\$count)|(?P<prop>[A-Za-z_][\w]*)\s+with\s+(?P<method>sum|min|max|average|countdistinct))"
    r"\s+as\s+(?P<alias>[A-Za-z_]\w*)$"
)


@dataclass(frozen=True)
class Aggregate:
    alias: str
    method: str  # count, sum, min, max, average, countdistinct
    field: Field | None = None
    column: str | None = None


@dataclass
class Aggregation:
    filter: MongoFilter = field(default_factory=dict)
    group_by: list[tuple[Field, str]] = field(default_factory=list)  # (field, column)
    aggregates: list[Aggregate] = field(default_factory=list)

    def columns(self) -> list[str]:
        columns = [column for _, column in self.group_by]
        columns += [a.column for a in self.aggregates if a.column is not None]
        return columns


def parse_apply(text: str, entity_set: EntitySet, schema: Schema) -> Aggregation:
    result = Aggregation()
    resolve = schema.resolver(entity_set)
    for step in split_top_level(text, "/"):
        name, _, rest = step.partition("(")
        name = name.strip()
        if not rest.endswith(")"):
            raise _syntax(text)
        inner = rest[:-1]
        if name == "filter":
            result.filter = merge(
                result.filter, odata_filter.translate(odata_filter.parse(inner), resolve)
            )
        elif name == "groupby":
            parts = split_top_level(inner)
            if not parts or not parts[0].startswith("(") or not parts[0].endswith(")"):
                raise _syntax(text)
            result.group_by = [resolve(item.strip()) for item in split_top_level(parts[0][1:-1])]
            for extra in parts[1:]:
                result.aggregates += _aggregates(extra, resolve, text)
        elif name == "aggregate":
            result.aggregates += _aggregates(step, resolve, text)
        else:
            raise SandboxError(
                ErrorKind.NOT_SUPPORTED, f"The $apply transformation '{name}' is not supported."
            )
    if not result.group_by and not result.aggregates:
        raise _syntax(text)
    return result


def _aggregates(
    text: str, resolve: Callable[[str], tuple[Field, str]], whole: str
) -> list[Aggregate]:
    name, _, rest = text.partition("(")
    if name.strip() != "aggregate" or not rest.endswith(")"):
        raise _syntax(whole)
    found: list[Aggregate] = []
    for item in split_top_level(rest[:-1]):
        match = _AGGREGATE.match(item.strip())
        if match is None:
            raise _syntax(whole)
        if match["count"]:
            found.append(Aggregate(match["alias"], "count"))
        else:
            prop_field, column = resolve(match["prop"])
            found.append(Aggregate(match["alias"], match["method"], prop_field, column))
    return found


def _syntax(text: str) -> SandboxError:
    return SandboxError(ErrorKind.BAD_QUERY, f"Syntax error in $apply '{text}'.")


def evaluate(aggregation: Aggregation, docs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Group the fetched documents; rows carry storage values keyed by property name."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for doc in docs:
        key = tuple(doc.get(column) for _, column in aggregation.group_by)
        groups.setdefault(key, []).append(doc)
    if not aggregation.group_by and not groups:
        groups[()] = []
    rows: list[dict[str, Any]] = []
    for key, members in groups.items():
        row: dict[str, Any] = {
            group_field.name: value
            for (group_field, _), value in zip(aggregation.group_by, key, strict=True)
        }
        for aggregate in aggregation.aggregates:
            row[aggregate.alias] = _compute(aggregate, members)
        rows.append(row)
    rows.sort(key=lambda row: tuple((v is not None, str(v)) for v in row.values()))
    return rows


def _compute(aggregate: Aggregate, members: list[dict[str, Any]]) -> Any:  # noqa: PLR0911
    if aggregate.method == "count":
        return len(members)
    values = [doc.get(aggregate.column or "") for doc in members]
    present = [v for v in values if v is not None]
    if aggregate.method == "countdistinct":
        return len(set(present))
    if not present:
        return None if aggregate.method != "sum" else 0
    if aggregate.method == "sum":
        return sum(present)
    if aggregate.method == "min":
        return min(present)
    if aggregate.method == "max":
        return max(present)
    return sum(present) / len(present)

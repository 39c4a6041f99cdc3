"""OData URL syntax: literals, `$filter` from `adapters.filters`, query strings, id chunks.

Values are always rendered as literals here, never pasted: strings are quoted with `'` doubled
(OData ABNF), GUIDs are bare, datetimes are ISO 8601 in UTC. Field names must be plain OData
identifiers (optionally a `/`-separated path), so a name can never smuggle syntax in.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from adapters.errors import ValidationError
from adapters.filters import And, Compare, Contains, Filter, In, Not, Or, StartsWith

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*$")
ORDER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_/]*)(\s+(asc|desc))?\s*$", re.IGNORECASE)

# Characters kept as they are in a query value; everything else is percent-encoded (space as
# %20, never '+', which OData servers read as a plus sign).
QUERY_SAFE = "$'(),:/@*"

IsGuidField = Callable[[str], bool]


def is_guid(value: object) -> bool:
    return isinstance(value, uuid.UUID) or (isinstance(value, str) and bool(GUID.match(value)))


def check_identifier(name: str, *, system: str, what: str = "field") -> str:
    if not isinstance(name, str) or not IDENTIFIER.match(name):
        raise ValidationError(f"{what} {name!r} is not a valid OData name", system=system)
    return name


def format_datetime(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    if value.microsecond == 0:
        text = value.strftime("%Y-%m-%dT%H:%M:%S")
    elif value.microsecond % 1000 == 0:
        text = value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}"
    else:
        text = value.strftime("%Y-%m-%dT%H:%M:%S.%f")
    return text + "Z"


def parse_datetime(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def literal(value: Any, *, guid: bool = False, system: str) -> str:
    """`value` as an OData literal; `guid` says the field is an Edm.Guid."""
    text: str | None = None
    if value is None:
        text = "null"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int | Decimal | uuid.UUID):
        text = str(value)
    elif isinstance(value, float):
        text = repr(value)
    elif isinstance(value, datetime):
        text = format_datetime(value)
    elif isinstance(value, date):
        text = value.isoformat()
    elif isinstance(value, str) and guid:
        if not GUID.match(value):
            raise ValidationError(f"{value!r} is not a GUID", system=system)
        text = value
    elif isinstance(value, str):
        text = "'" + value.replace("'", "''") + "'"
    if text is None:
        raise ValidationError(
            f"a filter value of type {type(value).__name__} cannot be sent", system=system
        )
    return text


def render_filter(node: Filter, *, system: str, is_guid_field: IsGuidField) -> str:
    """`node` as an OData `$filter` expression."""

    def render(part: Filter) -> str:
        return render_filter(part, system=system, is_guid_field=is_guid_field)

    def value(name: str, raw: Any) -> str:
        return literal(raw, guid=is_guid_field(name) and isinstance(raw, str), system=system)

    if isinstance(node, Compare):
        name = check_identifier(node.field, system=system)
        return f"{name} {node.op} {value(name, node.value)}"
    if isinstance(node, In):
        name = check_identifier(node.field, system=system)
        clauses = [f"{name} eq {value(name, item)}" for item in node.values]
        return "(" + " or ".join(clauses) + ")" if clauses else "false"
    if isinstance(node, Contains | StartsWith):
        if not isinstance(node.value, str):
            raise ValidationError(f"{node.field}: text search needs a string", system=system)
        function = "contains" if isinstance(node, Contains) else "startswith"
        name = check_identifier(node.field, system=system)
        return f"{function}({name},{literal(node.value, system=system)})"
    if isinstance(node, And | Or):
        empty = "true" if isinstance(node, And) else "false"
        joiner = " and " if isinstance(node, And) else " or "
        return "(" + joiner.join(render(part) for part in node.parts) + ")" if node.parts else empty
    if isinstance(node, Not):
        return f"not ({render(node.part)})"
    raise ValidationError(f"unknown filter node {type(node).__name__}", system=system)


def render_order_by(order_by: Sequence[str], *, system: str) -> str:
    parts = []
    for item in order_by:
        match = ORDER.match(item) if isinstance(item, str) else None
        if match is None:
            raise ValidationError(f"order_by {item!r} is not 'field [asc|desc]'", system=system)
        direction = (match.group(3) or "asc").lower()
        parts.append(f"{check_identifier(match.group(1), system=system)} {direction}")
    return ",".join(parts)


def query_string(params: Iterable[tuple[str, str]]) -> str:
    encoded = [f"{quote(key, safe='$')}={quote(value, safe=QUERY_SAFE)}" for key, value in params]
    return "&".join(encoded)


def with_query(path: str, params: Iterable[tuple[str, str]]) -> str:
    query = query_string(params)
    if not query:
        return path
    return f"{path}{'&' if '?' in path else '?'}{query}"


def chunk_ids(
    ids: Sequence[Any], *, clause: Callable[[Any], str], budget: int, max_ids: int
) -> list[list[Any]]:
    """Split `ids` so that the encoded `or` chain of their clauses stays within `budget` chars."""
    chunks: list[list[Any]] = []
    current: list[Any] = []
    used = 0
    separator = len(quote(" or ", safe=QUERY_SAFE))
    for item in ids:
        cost = len(quote(clause(item), safe=QUERY_SAFE)) + (separator if current else 0)
        if current and (used + cost > budget or len(current) >= max_ids):
            chunks.append(current)
            current, used = [], 0
            cost -= separator
        current.append(item)
        used += cost
    if current:
        chunks.append(current)
    return chunks

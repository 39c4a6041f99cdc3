"""Finding the counterpart an uncoupled record may already have, so that creating is idempotent.

Two ways, each one query for a whole batch:

- by natural key: the source's key field (a customer's number) is compared with the target
  field a field row carries it to (the account's account number), or with the target's key
  field when no row carries it. That is how records that existed on both sides before the
  integration get coupled instead of duplicated.
- by counterpart id: a record the gateway creates gets an id derived from the mapping and its
  source record (`counterpart_id`), where the target system lets the caller choose ids. A run
  that crashed between "created" and "coupled" finds its creation again by that id, and two
  runs creating the same counterpart at once collide on it instead of creating two.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from adapters.base import Connector, Record
from gateway.mappings.model import Direction, TableMapping
from gateway.mappings.translate import Lookups, source_field, target_field, translate_row
from gateway.types import Values

_NAMESPACE = uuid.UUID("6f1c1e0a-2b7d-4c55-9a43-5d3c0b8e1f27")


def counterpart_id(mapping: TableMapping, direction: Direction, source_id: str) -> str:
    """The id the counterpart of `source_id` gets when the gateway creates it."""
    name = f"{mapping.coupling_mapping}|{direction.source}|{source_id}"
    return str(uuid.uuid5(_NAMESPACE, name))


def chooses_ids(connector: Connector) -> bool:
    return connector.capabilities.caller_ids


@dataclass(frozen=True, slots=True)
class KeyMatch:
    """Which target field to search, and the value a source record is searched by."""

    target_field: str
    value_of: Callable[[Values], Any]


def key_match(mapping: TableMapping, direction: Direction) -> KeyMatch | None:
    source_key = mapping.key_field_of(direction.source)
    target_key = mapping.key_field_of(direction.target)
    if source_key is None:
        return None
    rows = [
        row
        for row in mapping.fields
        if not row.is_constant and row.lookup is None and source_field(row, direction) == source_key
    ]
    rows.sort(key=lambda row: target_field(row, direction) != target_key)  # key to key first
    flowing = {row.key for row in mapping.rows_towards(direction)}
    for row in rows:
        name = target_field(row, direction)
        if name is None:
            continue
        if row.key in flowing:

            def through_row(values: Values, row: Any = row) -> Any:
                value, problem = translate_row(row, direction, values, Lookups())
                return None if problem is not None else value

            return KeyMatch(name, through_row)
        return KeyMatch(name, lambda values: values.get(source_key))
    if target_key is not None:
        return KeyMatch(target_key, lambda values: values.get(source_key))
    return None


def normal_key(value: Any) -> str | None:
    """Keys compare as the systems compare them: text without case or surrounding blanks."""
    if value is None:
        return None
    text = str(value).strip().lower()
    return text or None


async def records_by_key(
    connector: Connector, entity: str, field: str, keys: Iterable[Any]
) -> dict[str, list[Record]]:
    """Target records whose `field` holds one of `keys`, by normalized key (the connector
    splits the keys into as few requests as it can)."""
    wanted = list(dict.fromkeys(key for key in keys if normal_key(key) is not None))
    if not wanted:
        return {}
    found: dict[str, list[Record]] = {}
    for record in await connector.get_where(entity, field, wanted):
        key = normal_key(record.get(field))
        if key is not None:
            found.setdefault(key, []).append(record)
    return found

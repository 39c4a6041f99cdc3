"""Rows of a Tryton model as the records of a canonical entity.

One `search_read` names every Tryton field the wanted values need (plus `_timestamp`, the etag,
and `last_modified_at`); the entity's shape then adds its computed values, one more call per
batch of rows at most.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from adapters.base import Record
from adapters.errors import ConnectorError, NotFoundError
from adapters.tryton.entities import MODIFIED_FIELD, EntityDef
from adapters.tryton.fields import read_value
from adapters.tryton.rpc import TrytonRPC

# Archived records are records too when they are asked for by id or followed for changes.
WITH_ARCHIVED: Mapping[str, Any] = {"active_test": False}


class Reader:
    def __init__(self, rpc: TrytonRPC, *, system: str) -> None:
        self.rpc = rpc
        self.system = system

    def reads(self, definition: EntityDef, wanted: frozenset[str]) -> list[str]:
        """The Tryton fields to read for the `wanted` values."""
        reads: dict[str, None] = dict.fromkeys(definition.shape.extra_reads)
        for name in sorted(wanted):
            field = definition.field(name)
            if not field.computed:
                reads[field.tryton] = None
        reads["_timestamp"] = None
        reads[MODIFIED_FIELD] = None
        return list(reads)

    async def rows(
        self,
        definition: EntityDef,
        domain: list[Any],
        wanted: frozenset[str],
        *,
        offset: int = 0,
        limit: int | None = None,
        order: list[list[str]] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = await self.rpc.model(
            definition.model,
            "search_read",
            domain,
            offset,
            limit,
            order or [list(item) for item in definition.order],
            self.reads(definition, wanted),
            context=context,
        )
        return rows

    async def records(
        self, definition: EntityDef, rows: Sequence[Mapping[str, Any]], wanted: frozenset[str]
    ) -> list[Record]:
        fields = [definition.field(name) for name in sorted(wanted)]
        values: list[dict[str, Any]] = [
            {field.name: read_value(field, row) for field in fields if not field.computed}
            for row in rows
        ]
        await definition.shape.enrich(self.rpc, definition, rows, values, wanted)
        return [
            Record(
                system=self.system,
                entity=definition.shape.entity_of(definition, row),
                id=str(row["id"]),
                values=record_values,
                modified_on=_moment(row.get(MODIFIED_FIELD)),
                etag=row.get("_timestamp"),
            )
            for row, record_values in zip(rows, values, strict=True)
        ]

    async def search(
        self,
        definition: EntityDef,
        domain: list[Any],
        wanted: frozenset[str],
        *,
        offset: int = 0,
        limit: int | None = None,
        order: list[list[str]] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> list[Record]:
        rows = await self.rows(
            definition, domain, wanted, offset=offset, limit=limit, order=order, context=context
        )
        return await self.records(definition, rows, wanted)

    async def fetch(self, definition: EntityDef, record_id: int) -> Record:
        """The record as it is now, whichever entity of its model it belongs to."""
        domain = [*definition.membership(with_states=False), ["id", "=", record_id]]
        found = await self.search(
            definition, domain, frozenset(definition.value_names), context=WITH_ARCHIVED
        )
        if not found:
            raise self.not_found(definition, record_id)
        return found[0]

    async def ensure_member(self, definition: EntityDef, record_id: int) -> None:
        """NotFoundError unless the record exists and belongs to the entity's model domain."""
        domain = [*definition.membership(with_states=False), ["id", "=", record_id]]
        count = await self.rpc.model(
            definition.model, "search_count", domain, context=WITH_ARCHIVED
        )
        if not count:
            raise self.not_found(definition, record_id)

    async def raise_if_missing(
        self, definition: EntityDef, record_id: int, cause: ConnectorError
    ) -> None:
        """After a refusal, tell 'no such record' apart without relying on the message's
        language: NotFoundError if the record does not exist, else nothing."""
        if isinstance(cause, NotFoundError):
            return
        count = await self.rpc.model(
            definition.model, "search_count", [["id", "=", record_id]], context=WITH_ARCHIVED
        )
        if not count:
            raise self.not_found(definition, record_id) from cause

    def not_found(self, definition: EntityDef, record_id: int) -> NotFoundError:
        return NotFoundError(f"{definition.name} {record_id} not found", system=self.system)


def _moment(value: Any) -> dt.datetime | None:
    return value if isinstance(value, dt.datetime) else None

"""What changed in a Tryton model since a watermark.

Changes are read in `last_modified_at` order (Tryton's `coalesce(write_date, create_date)`),
with the record id breaking ties between records changed in the same microsecond; the token
after each batch is the last (timestamp, id) read. The timestamps are the server's, so the
watermark never depends on the gateway's clock.

What the feed cannot see:
- deletions: Tryton keeps no trace of deleted records, so none is ever reported;
- a write whose transaction started before, and committed after, a batch was read, if its
  timestamp is older than the batch's last one (PostgreSQL stamps a transaction's start);
  a full synchronization catches those.

A sale that leaves an entity (a quote confirmed into a sales order) is reported among the
`deleted_ids` of the entity it left, as a Business Central quote disappears when it becomes an
order; it appears among the upserts of the entity it joined.

Entities whose values move without their record's timestamp (customer statistics) have no
watermark: every pass reads a full snapshot, in id order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from adapters.base import ChangeBatch
from adapters.tryton.entities import MODIFIED_FIELD, EntityDef
from adapters.tryton.reader import WITH_ARCHIVED, Reader
from adapters.tryton.tokens import EPOCH, SNAPSHOT, decode_watermark, encode_watermark


async def watermark_changes(
    reader: Reader, definition: EntityDef, token: str | None, page_size: int
) -> AsyncIterator[ChangeBatch]:
    moment, last_id = decode_watermark(token) if token else (EPOCH, 0)
    wanted = frozenset(definition.value_names)
    while True:
        after = [
            "OR",
            [MODIFIED_FIELD, ">", moment],
            ["AND", [MODIFIED_FIELD, "=", moment], ["id", ">", last_id]],
        ]
        rows = await reader.rows(
            definition,
            [*definition.membership(with_states=False), after],
            wanted,
            limit=page_size,
            order=[[MODIFIED_FIELD, "ASC"], ["id", "ASC"]],
            context=WITH_ARCHIVED,
        )
        members = [row for row in rows if _is_member(definition, row)]
        departed = [str(row["id"]) for row in rows if not _is_member(definition, row)]
        upserts = await reader.records(definition, members, wanted)
        if rows:
            moment, last_id = rows[-1][MODIFIED_FIELD], rows[-1]["id"]
        done = len(rows) < page_size
        yield ChangeBatch(
            upserts=upserts,
            deleted_ids=departed,
            token=encode_watermark(moment, last_id),
            done=done,
        )
        if done:
            return


async def snapshot_changes(
    reader: Reader, definition: EntityDef, page_size: int
) -> AsyncIterator[ChangeBatch]:
    wanted = frozenset(definition.value_names)
    last_id = 0
    while True:
        records = await reader.search(
            definition,
            [*definition.membership(), ["id", ">", last_id]],
            wanted,
            limit=page_size,
            order=[["id", "ASC"]],
        )
        if records:
            last_id = int(records[-1].id)
        done = len(records) < page_size
        yield ChangeBatch(upserts=records, deleted_ids=[], token=SNAPSHOT, done=done)
        if done:
            return


def _is_member(definition: EntityDef, row: Mapping[str, Any]) -> bool:
    return definition.states is None or row.get("state") in definition.states

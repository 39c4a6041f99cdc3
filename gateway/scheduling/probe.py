"""Is there anything to do? The cheap look an entry on hold takes at each interval.

Each side the mapping reads changes from is asked for its changes since the token the last run
saved, a few records at a time, and only until the first new record: with a change feed or a
last-modified watermark that is one small request per side. The probe saves nothing, so the
run it wakes reads the same changes. A side whose entity offers neither a feed nor a timestamp
cannot tell (every read is a full read): a mapping with such a side never goes on hold.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from adapters.base import ChangeBatch, Connector
from gateway.mappings.model import TableMapping
from gateway.services import Services
from gateway.sync.running import source_sides
from gateway.types import SideName

_PROBE_PAGE = 5
_PROBE_PAGES = 4


def _connector(services: Services, side: SideName) -> Connector | None:
    return services.erp if side == "erp" else services.crm


def can_probe(services: Services, mapping: TableMapping) -> bool:
    """Whether every side the mapping reads can say cheaply that it has changes."""
    sides = source_sides(mapping)
    for side in sides:
        connector = _connector(services, side)
        spec = connector.entities().get(mapping.entity_of(side)) if connector else None
        if spec is None or not (spec.change_tracking or spec.modified_field):
            return False
    return bool(sides)


async def changes_waiting(services: Services, mapping: TableMapping) -> bool:
    """True when either side has a change the mapping's next run would read."""
    tokens = await services.tokens.tokens(mapping.name)
    sides = source_sides(mapping)
    found = await asyncio.gather(
        *(_side_changed(services, mapping, side, tokens[side]) for side in sides)
    )
    return any(found)


async def _side_changed(
    services: Services, mapping: TableMapping, side: SideName, token: str | None
) -> bool:
    connector = _connector(services, side)
    if connector is None:
        return False
    if token is None:
        return True  # never read: everything is new
    feed = connector.changes(mapping.entity_of(side), token, page_size=_PROBE_PAGE)
    try:
        pages = 0
        async for batch in feed:
            if _has_changes(batch):
                return True
            pages += 1
            if batch.done:
                return False
            if pages >= _PROBE_PAGES:
                return True  # many records at the watermark's instant: let a run look
        return False
    finally:
        await _close(feed)


def _has_changes(batch: ChangeBatch) -> bool:
    return bool(batch.upserts or batch.deleted_ids)


async def _close(feed: AsyncIterator[Any]) -> None:
    close = getattr(feed, "aclose", None)
    if close is not None:
        with contextlib.suppress(Exception):
            await close()

"""Reading one kind of lifecycle document on the background's schedule: only what changed
since the last pass.

A scan keeps a modified-on watermark in `workflow_scans` (one document per scan, `_id` its
name; a first pass looks back a day, so that documents changed long before are left to the
mutations), reads the documents changed since then page by page in modified-on order, hands
each page to its handler, and moves the watermark to the newest one seen once every page is
handled. A handler that cannot go on now (a system did not answer, a document has work under
way) raises `ScanInterruptedError`: the scan stops without moving its watermark and reads the
same documents next time, which the workflows' keys make harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.base import Connector, Page, Record
from adapters.filters import Compare, Filter, all_of
from gateway.services import Services
from gateway.workflows.engine import Outcome

log = logging.getLogger(__name__)

SCANS = "workflow_scans"
_PAGE = 200
FIRST_LOOK_BACK = timedelta(days=1)

Handler = Callable[[list[Record]], Awaitable[int]]


class ScanInterruptedError(Exception):
    """The scan cannot go on now: stop, and read the same documents next time."""


def started(outcome: Outcome) -> int:
    """1 if the call did work now; raises when a system was unavailable before it began."""
    refusal = outcome.refusal
    if refusal is not None and refusal.code == "UPSTREAM_UNAVAILABLE" and outcome.instance is None:
        raise ScanInterruptedError(refusal.message)
    return int(refusal is None and not outcome.replayed)


async def scan(
    services: Services,
    name: str,
    connector: Connector,
    entity: str,
    *,
    condition: Filter | None,
    handle: Handler,
) -> int:
    """Hand the records matching `condition` that changed since the last pass to `handle`,
    page by page, then move the watermark to the newest one seen; what `handle` did."""
    scans = services.db[SCANS]
    stored: dict[str, Any] | None = await scans.find_one({"_id": name})
    since: datetime = stored["since"] if stored else datetime.now(UTC) - FIRST_LOOK_BACK
    modified = connector.entities()[entity].modified_field
    assert modified is not None
    changed = Compare(modified, "ge", since)
    query = changed if condition is None else all_of(condition, changed)
    newest, cursor, done = since, None, 0
    while True:
        page = await connector.query(
            entity, query, Page(size=_PAGE, cursor=cursor), order_by=[f"{modified} asc"]
        )
        try:
            done += await handle(page.records) if page.records else 0
        except ScanInterruptedError as exc:
            log.warning("scan %s stopped (%s); it reads the same documents next time", name, exc)
            return done
        for record in page.records:
            if record.modified_on is not None and record.modified_on > newest:
                newest = record.modified_on
        cursor = page.next_cursor
        if cursor is None:
            break
    if newest != since:
        await scans.update_one({"_id": name}, {"$set": {"since": newest}}, upsert=True)
    return done

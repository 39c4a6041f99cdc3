"""Live updates over WebSocket: a run's progress, the runs of a mapping, job queue entries and
new sync errors, from whichever process made the change (see `gateway.events`).

Events only say what changed; each answer is read from MongoDB then, as a query would read it.
When no event arrives for `RESYNC_SECONDS`, a subscription reads again anyway, so a lost event
(Redis pub/sub keeps nothing) delays an update, never loses it. Readers may subscribe: a
subscription shows what the queries show.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from graphql import GraphQLError

from gateway.events import JOB_QUEUE_ENTRY, SYNC_ERROR, SYNC_RUN, Event
from gateway.security.inputs import InputRejectedError, require_plain_text
from gateway.store.sync_errors import SyncErrorRepository
from gateway.store.sync_runs import SyncRunRepository
from schema.context import Info
from schema.errors import InvalidArgumentError
from schema.queries.sync import own_id
from schema.types.jobs import JobQueueEntry
from schema.types.sync import SyncError, SyncRun

RESYNC_SECONDS = 15.0


def _mapping(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return require_plain_text(value, "mapping", max_length=64)
    except InputRejectedError as exc:
        raise InvalidArgumentError("mapping", exc.reason) from None


def _authenticated(info: Info) -> None:
    if info.context.caller is None:
        raise GraphQLError("Authentication required", extensions={"code": "UNAUTHENTICATED"})


def _of_mapping(kind: str, mapping: str | None) -> Any:
    """Events of `kind`; of `mapping` when given (runs' events may not name it: let those
    through, the run read afterwards is checked)."""
    return lambda event: (
        event.kind == kind and (mapping is None or event.mapping in (None, mapping))
    )


def _state(run: SyncRun) -> tuple[object, ...]:
    return (run.status, run.progress, run.inserted, run.modified, run.deleted, run.unchanged,
            run.skipped, run.failed, run.coupled, run.uncoupled, run.message)  # fmt: skip


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="One run as it progresses: its state now, then each change, until it ends."
    )
    async def sync_run_updated(
        self, info: Info, id: strawberry.ID
    ) -> AsyncGenerator[SyncRun, None]:
        _authenticated(info)
        try:
            run_id = own_id(require_plain_text(id, "id", max_length=200), "SyncRun")
        except InputRejectedError as exc:
            raise InvalidArgumentError("id", exc.reason) from None
        runs = SyncRunRepository(info.context.services.db)
        hub = info.context.services.events
        async with hub.listen(lambda e: e.kind == SYNC_RUN and e.id == run_id) as listener:
            stored = await runs.get(run_id)
            if stored is None:
                raise GraphQLError(
                    f"id: no sync run has the id {id!r}",
                    extensions={"code": "NOT_FOUND", "field": ["id"]},
                )
            last: tuple[object, ...] | None = None
            while True:
                run = SyncRun.from_run(stored)
                if _state(run) != last:
                    last = _state(run)
                    info.context.forget_loaded()
                    yield run
                if stored.status.finished:
                    return
                await listener.next(RESYNC_SECONDS)
                stored = await runs.get(run_id) or stored

    @strawberry.subscription(
        description="Runs as they are queued, progress and end; of one mapping when given "
        "(a full synchronization counts for each mapping it covers)."
    )
    async def sync_runs_updated(
        self, info: Info, mapping: str | None = None
    ) -> AsyncGenerator[SyncRun, None]:
        _authenticated(info)
        name = _mapping(mapping)
        runs = SyncRunRepository(info.context.services.db)
        hub = info.context.services.events
        async with hub.listen(_of_mapping(SYNC_RUN, name)) as listener:
            while True:
                events, _ = await listener.next(RESYNC_SECONDS)
                found = await runs.get_many([event.id for event in events])
                for stored in found:
                    if stored is not None and (name is None or name in stored.mappings):
                        info.context.forget_loaded()
                        yield SyncRun.from_run(stored)

    @strawberry.subscription(
        description="Job queue entries as they change (status, hold, next run, message); "
        "of one mapping when given."
    )
    async def job_queue_entry_updated(
        self, info: Info, mapping: str | None = None
    ) -> AsyncGenerator[JobQueueEntry, None]:
        _authenticated(info)
        name = _mapping(mapping)
        entries = info.context.services.job_queue
        hub = info.context.services.events
        async with hub.listen(_of_mapping(JOB_QUEUE_ENTRY, name)) as listener:
            while True:
                events, _ = await listener.next(RESYNC_SECONDS)
                for entry in await entries.all(_names(events)):
                    info.context.forget_loaded()
                    yield JobQueueEntry.from_entry(entry)

    @strawberry.subscription(
        description="Records that failed for the first time (a record failing again counts "
        "an attempt on its error); of one mapping when given."
    )
    async def sync_error_added(
        self, info: Info, mapping: str | None = None
    ) -> AsyncGenerator[SyncError, None]:
        _authenticated(info)
        name = _mapping(mapping)
        errors = SyncErrorRepository(info.context.services.db)
        hub = info.context.services.events
        async with hub.listen(_of_mapping(SYNC_ERROR, name)) as listener:
            while True:
                events, _ = await listener.next(RESYNC_SECONDS)
                for stored in await errors.get_many([event.id for event in events]):
                    if stored is not None:
                        info.context.forget_loaded()
                        yield SyncError.from_error(stored)


def _names(events: list[Event]) -> list[str]:
    return list(dict.fromkeys(event.id for event in events))

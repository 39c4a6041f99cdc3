"""`syncRuns`, `syncRun(id)` and `syncErrors`: what synchronization did and what failed."""

from __future__ import annotations

import strawberry
from strawberry import relay

from gateway.security.inputs import InputRejectedError, require_plain_text
from gateway.store.sync_runs import RunStatus as CoreRunStatus
from gateway.store.sync_runs import SyncRunRepository
from schema.context import Info
from schema.errors import InvalidArgumentError
from schema.pagination import PageRequest, build_connection, page_request
from schema.types.enums import RunStatus
from schema.types.sync import SyncError, SyncErrorConnection, SyncRun, SyncRunConnection


def _mapping(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return require_plain_text(value, "mapping", max_length=64)
    except InputRejectedError as exc:
        raise InvalidArgumentError("mapping", exc.reason) from None


def _after(page: PageRequest) -> str | None:
    if page.after is None:
        return None
    after = page.after.get("id")
    if not isinstance(after, str):
        raise InvalidArgumentError("after", "not a cursor this API returned")
    return after


def own_id(value: str, type_name: str) -> str:
    """The stored id inside a global id of `type_name`, or the value itself (a stored id)."""
    try:
        global_id = relay.GlobalID.from_id(value)
    except Exception:  # not a global id: take it as the stored id
        return value
    return global_id.node_id if global_id.type_name == type_name else ""


@strawberry.type
class SyncQuery:
    @strawberry.field(description="Sync runs, newest first; `mapping` finds every run of it.")
    async def sync_runs(
        self,
        info: Info,
        mapping: str | None = None,
        status: RunStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> SyncRunConnection:
        services = info.context.services
        page = page_request(first, after, maximum=services.settings.graphql_max_page_size)
        try:
            runs, more = await services.runs.page(
                mapping=_mapping(mapping),
                status=CoreRunStatus(status.value) if status is not None else None,
                after=_after(page),
                size=page.size,
            )
        except ValueError:
            raise InvalidArgumentError("after", "not a cursor this API returned") from None
        connection = build_connection(
            SyncRunConnection,
            [SyncRun.from_run(run) for run in runs],
            cursor_of=lambda node: {"id": node.run_id},
            has_next_page=more,
        )
        assert isinstance(connection, SyncRunConnection)
        return connection

    @strawberry.field(description="One sync run by id (its global id or its own).")
    async def sync_run(self, info: Info, id: strawberry.ID) -> SyncRun | None:
        try:
            text = require_plain_text(id, "id", max_length=200)
        except InputRejectedError as exc:
            raise InvalidArgumentError("id", exc.reason) from None
        run = await SyncRunRepository(info.context.services.db).get(own_id(text, "SyncRun"))
        return SyncRun.from_run(run) if run is not None else None

    @strawberry.field(description="Records that failed to synchronize, newest first.")
    async def sync_errors(
        self,
        info: Info,
        mapping: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> SyncErrorConnection:
        services = info.context.services
        page = page_request(first, after, maximum=services.settings.graphql_max_page_size)
        try:
            errors, more = await services.sync_errors.page(
                mapping=_mapping(mapping), after=_after(page), size=page.size
            )
        except ValueError:
            raise InvalidArgumentError("after", "not a cursor this API returned") from None
        connection = build_connection(
            SyncErrorConnection,
            [SyncError.from_error(error) for error in errors],
            cursor_of=lambda node: {"id": node.error_id},
            has_next_page=more,
        )
        assert isinstance(connection, SyncErrorConnection)
        return connection

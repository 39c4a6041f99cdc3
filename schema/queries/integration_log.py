"""`integrationLog(first, after)`: the audit of mutation calls and sync writes, newest first."""

from __future__ import annotations

import strawberry

from gateway.security.inputs import require_plain_text, search_pattern
from gateway.store.integration_log import IntegrationLog
from schema.context import Info
from schema.errors import InvalidArgumentError
from schema.pagination import build_connection, page_request
from schema.permissions import requires
from schema.types.integration_log import (
    LOG_READER_ROLE,
    IntegrationLogEntry,
    IntegrationLogEntryConnection,
)


def _matching(search: str | None) -> dict[str, object] | None:
    if search is None:
        return None
    pattern = search_pattern(search)
    return {
        "operation": pattern,
        "actor": pattern,
        "target.id": require_plain_text(search, "search", max_length=200),
    }


@strawberry.type
class IntegrationLogQuery:
    @strawberry.field(
        permission_classes=requires(LOG_READER_ROLE),
        description="Every mutation call and every write to either system, newest first "
        "(integrator or admin). `search` finds text in the operation or the actor (any part, "
        "ignoring case) or a target record's id (exactly).",
    )
    async def integration_log(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        search: str | None = None,
    ) -> IntegrationLogEntryConnection:
        settings = info.context.services.settings
        page = page_request(first, after, maximum=settings.graphql_max_page_size)
        after_id = page.after.get("id") if page.after is not None else None
        if page.after is not None and not isinstance(after_id, str):
            raise InvalidArgumentError("after", "not a cursor this API returned")
        try:
            entries, more = await IntegrationLog(info.context.services.db).page(
                after_id, page.size, matching=_matching(search)
            )
        except ValueError:
            raise InvalidArgumentError("after", "not a cursor this API returned") from None
        connection = build_connection(
            IntegrationLogEntryConnection,
            [IntegrationLogEntry.from_entry(entry) for entry in entries],
            cursor_of=lambda node: {"id": node.entry_id},
            has_next_page=more,
        )
        assert isinstance(connection, IntegrationLogEntryConnection)
        return connection

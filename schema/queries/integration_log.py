"""`integrationLog(first, after)`: the audit of mutation calls and sync writes, newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from gateway.security.inputs import InputRejectedError, require_plain_text
from gateway.store.integration_log import IntegrationLog, LogFilter
from schema.context import Info
from schema.errors import InvalidArgumentError
from schema.pagination import build_connection, page_request
from schema.permissions import requires
from schema.types.integration_log import (
    LOG_READER_ROLE,
    IntegrationLogEntry,
    IntegrationLogEntryConnection,
)


@strawberry.type
class IntegrationLogQuery:
    @strawberry.field(
        permission_classes=requires(LOG_READER_ROLE),
        description="Every mutation call and every write to either system, newest first "
        "(integrator or admin).",
    )
    async def integration_log(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        *,
        operation: str | None = None,
        mapping: str | None = None,
        record_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="A record's history: the writes to it and the calls that named it."
            ),
        ] = None,
        actor: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> IntegrationLogEntryConnection:
        where = LogFilter(
            operation=_text(operation, "operation"),
            mapping=_text(mapping, "mapping", upper=True),
            record_id=_text(record_id, "recordId"),
            actor=_text(actor, "actor"),
            since=since,
            until=until,
        )
        if since is not None and until is not None and until <= since:
            raise InvalidArgumentError("until", "must be later than since")
        settings = info.context.services.settings
        page = page_request(first, after, maximum=settings.graphql_max_page_size)
        after_id = page.after.get("id") if page.after is not None else None
        if page.after is not None and not isinstance(after_id, str):
            raise InvalidArgumentError("after", "not a cursor this API returned")
        try:
            entries, more = await IntegrationLog(info.context.services.db).page(
                after_id, page.size, where
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


def _text(value: str | None, argument: str, *, upper: bool = False) -> str | None:
    if value is None:
        return None
    try:
        text = require_plain_text(value, argument, max_length=200)
    except InputRejectedError as exc:
        raise InvalidArgumentError(argument, exc.reason) from None
    return text.strip().upper() if upper else text

"""Entries of the integration log: every mutation call and every write to either system."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from gateway.auth.roles import Role
from gateway.store.integration_log import IntegrationLog, LogEntry
from schema.context import Info
from schema.permissions import ensure_role

# Integrators read the log to follow what their calls and the sync changed; the entries
# carry no secrets (they are redacted before they are written).
LOG_READER_ROLE = Role.INTEGRATOR


@strawberry.type(description="The record a log entry is about.")
class IntegrationLogTarget:
    system: str | None
    entity: str | None
    id: str | None


@strawberry.type(description="How the call or write ended.")
class IntegrationLogResult:
    status: str = strawberry.field(
        description="ok, user_errors, error, or started (the call has not answered)."
    )
    codes: list[str] = strawberry.field(
        description="The user error codes, or the error's code (FORBIDDEN, INTERNAL, ...)."
    )
    message: str | None


@strawberry.type(description="One mutation call or one write the gateway made.")
class IntegrationLogEntry(relay.Node):
    entry_id: relay.NodeID[str]
    at: datetime
    kind: str = strawberry.field(description="mutation, write, ...")
    actor: str = strawberry.field(description="The API key's name, or the job that wrote.")
    operation: str
    target: IntegrationLogTarget | None
    result: IntegrationLogResult
    duration_ms: float | None
    details: JSON = strawberry.field(
        description="Arguments and variables of a call (secrets redacted), or what a write changed."
    )

    @classmethod
    def from_entry(cls, entry: LogEntry) -> IntegrationLogEntry:
        assert entry.id is not None
        target = entry.target
        return cls(
            entry_id=entry.id,
            at=entry.at,
            kind=str(entry.kind),
            actor=entry.actor,
            operation=entry.operation,
            target=None
            if target is None
            else IntegrationLogTarget(system=target.system, entity=target.entity, id=target.id),
            result=IntegrationLogResult(
                status=entry.result.status.value,
                codes=list(entry.result.codes),
                message=entry.result.message,
            ),
            duration_ms=entry.duration_ms,
            details=cast(JSON, entry.details),
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        ensure_role(info, LOG_READER_ROLE)
        entries = await IntegrationLog(info.context.services.db).get_many(list(node_ids))
        return [None if entry is None else cls.from_entry(entry) for entry in entries]


@strawberry.type(name="IntegrationLogEntryConnection")
class IntegrationLogEntryConnection(relay.Connection[IntegrationLogEntry]):
    """A page of integration log entries, newest first."""

"""Sync runs and sync errors as the API shows them (Relay nodes)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from gateway.mappings.model import MappingDirection as CoreMappingDirection
from gateway.store import sync_errors, sync_runs
from gateway.store.sync_errors import SyncErrorRepository
from gateway.store.sync_runs import SyncRunRepository
from schema.context import Info
from schema.types.enums import MappingDirection, RunStatus


@strawberry.type(description="Where a full synchronization is: the stage and pages applied.")
class SyncCheckpoint:
    stage: int = strawberry.field(description="Stages completed; the next one runs now.")
    stages: int
    mapping: str | None = strawberry.field(description="The mapping of the current stage.")
    side: str | None = strawberry.field(description="erp or crm: whose records it reads.")
    pages: int = strawberry.field(description="Pages applied so far.")


@strawberry.type(
    description="What a run did to one of its mappings (a full synchronization's review)."
)
class MappingResult:
    mapping: str
    inserted: int
    modified: int
    deleted: int
    unchanged: int
    skipped: int
    failed: int
    coupled: int = strawberry.field(description="Pairs coupled, whether found or created.")
    uncoupled: int

    @classmethod
    def of(cls, mapping: str, counters: sync_runs.Counters) -> MappingResult:
        return cls(mapping=mapping, **counters.to_doc())


@strawberry.type(
    description="One synchronization: a scheduled run, a Synchronize Now, a full "
    "synchronization, a statistics update or a retried error."
)
class SyncRun(relay.Node):
    run_id: relay.NodeID[str]
    mapping: str = strawberry.field(description="The mapping, or the mappings of a full run.")
    mappings: list[str]
    direction: MappingDirection
    trigger: str = strawberry.field(
        description="scheduled, synchronizeNow, fullSynchronization, updateAccountStatistics "
        "or retrySyncError."
    )
    actor: str = strawberry.field(description="The API key's name, or the scheduler.")
    status: RunStatus
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    progress: float
    inserted: int
    modified: int
    deleted: int
    unchanged: int
    skipped: int
    failed: int
    coupled: int
    uncoupled: int
    message: str | None
    checkpoint: SyncCheckpoint | None
    mapping_results: list[MappingResult] = strawberry.field(
        description="Per mapping it covered, in the order they ran: what the run did to each."
    )

    @classmethod
    def from_run(cls, run: sync_runs.SyncRun) -> SyncRun:
        assert run.id is not None
        counters = run.counters
        return cls(
            run_id=run.id,
            mapping=run.mapping,
            mappings=run.mappings,
            direction=CoreMappingDirection(run.direction),
            trigger=run.trigger,
            actor=run.actor,
            status=run.status,
            created_at=run.created_at,
            started_at=run.started_at,
            ended_at=run.ended_at,
            progress=run.progress,
            inserted=counters.inserted,
            modified=counters.modified,
            deleted=counters.deleted,
            unchanged=counters.unchanged,
            skipped=counters.skipped,
            failed=counters.failed,
            coupled=counters.coupled,
            uncoupled=counters.uncoupled,
            message=run.message,
            checkpoint=_checkpoint(run.checkpoint),
            mapping_results=[
                MappingResult.of(name, run.by_mapping[name])
                for name in run.mappings
                if name in run.by_mapping
            ],
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        runs = await SyncRunRepository(info.context.services.db).get_many(list(node_ids))
        return [None if run is None else cls.from_run(run) for run in runs]


def _checkpoint(checkpoint: dict[str, Any]) -> SyncCheckpoint | None:
    stages = checkpoint.get("stages")
    if not stages:
        return None
    stage = int(checkpoint.get("stage") or 0)
    current = stages[stage] if stage < len(stages) else None
    return SyncCheckpoint(
        stage=stage,
        stages=len(stages),
        mapping=current["mapping"] if current else None,
        side=current["side"] if current else None,
        pages=int(checkpoint.get("pages") or 0),
    )


@strawberry.type(name="SyncRunConnection")
class SyncRunConnection(relay.Connection[SyncRun]):
    """A page of sync runs, newest first."""


@strawberry.type(description="A record that failed to synchronize, until it succeeds.")
class SyncError(relay.Node):
    error_id: relay.NodeID[str]
    mapping: str
    erp_id: strawberry.ID | None
    crm_id: strawberry.ID | None
    message: str
    code: str = strawberry.field(
        description="CONFLICT, DEPENDENCY_NOT_COUPLED, NOT_FOUND, REJECTED, DELETED, ..."
    )
    direction: str | None = strawberry.field(
        description="The way the failed attempt went; none when a person must choose."
    )
    details: JSON
    attempts: int
    run_id: strawberry.ID | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_error(cls, error: sync_errors.SyncError) -> SyncError:
        return cls(
            error_id=error.id,
            mapping=error.mapping,
            erp_id=strawberry.ID(error.erp_id) if error.erp_id is not None else None,
            crm_id=strawberry.ID(error.crm_id) if error.crm_id is not None else None,
            message=error.message,
            code=error.code,
            direction=error.direction,
            details=cast(JSON, error.details),
            attempts=error.attempts,
            run_id=strawberry.ID(error.run_id) if error.run_id is not None else None,
            created_at=error.created_at,
            updated_at=error.updated_at,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        errors = await SyncErrorRepository(info.context.services.db).get_many(list(node_ids))
        return [None if error is None else cls.from_error(error) for error in errors]


@strawberry.type(name="SyncErrorConnection")
class SyncErrorConnection(relay.Connection[SyncError]):
    """A page of sync errors, newest first."""

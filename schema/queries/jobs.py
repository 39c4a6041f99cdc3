"""`jobQueueEntries`: every enabled mapping's job, in dependency order."""

from __future__ import annotations

import strawberry

from gateway.scheduling.entries import list_entries
from schema.context import Info
from schema.types.jobs import JobQueueEntry


@strawberry.type
class JobQueueQuery:
    @strawberry.field(
        description="The job queue entry of every enabled table mapping, in dependency order."
    )
    async def job_queue_entries(self, info: Info) -> list[JobQueueEntry]:
        entries = await list_entries(info.context.services)
        return [JobQueueEntry.from_entry(entry) for entry in entries]

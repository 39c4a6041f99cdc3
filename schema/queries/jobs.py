"""`jobQueueEntries`: every enabled mapping's job, in dependency order."""

from __future__ import annotations

import strawberry

from gateway.notifications.state import notification_states
from gateway.scheduling.entries import list_entries
from schema.context import Info
from schema.types.jobs import JobQueueEntry
from schema.types.notifications import NotificationState


@strawberry.type
class JobQueueQuery:
    @strawberry.field(
        description="The job queue entry of every enabled table mapping, in dependency order."
    )
    async def job_queue_entries(self, info: Info) -> list[JobQueueEntry]:
        services = info.context.services
        entries = await list_entries(services)
        states = await notification_states(services, [entry.mapping for entry in entries])
        return [
            JobQueueEntry.from_entry(entry, NotificationState.from_state(states[entry.mapping]))
            for entry in entries
        ]

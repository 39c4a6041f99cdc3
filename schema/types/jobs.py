"""Job queue entries as the API shows them."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gateway.notifications.state import notification_states
from gateway.store import job_queue
from gateway.store.sync_runs import SyncRunRepository
from schema.context import Info
from schema.types.enums import JobStatus
from schema.types.notifications import NotificationState
from schema.types.sync import SyncRun


@strawberry.type(
    description="The job that synchronizes one table mapping every few minutes, like a "
    "Business Central job queue entry: it can be paused, and it goes on hold by itself after "
    "a while without changes until a change is seen on either side."
)
class JobQueueEntry:
    mapping: str
    status: JobStatus
    minutes_between_runs: int
    inactivity_timeout_minutes: int | None = strawberry.field(
        description="Minutes without changes before it goes on hold; none: never."
    )
    on_hold: bool = strawberry.field(description="Paused by an administrator.")
    last_run_at: datetime | None
    next_run_at: datetime | None
    last_change_at: datetime | None = strawberry.field(
        description="When a run last found something to do (or the entry was resumed)."
    )
    message: str | None = strawberry.field(
        description="Why it is on hold or in error, or how its last run went."
    )
    last_run_id: strawberry.ID | None
    # Loaded with the whole list (one query for every entry); alone, the entry loads its own.
    known_notifications: strawberry.Private[NotificationState | None] = None

    @strawberry.field(description="Change notifications of its mapping.")
    async def notifications(self, info: Info) -> NotificationState:
        if self.known_notifications is not None:
            return self.known_notifications
        states = await notification_states(info.context.services, [self.mapping])
        return NotificationState.from_state(states[self.mapping])

    @strawberry.field(description="Its last (or current) run.")
    async def last_run(self, info: Info) -> SyncRun | None:
        if self.last_run_id is None:
            return None
        run = await SyncRunRepository(info.context.services.db).get(str(self.last_run_id))
        return SyncRun.from_run(run) if run is not None else None

    @classmethod
    def from_entry(
        cls, entry: job_queue.JobQueueEntry, notifications: NotificationState | None = None
    ) -> JobQueueEntry:
        return cls(
            mapping=entry.mapping,
            status=entry.status,
            minutes_between_runs=entry.minutes_between_runs,
            inactivity_timeout_minutes=entry.inactivity_timeout_minutes,
            on_hold=entry.on_hold,
            last_run_at=entry.last_run_at,
            next_run_at=entry.next_run_at,
            last_change_at=entry.last_change_at,
            message=entry.message,
            last_run_id=strawberry.ID(entry.last_run_id) if entry.last_run_id else None,
            known_notifications=notifications,
        )

"""`updateJobQueueEntry` (admin): pause or resume a mapping's job, change how often it runs
and how long it waits without changes before going on hold."""

from __future__ import annotations

import strawberry

from gateway.auth.roles import Role
from gateway.refusals import RefusalError
from gateway.scheduling.entries import EntryChange, update_entry
from gateway.security.inputs import InputRejectedError, require_plain_text
from schema.context import Info
from schema.errors import UserError, UserErrorCode, user_error, user_errors
from schema.permissions import requires
from schema.types.jobs import JobQueueEntry


@strawberry.input
class UpdateJobQueueEntryInput:
    mapping: str
    minutes_between_runs: int | None = strawberry.field(default=None, description="1 to 10080.")
    on_hold: bool | None = strawberry.field(
        default=None,
        description="true: pause from the next run on; false: resume, with a run now.",
    )
    inactivity_timeout_minutes: int | None = strawberry.field(
        default=None, description="Minutes without changes before going on hold; 0: never."
    )


@strawberry.type
class UpdateJobQueueEntryPayload:
    job_queue_entry: JobQueueEntry | None
    user_errors: list[UserError]


def _actor(info: Info) -> str:
    caller = info.context.caller
    return caller.name if caller is not None else "(anonymous)"


@strawberry.type
class JobQueueMutation:
    @strawberry.mutation(
        permission_classes=requires(Role.ADMIN),
        description="Change a mapping's job queue entry. Pausing takes effect for the next "
        "run (one under way finishes); resuming runs it now.",
    )
    async def update_job_queue_entry(
        self, info: Info, input: UpdateJobQueueEntryInput
    ) -> UpdateJobQueueEntryPayload:
        try:
            mapping = require_plain_text(input.mapping, "mapping", max_length=64)
            entry = await update_entry(
                info.context.services,
                mapping,
                EntryChange(
                    minutes_between_runs=input.minutes_between_runs,
                    on_hold=input.on_hold,
                    inactivity_timeout_minutes=input.inactivity_timeout_minutes,
                ),
                actor=_actor(info),
            )
        except InputRejectedError as exc:
            error = user_error(UserErrorCode.INVALID_INPUT, str(exc), "input", *exc.field)
            return UpdateJobQueueEntryPayload(job_queue_entry=None, user_errors=[error])
        except RefusalError as exc:
            return UpdateJobQueueEntryPayload(job_queue_entry=None, user_errors=user_errors(exc))
        return UpdateJobQueueEntryPayload(
            job_queue_entry=JobQueueEntry.from_entry(entry), user_errors=[]
        )

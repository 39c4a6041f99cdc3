"""Synchronization mutations (integrator): `synchronizeNow`, `retrySyncError`,
`runFullSynchronization` and `updateAccountStatistics`. Each answers the `SyncRun` it made,
or user errors when it was refused before anything was written."""

from __future__ import annotations

from typing import Literal

import strawberry

from gateway.account_statistics import update_account_statistics
from gateway.auth.roles import Role
from gateway.mappings.model import Direction as CoreDirection
from gateway.refusals import RefusalCode, RefusalError, refuse
from gateway.scheduling.queue import queue_full_synchronization, queue_synchronize_records
from gateway.security.inputs import InputRejectedError, require_plain_text
from gateway.sync.bulk_now import MAX_RECORDS
from gateway.sync.now import synchronize_now
from gateway.sync.retry import retry_sync_error
from gateway.sync.running import cancel_run
from schema.context import Info
from schema.errors import UserError, user_errors
from schema.inputs import side_record_id
from schema.permissions import requires
from schema.queries.sync import own_id
from schema.types.enums import Direction
from schema.types.sync import SyncRun


@strawberry.input
class SynchronizeNowInput:
    mapping: str
    erp_id: strawberry.ID | None = None
    crm_id: strawberry.ID | None = None
    direction: Direction
    erp_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Many coupled records at once (with crmIds, up to 1,000 in all): the run "
        "is answered QUEUED and carried out in the background; follow it with `syncRun(id)`.",
    )
    crm_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="See erpIds.")


@strawberry.input
class RetrySyncErrorInput:
    id: strawberry.ID


@strawberry.input
class RunFullSynchronizationInput:
    mappings: list[str] | None = strawberry.field(
        default=None, description="None: every mapping that can run, in dependency order."
    )


@strawberry.input
class CancelSyncRunInput:
    id: strawberry.ID


@strawberry.input
class UpdateAccountStatisticsInput:
    erp_id: strawberry.ID | None = strawberry.field(
        default=None, description="None: every coupled customer."
    )


@strawberry.type
class SynchronizeNowPayload:
    sync_run: SyncRun | None
    changed_fields: list[str] = strawberry.field(description="The target fields written.")
    user_errors: list[UserError]


@strawberry.type
class SyncRunPayload:
    sync_run: SyncRun | None
    user_errors: list[UserError]


@strawberry.type
class RetrySyncErrorPayload(SyncRunPayload):
    pass


@strawberry.type
class RunFullSynchronizationPayload(SyncRunPayload):
    pass


@strawberry.type
class UpdateAccountStatisticsPayload(SyncRunPayload):
    pass


@strawberry.type
class CancelSyncRunPayload(SyncRunPayload):
    pass


def _actor(info: Info) -> str:
    caller = info.context.caller
    return caller.name if caller is not None else "(anonymous)"


def _text(value: str, *field: str, max_length: int = 64) -> str:
    try:
        require_plain_text(value, field[-1], max_length=max_length)
    except InputRejectedError as exc:
        reason = f"{'.'.join(field)}: {exc.reason}"
        raise refuse(RefusalCode.INVALID_INPUT, reason, *field) from None
    return value


def _record_ids(
    info: Info, side: Literal["crm", "erp"], values: list[strawberry.ID] | None
) -> list[str]:
    field = f"{side}Ids"
    if values is not None and len(values) > MAX_RECORDS:
        raise refuse(
            RefusalCode.INVALID_INPUT, f"{field}: at most {MAX_RECORDS} records at a time", field
        )
    ids = [side_record_id(info, side, value, field) for value in values or []]
    return [record_id for record_id in ids if record_id is not None]


async def _synchronize_many(info: Info, input: SynchronizeNowInput) -> SynchronizeNowPayload:
    try:
        if input.erp_id is not None or input.crm_id is not None:
            raise refuse(
                RefusalCode.INVALID_INPUT,
                "give erpId/crmId for one record or erpIds/crmIds for many, not both",
                "erpIds" if input.erp_ids is not None else "crmIds",
            )
        run = await queue_synchronize_records(
            info.context.services,
            _text(input.mapping, "mapping"),
            erp_ids=_record_ids(info, "erp", input.erp_ids),
            crm_ids=_record_ids(info, "crm", input.crm_ids),
            direction=CoreDirection(input.direction),
            actor=_actor(info),
        )
    except RefusalError as exc:
        return SynchronizeNowPayload(sync_run=None, changed_fields=[], user_errors=user_errors(exc))
    return SynchronizeNowPayload(sync_run=SyncRun.from_run(run), changed_fields=[], user_errors=[])


@strawberry.type
class SyncMutation:
    @strawberry.mutation(
        permission_classes=requires(Role.INTEGRATOR),
        description="Synchronize one coupled record now, in the direction chosen: TO_CRM sends "
        "the ERP's data to the CRM, FROM_CRM gets the CRM's data. Only differing fields are "
        "written; a SKIPPED coupling is taken up again and the record's sync errors go.",
    )
    async def synchronize_now(
        self, info: Info, input: SynchronizeNowInput
    ) -> SynchronizeNowPayload:
        if input.erp_ids is not None or input.crm_ids is not None:
            return await _synchronize_many(info, input)
        try:
            mapping = _text(input.mapping, "mapping")
            erp_id = side_record_id(info, "erp", input.erp_id, "erpId")
            crm_id = side_record_id(info, "crm", input.crm_id, "crmId")
            result = await synchronize_now(
                info.context.services,
                mapping,
                erp_id=erp_id,
                crm_id=crm_id,
                direction=CoreDirection(input.direction),
                actor=_actor(info),
            )
        except RefusalError as exc:
            return SynchronizeNowPayload(
                sync_run=None, changed_fields=[], user_errors=user_errors(exc)
            )
        changed = list(result.changes)
        return SynchronizeNowPayload(
            sync_run=SyncRun.from_run(result.run),
            changed_fields=changed if result.refusal is None else [],
            user_errors=user_errors(result.refusal) if result.refusal is not None else [],
        )

    @strawberry.mutation(
        permission_classes=requires(Role.INTEGRATOR),
        description="Synchronize the record of a sync error again; the error goes when it "
        "succeeds, else it counts one attempt more.",
    )
    async def retry_sync_error(
        self, info: Info, input: RetrySyncErrorInput
    ) -> RetrySyncErrorPayload:
        try:
            error_id = own_id(_text(input.id, "id", max_length=200), "SyncError")
            result = await retry_sync_error(info.context.services, error_id, actor=_actor(info))
        except RefusalError as exc:
            return RetrySyncErrorPayload(sync_run=None, user_errors=user_errors(exc))
        return RetrySyncErrorPayload(
            sync_run=SyncRun.from_run(result.run),
            user_errors=user_errors(result.refusal) if result.refusal is not None else [],
        )

    @strawberry.mutation(
        permission_classes=requires(Role.INTEGRATOR),
        description="Synchronize every record of the mappings named (none: every mapping that "
        "can run), in dependency order, creating counterparts for uncoupled records. Answers "
        "at once with the QUEUED run; follow its progress with `syncRun(id)`.",
    )
    async def run_full_synchronization(
        self, info: Info, input: RunFullSynchronizationInput
    ) -> RunFullSynchronizationPayload:
        services = info.context.services
        try:
            names = (
                None
                if input.mappings is None
                else [_text(name, "mappings", str(i)) for i, name in enumerate(input.mappings)]
            )
            run = await queue_full_synchronization(services, names, actor=_actor(info))
        except RefusalError as exc:
            return RunFullSynchronizationPayload(sync_run=None, user_errors=user_errors(exc))
        return RunFullSynchronizationPayload(sync_run=SyncRun.from_run(run), user_errors=[])

    @strawberry.mutation(
        permission_classes=requires(Role.INTEGRATOR),
        description="Write the ERP's figures (balance, total sales, overdue amount) of one "
        "coupled customer, or of every coupled customer, to the CRM accounts; only figures "
        "that changed are written.",
    )
    async def update_account_statistics(
        self, info: Info, input: UpdateAccountStatisticsInput
    ) -> UpdateAccountStatisticsPayload:
        try:
            erp_id = side_record_id(info, "erp", input.erp_id, "erpId")
            run = await update_account_statistics(info.context.services, erp_id, actor=_actor(info))
        except RefusalError as exc:
            return UpdateAccountStatisticsPayload(sync_run=None, user_errors=user_errors(exc))
        return UpdateAccountStatisticsPayload(sync_run=SyncRun.from_run(run), user_errors=[])

    @strawberry.mutation(
        permission_classes=requires(Role.INTEGRATOR),
        description="Stop a queued or running synchronization: it ends CANCELLED after the "
        "batch it is writing; what it wrote stays, and a new run takes up the rest.",
    )
    async def cancel_sync_run(self, info: Info, input: CancelSyncRunInput) -> CancelSyncRunPayload:
        try:
            run_id = own_id(_text(input.id, "id", max_length=200), "SyncRun")
            run = await cancel_run(info.context.services, run_id, actor=_actor(info))
        except RefusalError as exc:
            return CancelSyncRunPayload(sync_run=None, user_errors=user_errors(exc))
        return CancelSyncRunPayload(sync_run=SyncRun.from_run(run), user_errors=[])

"""`workflowInstance(id)` and `workflowInstances`: what the lifecycle operations did."""

from __future__ import annotations

import strawberry

from gateway.security.inputs import InputRejectedError, require_plain_text
from gateway.workflows.instances import WorkflowStatus as CoreWorkflowStatus
from gateway.workflows.instances import WorkflowStore
from schema.context import Info
from schema.errors import InvalidArgumentError
from schema.pagination import build_connection, page_request
from schema.queries.sync import own_id
from schema.types.enums import WorkflowStatus
from schema.types.lifecycles import WorkflowInstance, WorkflowInstanceConnection


def _text(value: str, name: str, max_length: int) -> str:
    try:
        return require_plain_text(value, name, max_length=max_length)
    except InputRejectedError as exc:
        raise InvalidArgumentError(name, exc.reason) from None


@strawberry.type
class LifecycleQuery:
    @strawberry.field(description="One workflow instance by id (its global id or its own).")
    async def workflow_instance(self, info: Info, id: strawberry.ID) -> WorkflowInstance | None:
        text = own_id(_text(id, "id", 200), "WorkflowInstance")
        found = await WorkflowStore(info.context.services.db).get(text)
        return WorkflowInstance.from_instance(found) if found is not None else None

    @strawberry.field(
        description="Workflow instances, newest first; filter by operation or status."
    )
    async def workflow_instances(
        self,
        info: Info,
        operation: str | None = None,
        status: WorkflowStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> WorkflowInstanceConnection:
        services = info.context.services
        page = page_request(first, after, maximum=services.settings.graphql_max_page_size)
        cursor = page.after.get("id") if page.after is not None else None
        if page.after is not None and not isinstance(cursor, str):
            raise InvalidArgumentError("after", "not a cursor this API returned")
        try:
            found, more = await WorkflowStore(services.db).page(
                after=cursor,
                size=page.size,
                operation=_text(operation, "operation", 64) if operation is not None else None,
                status=CoreWorkflowStatus(status.value) if status is not None else None,
            )
        except ValueError:
            raise InvalidArgumentError("after", "not a cursor this API returned") from None
        connection = build_connection(
            WorkflowInstanceConnection,
            [WorkflowInstance.from_instance(item) for item in found],
            cursor_of=lambda node: {"id": node.instance_id},
            has_next_page=more,
        )
        assert isinstance(connection, WorkflowInstanceConnection)
        return connection

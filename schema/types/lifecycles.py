"""Lifecycle documents and the workflow instances that moved them, as the API shows them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, cast

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from gateway.workflows import instances
from gateway.workflows.instances import WorkflowStore
from schema.context import Info
from schema.types.enums import WorkflowStatus


@strawberry.type(description="A document of a cross-system lifecycle, on one side.")
class LifecycleDocument:
    system: str = strawberry.field(description="dataverse, business_central, ...")
    entity: str = strawberry.field(description="quote, sales_order, invoice, project")
    id: strawberry.ID
    number: str | None = strawberry.field(description="Its number (quote, order, invoice no.).")
    state: str = strawberry.field(
        description="Its state in the words of its system: Draft, Submitted, Approved in ERP, "
        "Active, Won, Accepted, Billed, Paid (Partial), ..."
    )

    @classmethod
    def of(cls, summary: Mapping[str, Any] | None) -> LifecycleDocument | None:
        if not summary or not summary.get("id"):
            return None
        return cls(
            system=str(summary.get("system") or ""),
            entity=str(summary.get("entity") or ""),
            id=strawberry.ID(str(summary["id"])),
            number=summary.get("number"),
            state=str(summary.get("state") or ""),
        )


@strawberry.type(description="One step of a workflow instance and what it did.")
class WorkflowStep:
    name: str
    status: str = strawberry.field(description="RUNNING, DONE or FAILED.")
    attempts: int = strawberry.field(description="How often it was started (resumptions).")
    started_at: datetime | None
    ended_at: datetime | None
    error: str | None
    result: JSON | None = strawberry.field(description="What it recorded (ids, states).")


@strawberry.type(
    description="The recorded run of one lifecycle operation: its steps and their results, "
    "the ids of what it created. A repeated call with the same input answers the same instance."
)
class WorkflowInstance(relay.Node):
    instance_id: relay.NodeID[str]
    key: str = strawberry.field(description="The operation and its input, and the generation.")
    operation: str
    generation: int = strawberry.field(
        description="1, or more when the same document went through the transition again."
    )
    actor: str
    status: WorkflowStatus
    steps: list[WorkflowStep]
    created: JSON = strawberry.field(description="Ids of the records the steps created.")
    message: str | None
    code: str | None = strawberry.field(description="Why it failed or waits, if it does.")
    created_at: datetime | None
    updated_at: datetime | None
    ended_at: datetime | None

    @classmethod
    def from_instance(cls, instance: instances.WorkflowInstance) -> WorkflowInstance:
        assert instance.id is not None
        return cls(
            instance_id=instance.id,
            key=instance.key,
            operation=instance.operation,
            generation=instance.generation,
            actor=instance.actor,
            status=instance.status,
            steps=[
                WorkflowStep(
                    name=step.name,
                    status=step.status.value,
                    attempts=step.attempts,
                    started_at=step.started_at,
                    ended_at=step.ended_at,
                    error=step.error,
                    result=cast(JSON, step.result),
                )
                for step in instance.steps
            ],
            created=cast(JSON, dict(instance.created)),
            message=instance.message,
            code=instance.code,
            created_at=instance.created_at,
            updated_at=instance.updated_at,
            ended_at=instance.ended_at,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        store = WorkflowStore(info.context.services.db)
        found = [await store.get(node_id) for node_id in node_ids]
        return [None if item is None else cls.from_instance(item) for item in found]


@strawberry.type(name="WorkflowInstanceConnection")
class WorkflowInstanceConnection(relay.Connection[WorkflowInstance]):
    """A page of workflow instances, newest first."""

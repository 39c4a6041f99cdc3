"""A project's plan in the project-management system: its tasks as a tree."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gateway.documents.plans import PlannedTask


@strawberry.type(
    description="A task of a project's plan in the project-management system, with the ERP "
    "activity it is coupled to and the cost and hours the ERP posted on it."
)
class ProjectTask:
    id: strawberry.ID = strawberry.field(description="Its id in the project-management system.")
    erp_id: strawberry.ID | None = strawberry.field(
        description="The ERP activity it is coupled to (null before it is synchronized)."
    )
    project_server_id: strawberry.ID | None = strawberry.field(
        description="Its id in Project Server."
    )
    name: str
    parent_id: strawberry.ID | None = strawberry.field(
        description="Its parent task's id (null at the top of the outline)."
    )
    outline_level: int = strawberry.field(description="Its depth in the outline, 1 at the top.")
    start: datetime | None
    finish: datetime | None
    percent_complete: float | None
    actual_cost: float | None = strawberry.field(
        description="The cost the ERP posted on it and the tasks below it."
    )
    actual_work: float | None = strawberry.field(
        description="The resource hours the ERP posted on it and the tasks below it."
    )

    @classmethod
    def of(cls, task: PlannedTask) -> ProjectTask:
        return cls(
            id=strawberry.ID(task.project_server_id),
            erp_id=None if task.erp_id is None else strawberry.ID(task.erp_id),
            project_server_id=strawberry.ID(task.project_server_id),
            name=task.name,
            parent_id=None if task.parent_id is None else strawberry.ID(task.parent_id),
            outline_level=task.outline_level,
            start=task.start,
            finish=task.finish,
            percent_complete=task.percent_complete,
            actual_cost=task.actual_cost,
            actual_work=task.actual_work,
        )

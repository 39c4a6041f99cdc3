"""ERP projects' plans as the project-management system holds them: which project there each
one is coupled to, and its tasks as a tree (parent, outline level, dates, progress, and the
ERP's posted totals), each task with the ERP activity it is coupled to.

The mappings are found by what they couple (the ERP's projects, its activities) with the
project-management system; the task fields by what its connector declares (`PlanFields`).
A page of projects costs three reads: the projects' couplings, their tasks (one filtered read
for all of them) and the tasks' couplings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from adapters.base import Entity, Record
from adapters.documents import PlanFields, PlanSource
from gateway.documents.views import amount, moment, text
from gateway.mappings.model import OtherSystem, TableMapping
from gateway.services import Services


@dataclass(frozen=True, slots=True)
class PlannedTask:
    project_server_id: str
    erp_id: str | None
    name: str
    parent_id: str | None
    outline_level: int
    start: datetime | None
    finish: datetime | None
    percent_complete: float | None
    actual_cost: float | None
    actual_work: float | None


@dataclass(frozen=True, slots=True)
class ProjectPlan:
    project_server_id: str | None = None
    tasks: list[PlannedTask] = field(default_factory=list)


def plan_fields(services: Services) -> PlanFields | None:
    connector = services.projects
    return connector.plan() if isinstance(connector, PlanSource) else None


def plan_mapping(mappings: Sequence[TableMapping], erp_entity: str) -> TableMapping | None:
    """The mapping that couples the ERP's `erp_entity` records to the project-management
    system's (not one that borrows another's couplings)."""
    return next(
        (
            m
            for m in mappings
            if m.other_system is OtherSystem.PROJECT_MANAGEMENT
            and m.erp_entity == erp_entity
            and m.coupled_through is None
        ),
        None,
    )


async def project_plans(services: Services, erp_ids: Sequence[str]) -> dict[str, ProjectPlan]:
    """The plan of each ERP project (an empty one for a project with none)."""
    plans = {erp_id: ProjectPlan() for erp_id in erp_ids}
    fields = plan_fields(services)
    mappings = await services.mappings.all()
    projects = plan_mapping(mappings, Entity.PROJECT)
    if fields is None or projects is None or services.projects is None or not erp_ids:
        return plans
    couplings = await services.couplings.by_ids(projects.name, "erp", list(erp_ids))
    planned = {erp_id: c.crm.id for erp_id, c in couplings.items()}
    if not planned:
        return plans
    found = await services.projects.get_where(fields.task, fields.project, list(planned.values()))
    tasks_mapping = plan_mapping(mappings, Entity.ACTIVITY)
    activities: dict[str, str] = {}
    if tasks_mapping is not None and found:
        coupled = await services.couplings.by_ids(
            tasks_mapping.name, "crm", [task.id for task in found]
        )
        activities = {task_id: c.erp.id for task_id, c in coupled.items()}
    by_project: dict[str, list[Record]] = {}
    for task in found:
        owner = str(task.values.get(fields.project) or "").lower()
        by_project.setdefault(owner, []).append(task)
    for erp_id, ps_id in planned.items():
        records = sorted(
            by_project.get(ps_id.lower(), []), key=lambda r: _order(r.values.get(fields.order))
        )
        plans[erp_id] = ProjectPlan(
            ps_id, [_task(fields, record, activities.get(record.id)) for record in records]
        )
    return plans


def _order(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("inf")


def _task(fields: PlanFields, record: Record, erp_id: str | None) -> PlannedTask:
    values = record.values
    level = amount(values, fields.outline_level)
    return PlannedTask(
        project_server_id=record.id,
        erp_id=erp_id,
        name=text(values, fields.name) or "",
        parent_id=text(values, fields.parent),
        outline_level=int(level) if level is not None else 1,
        start=moment(values.get(fields.start)) if fields.start else None,
        finish=moment(values.get(fields.finish)) if fields.finish else None,
        percent_complete=amount(values, fields.percent_complete),
        actual_cost=amount(values, fields.actual_cost),
        actual_work=amount(values, fields.actual_work),
    )

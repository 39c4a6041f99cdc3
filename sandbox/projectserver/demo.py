"""Reference and demo data of the Project Server emulator.

Reference data (written on every reset): the enterprise custom fields an ERP integration
uses — on projects `ERP Company`, `ERP Project Number`, `ERP Project Actual Cost` and
`ERP Project Actual Work`; on tasks `ERP Activity Number`, `ERP Actual Cost` and
`ERP Actual Work` (hours). Demo data: enterprise resources and published projects whose
tasks form three-level trees (phase → work package → task), with assignments.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass
from typing import Any

from sandbox.projectserver import drafts, enterprise, reporting
from sandbox.projectserver.queue import publish
from sandbox.projectserver.state import ProjectServerState, User
from sandbox.projectserver.types import ENTITY_TYPES

Doc = dict[str, Any]
DEMO_USER = User.person("planner@sandbox.example", "Sandbox Planner")
# name -> (entity type, PS.CustomFieldType, fixed id)
CUSTOM_FIELDS = {
    "ERP Company": ("Project", 21, "e7c0f1a0-0000-4000-8000-0000000000f1"),
    "ERP Project Number": ("Project", 21, "e7c0f1a0-0000-4000-8000-0000000000f2"),
    "ERP Project Actual Cost": ("Project", 9, "e7c0f1a0-0000-4000-8000-0000000000f3"),
    "ERP Project Actual Work": ("Project", 15, "e7c0f1a0-0000-4000-8000-0000000000f4"),
    "ERP Activity Number": ("Task", 21, "e7c0f1a0-0000-4000-8000-0000000000f5"),
    "ERP Actual Cost": ("Task", 9, "e7c0f1a0-0000-4000-8000-0000000000f6"),
    "ERP Actual Work": ("Task", 15, "e7c0f1a0-0000-4000-8000-0000000000f7"),
}
_PHASES = ("Initiation", "Design", "Build", "Test", "Deployment")
_PACKAGES = ("Requirements", "Workshops", "Configuration", "Integration", "Training", "Review")
_TASKS = ("Prepare", "Execute", "Document", "Sign off")
_PEOPLE = (
    "Alicia Rivera",
    "Ben Okafor",
    "Chen Wei",
    "Dana Kowalski",
    "Emil Larsen",
    "Fatima Haddad",
    "Gustavo Lima",
    "Hanna Nowak",
)


@dataclass(frozen=True)
class DemoPlan:
    projects: int = 3
    tasks: int = 24  # per project, split over phases, work packages and tasks
    resources: int = 6
    seed: int = 42


async def install_reference(state: ProjectServerState) -> None:
    for name, (entity, field_type, field_id) in CUSTOM_FIELDS.items():
        if await state["custom_fields"].find_one({"_id": field_id}) is None:
            await enterprise.add_custom_field(
                state,
                {
                    "parameters": {
                        "Id": field_id,
                        "Name": name,
                        "FieldType": field_type,
                        "EntityTypeId": ENTITY_TYPES[entity],
                    }
                },
            )


def internal(name: str) -> str:
    return "Custom_" + CUSTOM_FIELDS[name][2].replace("-", "")


async def seed(state: ProjectServerState, plan: DemoPlan) -> dict[str, int]:
    rng = random.Random(plan.seed)  # noqa: S311 - demo data

    def new_id() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    resources: list[Doc] = []
    for number in range(plan.resources):
        name = _PEOPLE[number % len(_PEOPLE)]
        if number >= len(_PEOPLE):
            name += f" {number // len(_PEOPLE) + 1}"
        found = await state["resources"].find_one({"Name": name})
        if found is None:
            found = await enterprise.add_resource(
                state,
                {
                    "parameters": {
                        "Id": new_id(),
                        "Name": name,
                        "Code": f"R{number + 1:04d}",
                        "Email": name.lower().replace(" ", ".") + "@sandbox.example",
                    }
                },
            )
            await reporting.refresh_resource(state, found)
        resources.append(found)
    tasks_written = 0
    start = dt.datetime(2026, 1, 5, 8, 0)
    for number in range(plan.projects):
        project_id = new_id()
        await drafts.create_project(
            state,
            {
                "parameters": {
                    "Id": project_id,
                    "Name": f"PS-{number + 1:03d} Rollout {number + 1}",
                    "Description": "Demo project planned in Project Server",
                    "Start": start.isoformat(),
                }
            },
        )
        await state.check_out(project_id, DEMO_USER)
        tasks_written += await _tree(
            state, project_id, plan.tasks, start, new_id=new_id, resources=resources, rng=rng
        )
        await publish(state, project_id, check_in=True)
        start += dt.timedelta(days=14)
    return {"projects": plan.projects, "tasks": tasks_written, "resources": len(resources)}


async def _tree(
    state: ProjectServerState,
    project_id: str,
    size: int,
    start: dt.datetime,
    *,
    new_id: Any,
    resources: list[Doc],
    rng: random.Random,
) -> int:
    """Phases, each with work packages, each with tasks: `size` tasks in all (at least 3)."""
    day = start
    phases = [
        await _add(state, project_id, {"Id": new_id(), "Name": _PHASES[number % len(_PHASES)]})
        for number in range(max(1, min(size // 8, size - 2)))
    ]
    written, packages = len(phases), 0
    while written < size:
        package = await _add(
            state,
            project_id,
            {
                "Id": new_id(),
                "Name": _PACKAGES[packages % len(_PACKAGES)],
                "ParentId": phases[packages % len(phases)]["Id"],
            },
        )
        written, packages = written + 1, packages + 1
        for name in _TASKS[: min(3, size - written)]:
            task = await _add(
                state,
                project_id,
                {
                    "Id": new_id(),
                    "Name": f"{name} {package['Name'].lower()}",
                    "ParentId": package["Id"],
                    "Start": day.isoformat(),
                    "Duration": "2d",
                },
            )
            written += 1
            day += dt.timedelta(days=2)
            if resources:
                resource = rng.choice(resources)
                await drafts.add_assignment(
                    state,
                    project_id,
                    DEMO_USER,
                    {
                        "parameters": {
                            "Id": new_id(),
                            "TaskId": task["Id"],
                            "ResourceId": resource["Id"],
                            "Work": "16h",
                        }
                    },
                )
    return written


async def _add(state: ProjectServerState, project_id: str, params: Doc) -> Doc:
    return await drafts.add_task(state, project_id, DEMO_USER, {"parameters": params})

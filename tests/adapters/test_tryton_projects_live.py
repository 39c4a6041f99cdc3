"""Tryton's project accounting through the connector against a live trytond: activity trees
of `project.work`, employees as workers, and timesheet lines valued at the employee's cost
price, posted from Tryton's own side."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from adapters.base import Entity
from adapters.errors import ValidationError
from adapters.filters import eq
from tests.adapters.tryton_server import LiveTryton
from tests.adapters.tryton_template import EMPLOYEE_NAME

pytestmark = pytest.mark.tryton


async def _tree(tryton: LiveTryton) -> tuple[str, dict[str, str]]:
    connector = tryton.connector
    project = await connector.create(Entity.PROJECT, {"name": f"Rollout {uuid.uuid4().hex[:8]}"})
    phase = await connector.create(Entity.ACTIVITY, {"name": "Design", "project": project.id})
    package = await connector.create(Entity.ACTIVITY, {"name": "Workshops", "parent": phase.id})
    task = await connector.create(
        Entity.ACTIVITY, {"name": "Prepare", "parent": package.id, "effort_hours": 6.0}
    )
    return project.id, {"phase": phase.id, "package": package.id, "task": task.id}


async def test_activities_form_a_tree_under_their_project(tryton: LiveTryton) -> None:
    project_id, ids = await _tree(tryton)
    found = await tryton.connector.get_many(Entity.ACTIVITY, list(ids.values()))
    assert {found[i].values["project"] for i in ids.values()} == {project_id}
    assert found[ids["phase"]].values["parent"] == project_id
    assert found[ids["package"]].values["parent"] == ids["phase"]
    assert found[ids["task"]].values["parent"] == ids["package"]
    assert found[ids["task"]].values["effort_hours"] == 6.0
    # Re-parented in Tryton, the task reads under the phase.
    moved = await tryton.connector.update(Entity.ACTIVITY, ids["task"], {"parent": ids["phase"]})
    assert moved.values["parent"] == ids["phase"]
    projects = await tryton.connector.get_many(Entity.ACTIVITY, [project_id])
    assert projects == {}  # the project itself is not one of its activities


async def test_timesheet_hours_are_valued_at_the_employee_cost_price(tryton: LiveTryton) -> None:
    connector = tryton.connector
    [worker] = (await connector.query(Entity.WORKER, eq("name", EMPLOYEE_NAME))).records
    assert worker.values["cost_price"] == 60.0
    project_id, ids = await _tree(tryton)
    before = [b async for b in connector.changes(Entity.PROJECT_ACTUAL, None)]
    token = before[-1].token
    # Tryton's side: the task is opened for timesheets and hours are entered on it.
    rpc = connector.rpc
    task_id = int(ids["task"])
    await rpc.model("project.work", "write", [task_id], {"timesheet_available": True})
    [work] = await rpc.model(
        "timesheet.work", "search", [["origin", "=", f"project.work,{task_id}"]], 0, None, None
    )
    [company] = await rpc.model("project.work", "read", [task_id], ["company"])
    await rpc.model(
        "timesheet.line",
        "create",
        [
            {
                "work": work,
                "employee": int(worker.id),
                "company": company["company"],
                "date": dt.date.today(),
                "duration": dt.timedelta(hours=7.5),
                "description": "Workshop preparation",
            }
        ],
    )
    changed = [
        r
        for b in [x async for x in connector.changes(Entity.PROJECT_ACTUAL, token)]
        for r in b.upserts
    ]
    [line] = changed
    assert line.values["activity"] == ids["task"]
    assert line.values["employee"] == worker.id
    assert (line.values["hours"], line.values["cost_price"], line.values["total_cost"]) == (
        7.5,
        60.0,
        450.0,
    )
    task = (await connector.get_many(Entity.ACTIVITY, [ids["task"]]))[ids["task"]]
    assert (task.values["timesheet_hours"], task.values["cost"]) == (7.5, 450.0)
    project_cost = await rpc.model("project.work", "read", [int(project_id)], ["cost"])
    assert float(project_cost[0]["cost"]) == 450.0
    with pytest.raises(ValidationError):
        await connector.create(Entity.PROJECT_ACTUAL, {"hours": 1.0})

"""Business Central's projects kept in step with Project Server by the default mappings, live
against the sandbox: an activity tree three levels deep arrives whole in one run, tasks made
or moved in Project Server come back as project tasks, and a run with nothing changed writes
nothing to either system."""

from __future__ import annotations

from typing import Any

import httpx

from adapters.base import Entity, Record
from adapters.filters import eq
from gateway.app import create_app
from gateway.asgi_server import running_server
from gateway.services import Services
from gateway.settings import Settings
from gateway.store.couplings import CouplingState
from gateway.store.sync_runs import RunStatus, SyncRun
from gateway.sync.full import run_full_synchronization, start_full_synchronization
from gateway.sync.incremental import run_incremental
from tests.api.support import data
from tests.connected import API_KEY
from tests.sandbox.projectserver import projectserver_client
from tests.support import poll_readiness
from tests.support_sandbox import SandboxHandle

TREE = ["PROJECT-PSPROJECT", "ACTIVITY-TASK"]
# (number, description, type, parent number): a phase, its work packages, their steps.
ACTIVITIES = [
    ("1000", "Design", "Begin-Total", None),
    ("1100", "Workshops", "Begin-Total", None),
    ("1110", "Prepare", "Posting", None),
    ("1120", "Hold", "Posting", None),
    ("1199", "Total workshops", "End-Total", None),
    ("1200", "Blueprint", "Heading", "1000"),
    ("1210", "Draft", "Posting", "1200"),
    ("1999", "Total design", "End-Total", None),
    ("2000", "Go-live", "Posting", None),
]
# Task name -> parent task name, as the plan must show it (End-Totals have no task).
SHAPE = {
    "Design": None,
    "Workshops": "Design",
    "Prepare": "Workshops",
    "Hold": "Workshops",
    "Blueprint": "Design",
    "Draft": "Blueprint",
    "Go-live": None,
}


async def full(services: Services, names: list[str]) -> SyncRun:
    run = await start_full_synchronization(services, names, actor="test")
    assert run.id is not None
    done = await run_full_synchronization(services, run.id)
    assert done.status is RunStatus.SUCCEEDED, done.message
    errors, _ = await services.sync_errors.page(size=50)
    assert [(e.mapping, e.message) for e in errors] == []
    return done


def writes(stats: dict[str, Any], api: str) -> int:
    """Requests that change something (Project Server's check-outs and publishes are POSTs)."""
    sets = stats["apis"].get(api, {}).get("entity_sets", {})
    changing = ("POST", "PATCH", "DELETE")
    return sum(n for methods in sets.values() for m, n in methods.items() if m in changing)


async def erp_project(services: Services, name: str) -> tuple[Record, dict[str, Record]]:
    """A Business Central project with `ACTIVITIES`, made through its API."""
    assert services.erp is not None
    erp = services.erp
    project = await erp.create(Entity.PROJECT, {"displayName": name})
    for number, description, kind, parent in ACTIVITIES:
        values: dict[str, Any] = {
            "projectId": project.id,
            "taskNumber": number,
            "description": description,
            "taskType": kind,
        }
        if parent:
            values["parentTaskNumber"] = parent
        await erp.create(Entity.ACTIVITY, values)
    return project, await erp_tasks(services, project.id)


async def erp_tasks(services: Services, project_id: str) -> dict[str, Record]:
    assert services.erp is not None
    found = await services.erp.query(Entity.ACTIVITY, eq("projectId", project_id))
    return {str(r.values["description"]): r for r in found.records}


async def ps_project_id(services: Services, erp_project_id: str) -> str:
    [coupling] = (
        await services.couplings.by_ids("PROJECT-PSPROJECT", "erp", [erp_project_id])
    ).values()
    return coupling.crm.id


async def plan(sandbox: SandboxHandle, project_id: str) -> dict[str, str | None]:
    """The published tasks of a Project Server project: name -> parent's name, read from its
    REST API."""
    async with projectserver_client(sandbox) as ps:
        tasks = await ps.tasks(project_id)
    names = {t["Id"]: t["Name"] for t in tasks}
    return {t["Name"]: names.get((t.get("Parent") or {}).get("Id")) for t in tasks}


def erp_shape(tasks: dict[str, Record]) -> dict[str, str | None]:
    by_id = {r.id: name for name, r in tasks.items()}
    return {
        name: by_id.get(str(r.values.get("parentId")))
        for name, r in tasks.items()
        if r.values["taskType"] != "End-Total"
    }


async def test_a_three_level_tree_arrives_in_one_run_and_a_second_run_writes_nothing(
    sandbox: SandboxHandle, planned: Services
) -> None:
    project, _ = await erp_project(planned, "Warehouse rollout")

    first = await full(planned, TREE)

    assert first.by_mapping["ACTIVITY-TASK"].inserted == len(SHAPE)
    assert await plan(sandbox, await ps_project_id(planned, project.id)) == SHAPE

    await sandbox.reset_stats()
    second = await full(planned, TREE)

    assert (second.counters.inserted, second.counters.modified) == (0, 0)
    stats = await sandbox.stats()
    print("STATS", stats["apis"].get("bc"))
    assert (writes(stats, "bc"), writes(stats, "projectserver")) == (0, 0)


async def test_tasks_added_renamed_and_moved_in_project_server_reach_the_erp(
    sandbox: SandboxHandle, planned: Services
) -> None:
    project, _ = await erp_project(planned, "Plant upgrade")
    await full(planned, TREE)
    ps_id = await ps_project_id(planned, project.id)
    async with projectserver_client(sandbox) as ps:
        ids = {t["Name"]: t["Id"] for t in await ps.tasks(ps_id)}
        await ps.check_out(ps_id)
        # A new summary task with a subtask, a rename, and a move to another parent.
        review = await ps.add_task(ps_id, Name="Review", ParentId=ids["Design"])
        await ps.add_task(ps_id, Name="Sign-off", ParentId=review["Id"])
        base = f"ProjectServer/Projects('{ps_id}')/Draft/Tasks"
        await ps.ok("PATCH", f"{base}('{ids['Hold']}')", {"Name": "Hold workshops"})
        await ps.ok("PATCH", f"{base}('{ids['Go-live']}')", {"ParentId": ids["Blueprint"]})
        # Progress and dates planned in Project Server.
        prepare = {"PercentComplete": 40, "Start": "2027-03-01T08:00:00"}
        await ps.ok(
            "PATCH", f"{base}('{ids['Prepare']}')", prepare | {"Finish": "2027-03-05T17:00:00"}
        )
        await ps.publish(ps_id)

    await full(planned, TREE)

    expected = {k: v for k, v in SHAPE.items() if k != "Hold"}
    expected |= {"Hold workshops": "Workshops", "Go-live": "Blueprint"}
    expected |= {"Review": "Design", "Sign-off": "Review"}
    tasks = await erp_tasks(planned, project.id)
    assert erp_shape(tasks) == expected
    assert await plan(sandbox, ps_id) == expected
    dates = ("percentComplete", "startDate", "endDate")
    assert [tasks["Prepare"].values[k] for k in dates] == [40, "2027-03-01", "2027-03-05"]

    await sandbox.reset_stats()
    await full(planned, TREE)
    stats = await sandbox.stats()
    assert (writes(stats, "bc"), writes(stats, "projectserver")) == (0, 0)


ACTUALS = [*TREE, "PROJECT-ACTUALS"]


async def incremental(services: Services, names: list[str]) -> None:
    for name in names:
        run = await run_incremental(services, name, actor="test")
        assert run.status is RunStatus.SUCCEEDED, run.message
    errors, _ = await services.sync_errors.page(size=50)
    assert [(e.mapping, e.message) for e in errors] == []


async def planned_totals(services: Services, ps_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ERP totals Project Server holds: (project's, each task's by name)."""
    assert services.projects is not None
    project = await services.projects.get("project", ps_id)
    tasks = await services.projects.query("task", eq("ProjectId", ps_id))
    return (
        {k: project.values.get(k) for k in ("ERP Project Actual Cost", "ERP Project Actual Work")},
        {
            str(t.values["Name"]): (
                t.values.get("ERP Actual Cost"),
                t.values.get("ERP Actual Work"),
            )
            for t in tasks.records
        },
    )


async def test_a_posting_raises_the_task_and_project_actual_cost_once(
    sandbox: SandboxHandle, planned: Services
) -> None:
    assert planned.erp is not None
    project, _ = await erp_project(planned, "Cold store")
    worker = await planned.erp.create(
        Entity.WORKER, {"displayName": "Ada Fitter", "type": "Person", "unitCost": 50.0}
    )
    await full(planned, ACTUALS)
    ps_id = await ps_project_id(planned, project.id)

    # Hours and an expense posted from Business Central's own side.
    number = project.values["number"]
    await sandbox.post_project_journal(
        projectNumber=number,
        lines=[
            {
                "taskNumber": "1110",
                "type": "Resource",
                "number": worker.values["number"],
                "quantity": 4,
            },
            {
                "taskNumber": "1210",
                "type": "G/L Account",
                "number": "6610",
                "quantity": 1,
                "unitCost": 120.0,
            },
        ],
    )
    await incremental(planned, ACTUALS)

    header, tasks = await planned_totals(planned, ps_id)
    assert header == {"ERP Project Actual Cost": 320.0, "ERP Project Actual Work": 4.0}
    assert tasks["Prepare"] == (200.0, 4.0)
    assert tasks["Workshops"] == (200.0, 4.0)
    assert tasks["Draft"] == (120.0, 0.0)
    assert tasks["Design"] == (320.0, 4.0)

    # Replayed runs, incremental and full, write nothing and add nothing.
    await sandbox.reset_stats()
    await incremental(planned, ACTUALS)
    await full(planned, ACTUALS)
    stats = await sandbox.stats()
    print("STATS", stats["apis"].get("bc"))
    assert (writes(stats, "bc"), writes(stats, "projectserver")) == (0, 0)
    assert await planned_totals(planned, ps_id) == (header, tasks)


async def test_a_blocked_resource_is_deactivated_in_project_server(
    sandbox: SandboxHandle, planned: Services
) -> None:
    assert planned.erp is not None
    assert planned.projects is not None
    worker = await planned.erp.create(
        Entity.WORKER, {"displayName": "Ben Welder", "type": "Person"}
    )
    await full(planned, ["WORKER-RESOURCE"])
    [coupling] = (await planned.couplings.by_ids("WORKER-RESOURCE", "erp", [worker.id])).values()
    resource = await planned.projects.get("resource", coupling.crm.id)
    assert (resource.values["Name"], resource.values["IsActive"]) == ("Ben Welder", True)

    await planned.erp.update(Entity.WORKER, worker.id, {"blocked": True}, etag=worker.etag)
    await incremental(planned, ["WORKER-RESOURCE"])

    resource = await planned.projects.get("resource", coupling.crm.id)
    assert resource.values["IsActive"] is False


async def test_a_project_checked_out_by_a_person_waits_while_the_others_are_done(
    sandbox: SandboxHandle, planned: Services
) -> None:
    assert planned.erp is not None
    held, held_tasks = await erp_project(planned, "Held by Petra")
    free, _ = await erp_project(planned, "Free to write")
    await full(planned, TREE)
    held_ps, free_ps = [await ps_project_id(planned, p.id) for p in (held, free)]
    await sandbox.check_out_as(held_ps, "i:0#.f|membership|petra@contoso.com", "Petra Planner")

    for project in (held, free):
        hold = (await erp_tasks(planned, project.id))["Hold"]
        await planned.erp.update(
            Entity.ACTIVITY, hold.id, {"description": "Hold sessions"}, etag=hold.etag
        )
    run = await run_incremental(planned, "ACTIVITY-TASK", actor="test")

    assert run.status is RunStatus.SUCCEEDED, run.message
    errors, _ = await planned.sync_errors.page(size=50)
    assert [(e.mapping, e.erp_id, e.code, e.direction) for e in errors] == [
        ("ACTIVITY-TASK", held_tasks["Hold"].id, "LOCKED", "TO_CRM")
    ]
    assert "checked out" in errors[0].message
    assert "Hold sessions" in await plan(sandbox, free_ps)
    assert "Hold sessions" not in await plan(sandbox, held_ps)

    # Still held: the next runs try again, more times than a failing record is tried, and
    # the pair is never left SKIPPED.
    for _ in range(planned.settings.sync_skip_after_failures):
        await run_incremental(planned, "ACTIVITY-TASK", actor="test")
    [still] = (await planned.sync_errors.page(size=50))[0]
    assert still.code == "LOCKED"
    assert still.attempts > planned.settings.sync_skip_after_failures
    [pair] = (await planned.couplings.by_ids("ACTIVITY-TASK", "erp", [still.erp_id])).values()
    assert pair.state is CouplingState.ERROR

    await sandbox.check_in_as_person(held_ps)
    await incremental(planned, ["ACTIVITY-TASK"])

    assert "Hold sessions" in await plan(sandbox, held_ps)


PLAN_QUERY = """{ projects(first: 50) { edges { node {
  erpId projectServerId name actualCost actualWork
  tasks { id erpId projectServerId name parentId outlineLevel actualCost actualWork }
} } } }"""


async def test_the_graph_shows_a_project_s_plan_and_its_actual_cost(
    sandbox: SandboxHandle, planned: Services, planned_settings: Settings
) -> None:
    assert planned.erp is not None
    project, _ = await erp_project(planned, "Harbour crane")
    worker = await planned.erp.create(
        Entity.WORKER, {"displayName": "Cy Rigger", "type": "Person", "unitCost": 40.0}
    )
    await full(planned, ACTUALS)
    await sandbox.post_project_journal(
        projectNumber=project.values["number"],
        lines=[
            {
                "taskNumber": "1120",
                "type": "Resource",
                "number": worker.values["number"],
                "quantity": 3,
            }
        ],
    )
    await incremental(planned, ACTUALS)

    async with running_server(create_app(planned_settings)) as url:
        await poll_readiness(url)
        async with httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=60
        ) as http:
            result = await data(http, PLAN_QUERY)

    [node] = [e["node"] for e in result["projects"]["edges"] if e["node"]["erpId"] == project.id]
    assert node["projectServerId"] == await ps_project_id(planned, project.id)
    assert (node["actualCost"], node["actualWork"]) == (120.0, 3.0)
    tasks = node["tasks"]
    names = {t["id"]: t["name"] for t in tasks}
    assert {t["name"]: names.get(t["parentId"]) for t in tasks} == SHAPE
    assert [t["name"] for t in tasks][:4] == ["Design", "Workshops", "Prepare", "Hold"]
    by_name = {t["name"]: t for t in tasks}
    assert [by_name[n]["outlineLevel"] for n in ("Design", "Workshops", "Hold")] == [1, 2, 3]
    assert (by_name["Hold"]["actualCost"], by_name["Hold"]["actualWork"]) == (120.0, 3.0)
    assert by_name["Design"]["actualCost"] == 120.0
    erp_ids = {t["erpId"] for t in tasks}
    assert erp_ids == {
        r.id for n, r in (await erp_tasks(planned, project.id)).items() if n in SHAPE
    }


PUBLISH = """mutation($id: ID!) { publishProjectToProjectServer(input: {erpId: $id}) {
  project { erpId projectServerId tasks { name parentId } }
  coupling { mapping projectServerId } tasksCreated message
  userErrors { code field message }
} }"""


async def test_publishing_a_project_creates_its_plan_and_refuses_a_second_time(
    sandbox: SandboxHandle, planned: Services, planned_settings: Settings
) -> None:
    project, _ = await erp_project(planned, "Dock extension")
    async with running_server(create_app(planned_settings)) as url:
        await poll_readiness(url)
        async with httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=60
        ) as http:
            first = (await data(http, PUBLISH, id=project.id))["publishProjectToProjectServer"]
            again = (await data(http, PUBLISH, id=project.id))["publishProjectToProjectServer"]
            unknown = "00000000-0000-0000-0000-000000000001"
            missing = (await data(http, PUBLISH, id=unknown))["publishProjectToProjectServer"]
            malformed = (await data(http, PUBLISH, id="P-1"))["publishProjectToProjectServer"]

    assert first["userErrors"] == []
    assert first["tasksCreated"] == len(SHAPE)
    ps_id = await ps_project_id(planned, project.id)
    assert first["coupling"] == {"mapping": "PROJECT-PSPROJECT", "projectServerId": ps_id}
    assert first["project"]["projectServerId"] == ps_id
    assert await plan(sandbox, ps_id) == SHAPE
    assert [(e["code"], e["field"]) for e in again["userErrors"]] == [
        ("ALREADY_COUPLED", ["input", "erpId"])
    ]
    assert [(e["code"], e["field"]) for e in missing["userErrors"]] == [
        ("NOT_FOUND", ["input", "erpId"])
    ]
    assert [(e["code"], e["field"]) for e in malformed["userErrors"]] == [
        ("INVALID_INPUT", ["input", "erpId"])
    ]
    # A run afterwards finds nothing to do: the plan is the project's.
    await sandbox.reset_stats()
    await full(planned, TREE)
    stats = await sandbox.stats()
    assert (writes(stats, "bc"), writes(stats, "projectserver")) == (0, 0)

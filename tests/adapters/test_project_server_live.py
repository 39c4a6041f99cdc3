"""The Project Server connector against the sandbox over HTTP: one check-out and one publish
per project and batch, the task tree kept, nothing written twice, a project checked out by a
person, and recovery of a project a crashed run left checked out."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from adapters.base import Create, Delete, Operation, Update
from adapters.errors import LockedError, RetriableError
from adapters.project_server import ProjectServerConnector
from adapters.project_server.drafts import task_id
from tests.adapters.live import project_server
from tests.sandbox.projectserver import projectserver_client
from tests.support_sandbox import SandboxHandle

pytestmark = pytest.mark.usefixtures("sandbox")


def tree(project_id: str, prefix: str = "A") -> list[Operation]:
    """Phase → two work packages → three tasks each: nine tasks on three levels, with the ERP
    activity numbers that make their ids."""
    ops: list[Operation] = [
        Create("task", {"ProjectId": project_id, "Name": "Phase", "ERP Activity Number": prefix})
    ]
    phase = _id(project_id, prefix)
    for package in (1, 2):
        number = f"{prefix}.{package}"
        ops.append(
            Create(
                "task",
                {
                    "ProjectId": project_id,
                    "Name": f"Package {package}",
                    "ParentId": phase,
                    "ERP Activity Number": number,
                },
            )
        )
        for task in (1, 2, 3):
            ops.append(
                Create(
                    "task",
                    {
                        "ProjectId": project_id,
                        "Name": f"Task {package}.{task}",
                        "ParentId": _id(project_id, number),
                        "ERP Activity Number": f"{number}.{task}",
                        "Start": f"2026-04-0{task + 5}T08:00:00",
                        "Duration": 2,
                        "PercentComplete": 10 * task,
                    },
                )
            )
    return ops


def _id(project_id: str, activity: str) -> str:
    return task_id(project_id, {"ERP Activity Number": activity})


async def _project(connector: ProjectServerConnector, name: str) -> str:
    record = await connector.create("project", {"Name": name, "ERP Project Number": name})
    return record.id


async def _outline(connector: ProjectServerConnector, project_id: str) -> list[tuple[Any, ...]]:
    result = await connector.query("task", None, order_by=["Index"], fields=None)
    rows = [r for r in result.records if r.values["ProjectId"] == project_id]
    return [(r.values["OutlinePosition"], r.values["Name"], r.values["OutlineLevel"]) for r in rows]


def _calls(stats: dict[str, Any], name: str) -> int:
    sets = stats.get("apis", {}).get("projectserver", {}).get("entity_sets", {})
    return sum(sets.get(name, {}).values())


async def test_a_three_level_tree_is_written_in_one_draft(sandbox: SandboxHandle) -> None:
    async with project_server(sandbox) as connector:
        project_id = await _project(connector, "PR00010")
        await sandbox.reset_stats()
        results = await connector.write_many(tree(project_id))
        assert all(r.ok for r in results), [r.error for r in results if not r.ok]
        stats = await sandbox.stats()
        assert _calls(stats, "Projects/checkOut") == 1
        assert _calls(stats, "Projects/Draft/publish") == 1
        assert _calls(stats, "Projects/Draft/Tasks/Add") == 9
        outline = await _outline(connector, project_id)
        assert outline[:5] == [
            ("1", "Phase", 1),
            ("1.1", "Package 1", 2),
            ("1.1.1", "Task 1.1", 3),
            ("1.1.2", "Task 1.2", 3),
            ("1.1.3", "Task 1.3", 3),
        ]
        assert len(outline) == 9
        [task] = (await connector.get_many("task", [_id(project_id, "A.1.3")])).values()
        assert task.values["PercentComplete"] == 30
        assert task.values["ParentId"] == _id(project_id, "A.1")
        assert task.values["ERP Activity Number"] == "A.1.3"
        # The same batch again changes nothing: no task is added or patched, nothing published.
        await sandbox.reset_stats()
        again = await connector.write_many(tree(project_id))
        assert all(r.ok for r in again)
        stats = await sandbox.stats()
        assert _calls(stats, "Projects/Draft/Tasks/Add") == 0
        assert _calls(stats, "Projects/Draft/Tasks") == 1  # the one read of the draft
        assert _calls(stats, "Projects/Draft/publish") == 0
        assert len(await _outline(connector, project_id)) == 9


async def test_changes_read_only_what_was_published_since(sandbox: SandboxHandle) -> None:
    async with project_server(sandbox) as connector:
        project_id = await _project(connector, "PR00020")
        await connector.write_many(tree(project_id))
        first = [batch async for batch in connector.changes("task", None)]
        assert sum(len(b.upserts) for b in first) == 9
        token = first[-1].token
        assert [b.upserts for b in [x async for x in connector.changes("task", token)]] == [[]]
        renamed = _id(project_id, "A.2.1")
        moved = _id(project_id, "A.2.2")
        await connector.write_many(
            [
                Update("task", renamed, {"ProjectId": project_id, "Name": "Task 2.1 renamed"}),
                Update("task", moved, {"ProjectId": project_id, "ParentId": _id(project_id, "A")}),
            ]
        )
        batches = [b async for b in connector.changes("task", token)]
        changed = {r.id: r.values for b in batches for r in b.upserts}
        # The renamed task, the moved one, and the tasks whose outline position shifted.
        assert changed[renamed]["Name"] == "Task 2.1 renamed"
        assert changed[moved]["OutlineLevel"] == 2
        assert _id(project_id, "A.1.1") not in changed


async def test_a_project_checked_out_by_a_person_fails_alone_and_is_retriable(
    sandbox: SandboxHandle,
) -> None:
    async with project_server(sandbox) as connector:
        locked_id = await _project(connector, "PR00030")
        free_id = await _project(connector, "PR00040")
        await sandbox.check_out_as(locked_id, "dana@contoso.example", "Dana Planner")
        results = await connector.write_many([*tree(locked_id), *tree(free_id, "B")])
        locked, free = results[:9], results[9:]
        assert all(r.ok for r in free)
        for result in locked:
            assert isinstance(result.error, LockedError)
            assert isinstance(result.error, RetriableError)
            assert "checked out to someone else" in result.error.message
            assert "Dana Planner" in result.error.message
        assert await _outline(connector, locked_id) == []
        assert len(await _outline(connector, free_id)) == 9
        await sandbox.check_in_as_person(locked_id)
        retried = await connector.write_many(tree(locked_id))
        assert all(r.ok for r in retried)
        assert len(await _outline(connector, locked_id)) == 9


async def test_a_project_left_checked_out_by_a_crashed_run_is_recovered(
    sandbox: SandboxHandle,
) -> None:
    async with project_server(sandbox) as connector:
        crashed_id = await _project(connector, "PR00050")
        clean_id = await _project(connector, "PR00060")
        # A run with the gateway's own credentials checks out, adds part of the tree, saves
        # some of it, and dies before publishing.
        ops = tree(crashed_id)
        async with projectserver_client(sandbox) as raw:
            await raw.check_out(crashed_id)
            for op in ops[:4]:
                assert isinstance(op, Create)
                params = {k: v for k, v in op.values.items() if k in ("Name", "ParentId")}
                await raw.add_task(
                    crashed_id, Id=_id(crashed_id, op.values["ERP Activity Number"]), **params
                )
            job = await raw.ok("POST", f"ProjectServer/Projects('{crashed_id}')/Draft/update()")
            await raw.wait(crashed_id, job)
            await raw.add_task(crashed_id, Name="Never saved")
        results = await connector.write_many(ops)
        assert all(r.ok for r in results), [r.error for r in results if not r.ok]
        await connector.write_many(tree(clean_id))
        crashed = [(p, n, level) for p, n, level in await _outline(connector, crashed_id)]
        assert crashed == await _outline(connector, clean_id)
        assert all(name != "Never saved" for _, name, _ in crashed)


async def test_resources_assignments_and_custom_fields(sandbox: SandboxHandle) -> None:
    async with project_server(sandbox) as connector:
        worker = await connector.create(
            "resource", {"Name": "Ines Duarte", "Code": "R-0100", "Email": "ines@contoso.example"}
        )
        again = await connector.create("resource", {"Name": "Ines Duarte", "Code": "R-0100"})
        assert again.id == worker.id
        project_id = await _project(connector, "PR00070")
        ops = tree(project_id)
        task = _id(project_id, "A.1.1")
        ops += [
            Create(
                "assignment", {"ProjectId": project_id, "TaskId": task, "ResourceId": worker.id}
            ),
            Update(
                "task",
                task,
                {"ProjectId": project_id, "ERP Actual Cost": 480.0, "ERP Actual Work": 6.0},
            ),
            Update("project", project_id, {"ERP Project Actual Cost": 480.0}),
        ]
        results = await connector.write_many(ops)
        assert all(r.ok for r in results), [r.error for r in results if not r.ok]
        [assignment] = (await connector.query("assignment")).records
        assert (assignment.values["TaskId"], assignment.values["ResourceId"]) == (task, worker.id)
        published = await connector.get("task", task)
        assert (published.values["ERP Actual Cost"], published.values["ERP Actual Work"]) == (
            480.0,
            6.0,
        )
        project = await connector.get("project", project_id)
        assert project.values["ERP Project Actual Cost"] == 480.0
        assert project.values["ERP Project Number"] == "PR00070"
        await connector.delete("resource", worker.id)
        assert (await connector.get("resource", worker.id)).values["IsActive"] is False


async def test_bad_writes_are_refused_before_anything_is_sent(sandbox: SandboxHandle) -> None:
    async with project_server(sandbox) as connector:
        await sandbox.reset_stats()
        [result] = await connector.write_many(
            [Create("task", {"ProjectId": str(uuid.uuid4()), "Name": "X", "Colour": "red"})]
        )
        assert result.error is not None
        assert "Colour" in result.error.message
        assert (await sandbox.stats())["requests"] == 0
        [gone] = await connector.write_many([Delete("task", str(uuid.uuid4()))])
        assert gone.error is not None
        assert "not found" in gone.error.message

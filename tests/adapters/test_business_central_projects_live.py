"""Business Central's project accounting (sandbox extension pages) through the connector:
activity trees by Begin-Total/End-Total ranges or named parents, resources, and posted hours
and expenses read incrementally."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from adapters.base import Entity
from adapters.business_central import BusinessCentralConnector
from adapters.errors import ValidationError
from adapters.filters import eq
from tests.adapters.live import business_central
from tests.support_sandbox import SandboxHandle


async def _tree(bc: BusinessCentralConnector, project_id: str) -> dict[str, Any]:
    rows = [
        ("1000", "Design", "Begin-Total", None),
        ("1100", "Workshops", "Begin-Total", None),
        ("1110", "Prepare", "Posting", None),
        ("1120", "Hold", "Posting", None),
        ("1199", "Total workshops", "End-Total", None),
        ("1999", "Total design", "End-Total", None),
        ("2000", "Build", "Heading", None),
        ("2010", "Configure", "Posting", "2000"),
    ]
    for number, description, kind, parent in rows:
        values: dict[str, Any] = {
            "projectId": project_id,
            "taskNumber": number,
            "description": description,
            "taskType": kind,
        }
        if parent:
            values["parentTaskNumber"] = parent
        await bc.create(Entity.ACTIVITY, values)
    found = await bc.query(Entity.ACTIVITY, eq("projectId", project_id), order_by=["taskNumber"])
    return {r.values["taskNumber"]: r for r in found.records}


async def test_activity_trees_by_ranges_and_named_parents(sandbox: SandboxHandle) -> None:
    async with business_central(sandbox, company_id=sandbox.company_id) as bc:
        project = await bc.create(Entity.PROJECT, {"displayName": "Warehouse rollout"})
        tasks = await _tree(bc, project.id)
        shape = {
            n: (r.values["indentation"], r.values["parentTaskNumber"]) for n, r in tasks.items()
        }
        assert shape == {
            "1000": (0, None),
            "1100": (1, "1000"),
            "1110": (2, "1100"),
            "1120": (2, "1100"),
            "1199": (1, "1000"),
            "1999": (0, None),
            "2000": (0, None),
            "2010": (1, "2000"),
        }
        assert tasks["1110"].values["projectNumber"] == project.values["number"]
        # Re-parent a posting task under the phase: it moves up one level.
        moved = await bc.update(
            Entity.ACTIVITY, tasks["1120"].id, {"parentTaskNumber": "1000"}, etag=tasks["1120"].etag
        )
        after = await bc.get(Entity.ACTIVITY, moved.id)
        assert (after.values["indentation"], after.values["parentTaskNumber"]) == (1, "1000")
        assert after.values["parentId"] == tasks["1000"].id
        with pytest.raises(ValidationError, match="other than an End-Total task"):
            await bc.create(
                Entity.ACTIVITY,
                {"projectId": project.id, "taskNumber": "3000", "parentTaskNumber": "1199"},
            )
        with pytest.raises(ValidationError, match="already exists"):
            await bc.create(Entity.ACTIVITY, {"projectId": project.id, "taskNumber": "1110"})


async def test_parents_by_id_and_tasks_numbered_by_the_page(sandbox: SandboxHandle) -> None:
    """The extension's `parentId`: a task named as a parent by id becomes a heading (it had
    no postings), and a task without a number gets the project's next one."""
    async with business_central(sandbox, company_id=sandbox.company_id) as bc:
        project = await bc.create(Entity.PROJECT, {"displayName": "Planned in Project"})
        tasks = await _tree(bc, project.id)
        child = await bc.create(
            Entity.ACTIVITY,
            {"projectId": project.id, "description": "Review", "parentId": tasks["2010"].id},
        )
        assert child.values["taskNumber"] == "2020"  # after 2010, the highest number
        found = await bc.get_many(Entity.ACTIVITY, [child.id, tasks["2010"].id])
        assert (
            found[child.id].values["parentTaskNumber"],
            found[child.id].values["indentation"],
        ) == (
            "2010",
            2,
        )
        assert found[child.id].values["parentId"] == tasks["2010"].id
        assert found[tasks["2010"].id].values["taskType"] == "Heading"
        # Moved back to the top by id; then its old parent has postings and takes no child.
        top = await bc.update(
            Entity.ACTIVITY, child.id, {"parentId": None}, etag=found[child.id].etag
        )
        assert (await bc.get(Entity.ACTIVITY, top.id)).values["indentation"] == 0
        await sandbox.post_project_journal(
            projectNumber=project.values["number"],
            lines=[
                {
                    "taskNumber": "1110",
                    "type": "G/L Account",
                    "number": "6610",
                    "quantity": 1,
                    "unitCost": 50.0,
                }
            ],
        )
        with pytest.raises(ValidationError, match="has postings"):
            await bc.create(
                Entity.ACTIVITY, {"projectId": project.id, "parentId": tasks["1110"].id}
            )
        with pytest.raises(ValidationError, match="not a task of project"):
            await bc.create(Entity.ACTIVITY, {"projectId": project.id, "parentId": project.id})


async def test_actual_totals_follow_postings_up_the_tree(sandbox: SandboxHandle) -> None:
    """A posting raises the totals of its task, the tasks above it and the project, and
    moves their `lastModifiedDateTime`: an incremental read finds exactly those."""
    async with business_central(sandbox, company_id=sandbox.company_id) as bc:
        worker = await bc.create(Entity.WORKER, {"displayName": "Ana Lobo", "unitCost": 50.0})
        project = await bc.create(Entity.PROJECT, {"displayName": "Totals"})
        tasks = await _tree(bc, project.id)
        token = [b async for b in bc.changes(Entity.ACTIVITY, None)][-1].token
        project_token = [b async for b in bc.changes(Entity.PROJECT, None)][-1].token
        await sandbox.post_project_journal(
            projectNumber=project.values["number"],
            lines=[
                {
                    "taskNumber": "1110",
                    "type": "Resource",
                    "number": worker.values["number"],
                    "quantity": 4,
                },
                {
                    "taskNumber": "1110",
                    "type": "G/L Account",
                    "number": "6610",
                    "quantity": 1,
                    "unitCost": 30.0,
                },
            ],
        )
        changed = {
            r.values["taskNumber"]: (r.values["actualCost"], r.values["actualWork"])
            for b in [x async for x in bc.changes(Entity.ACTIVITY, token)]
            for r in b.upserts
        }
        assert changed == {"1110": (230.0, 4.0), "1100": (230.0, 4.0), "1000": (230.0, 4.0)}
        projects = [
            r
            for b in [x async for x in bc.changes(Entity.PROJECT, project_token)]
            for r in b.upserts
        ]
        assert [(r.id, r.values["actualCost"], r.values["actualWork"]) for r in projects] == [
            (project.id, 230.0, 4.0)
        ]
        untouched = await bc.get(Entity.ACTIVITY, tasks["2010"].id)
        assert (untouched.values["actualCost"], untouched.values["actualWork"]) == (0.0, 0.0)


async def test_posted_hours_and_expenses_are_read_incrementally(sandbox: SandboxHandle) -> None:
    async with business_central(sandbox, company_id=sandbox.company_id) as bc:
        worker = await bc.create(
            Entity.WORKER, {"displayName": "Ines Duarte", "unitCost": 60.0, "unitPrice": 95.0}
        )
        assert worker.values["number"].startswith("R")
        project = await bc.create(Entity.PROJECT, {"displayName": "Costed rollout"})
        await _tree(bc, project.id)
        batches = [b async for b in bc.changes(Entity.PROJECT_ACTUAL, None)]
        token = batches[-1].token
        posted = await sandbox.post_project_journal(
            projectNumber=project.values["number"],
            lines=[
                {
                    "taskNumber": "1110",
                    "type": "Resource",
                    "number": worker.values["number"],
                    "quantity": 6,
                },
                {
                    "taskNumber": "2010",
                    "type": "G/L Account",
                    "number": "6610",
                    "quantity": 1,
                    "unitCost": 240.0,
                    "description": "Travel",
                },
            ],
        )
        assert [p["totalCost"] for p in posted] == [360.0, 240.0]
        changed = [
            r
            for b in [x async for x in bc.changes(Entity.PROJECT_ACTUAL, token)]
            for r in b.upserts
        ]
        assert sorted((r.values["taskNumber"], r.values["totalCost"]) for r in changed) == [
            ("1110", 360.0),
            ("2010", 240.0),
        ]
        assert len({r.values["entryNumber"] for r in changed}) == 2
        with pytest.raises(ValidationError):
            await bc.create(Entity.PROJECT_ACTUAL, {"taskNumber": "1110", "quantity": 1})


async def test_a_journal_is_checked_in_full_before_anything_is_posted(
    sandbox: SandboxHandle,
) -> None:
    async with business_central(sandbox, company_id=sandbox.company_id) as bc:
        project = await bc.create(Entity.PROJECT, {"displayName": "Refused journal"})
        await _tree(bc, project.id)
        with pytest.raises(httpx.HTTPStatusError) as refused:
            await sandbox.post_project_journal(
                projectNumber=project.values["number"],
                lines=[
                    {
                        "taskNumber": "2010",
                        "type": "G/L Account",
                        "number": "6610",
                        "quantity": 1,
                        "unitCost": 10.0,
                    },
                    {
                        "taskNumber": "1000",
                        "type": "G/L Account",
                        "number": "6610",
                        "quantity": 1,
                        "unitCost": 10.0,
                    },
                ],
            )
        assert "lines[1].taskNumber must be a Posting task" in refused.value.response.text
        found = await bc.query(Entity.PROJECT_ACTUAL, eq("projectId", project.id))
        assert found.records == []


async def test_demo_projects_have_three_level_trees_and_postings(sandbox: SandboxHandle) -> None:
    await sandbox.seed(accounts=20, seed=5)
    async with business_central(sandbox, company_id=sandbox.company_id) as bc:
        projects = (await bc.query(Entity.PROJECT)).records
        assert len(projects) == 2
        tasks = (await bc.query(Entity.ACTIVITY, eq("projectId", projects[0].id))).records
        assert {t.values["indentation"] for t in tasks} == {0, 1, 2}
        actuals = (await bc.query(Entity.PROJECT_ACTUAL, eq("projectId", projects[0].id))).records
        assert len(actuals) == 4
        postings = {t.values["taskNumber"] for t in tasks if t.values["taskType"] == "Posting"}
        assert {a.values["taskNumber"] for a in actuals} <= postings
        workers = (await bc.query(Entity.WORKER)).records
        assert len(workers) >= 3

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
        with pytest.raises(ValidationError, match="must be a Begin-Total or Heading task"):
            await bc.create(
                Entity.ACTIVITY,
                {"projectId": project.id, "taskNumber": "3000", "parentTaskNumber": "1110"},
            )
        with pytest.raises(ValidationError, match="already exists"):
            await bc.create(Entity.ACTIVITY, {"projectId": project.id, "taskNumber": "1110"})


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

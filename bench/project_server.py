"""Project Server writes, through the connector and by hand: `projects` projects of `tasks`
tasks each, in three-level trees (phases of work packages of tasks), every project with one
check-out and one publish. Both sides write the same tasks with the same concurrency (four
projects at a time), so the ratio is the connector's own cost.

`connector_writes` and `raw_writes` are what the `project-server-writes` scenario times; the
full synchronization of the project mappings can be measured against them the same way.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from adapters.base import Create, Operation
from adapters.project_server import ProjectServerConnector
from adapters.project_server.drafts import task_id

CONCURRENCY = 4
SUCCESS_STATES = (4, 5, 6, 9)


def tree(project_id: str, tasks: int) -> list[dict[str, Any]]:
    """`tasks` task rows, parents before children: one phase per ten tasks, work packages of
    three tasks below them."""
    rows: list[dict[str, Any]] = []
    phases = max(1, tasks // 10)
    for phase in range(phases):
        rows.append({"ERP Activity Number": f"{phase + 1}", "Name": f"Phase {phase + 1}"})
    package = 0
    while len(rows) < tasks:
        number = f"{package % phases + 1}.{package // phases + 1}"
        rows.append(
            {
                "ERP Activity Number": number,
                "Name": f"Package {number}",
                "Parent": f"{package % phases + 1}",
            }
        )
        for step in range(1, 4):
            if len(rows) >= tasks:
                break
            rows.append(
                {
                    "ERP Activity Number": f"{number}.{step}",
                    "Name": f"Task {number}.{step}",
                    "Parent": number,
                    "Duration": 2,
                }
            )
        package += 1
    for row in rows:
        row["Id"] = task_id(project_id, row)
        parent = row.pop("Parent", None)
        if parent is not None:
            row["ParentId"] = task_id(project_id, {"ERP Activity Number": parent})
    return rows


async def connector_writes(
    connector: ProjectServerConnector, projects: int, tasks: int, prefix: str = "C"
) -> dict[str, float]:
    """Create the projects, then write every task in one `write_many`; time both."""
    started = time.perf_counter()
    created = await connector.write_many(
        [Create("project", {"Name": f"{prefix}-{n:04d}"}) for n in range(projects)]
    )
    ids = [result.record.id for result in created if result.record is not None]
    operations: list[Operation] = [
        Create("task", {**row, "ProjectId": project_id})
        for project_id in ids
        for row in tree(project_id, tasks)
    ]
    results = await connector.write_many(operations)
    seconds = time.perf_counter() - started
    written = sum(1 for result in results if result.ok)
    return {
        "seconds": round(seconds, 3),
        "records": written,
        "records_per_second": round(written / seconds, 1),
    }


async def raw_writes(
    api_root: str, token: str, projects: int, tasks: int, prefix: str = "R"
) -> dict[str, float]:
    """The same requests with a plain httpx client: digest, `Projects/Add`, `checkOut()`, per
    task one `Draft/Tasks/Add` and one PATCH of its `ERP Activity Number`, then
    `Draft/publish(true)` and polling of its queue job."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json;odata=nometadata"}
    limits = httpx.Limits(max_connections=8, max_keepalive_connections=8)
    async with httpx.AsyncClient(
        base_url=api_root, headers=headers, timeout=120, limits=limits
    ) as http:
        started = time.perf_counter()
        digest = (await http.post("contextinfo")).json()["FormDigestValue"]
        write = {"X-RequestDigest": digest}
        fields = (await http.get("ProjectServer/CustomFields")).json()["value"]
        [activity] = [f["InternalName"] for f in fields if f["Name"] == "ERP Activity Number"]
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(number: int) -> int:
            created = await http.post(
                "ProjectServer/Projects/Add",
                headers=write,
                json={"parameters": {"Name": f"{prefix}-{number:04d}"}},
            )
            project_id = created.raise_for_status().json()["Id"]
            base = f"ProjectServer/Projects('{project_id}')"
            async with gate:
                (await http.post(f"{base}/checkOut()", headers=write)).raise_for_status()
                for row in tree(project_id, tasks):
                    params = {k: v for k, v in row.items() if k in ("Id", "Name", "ParentId")}
                    if "Duration" in row:
                        params["Duration"] = f"{row['Duration']}d"
                    added = await http.post(
                        f"{base}/Draft/Tasks/Add", headers=write, json={"parameters": params}
                    )
                    added.raise_for_status()
                    # The ERP key travels in a custom field, which creation cannot set.
                    keyed = await http.patch(
                        f"{base}/Draft/Tasks('{row['Id']}')",
                        headers=write,
                        json={activity: row["ERP Activity Number"]},
                    )
                    keyed.raise_for_status()
                job = (await http.post(f"{base}/Draft/publish(true)", headers=write)).json()
                delay = 0.02
                while job["JobState"] not in SUCCESS_STATES:
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 1.0)
                    job = (await http.get(f"{base}/QueueJobs('{job['Id']}')")).json()
            return tasks

        written = sum(await asyncio.gather(*(one(n) for n in range(projects))))
        seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 3),
        "records": written,
        "records_per_second": round(written / seconds, 1),
    }

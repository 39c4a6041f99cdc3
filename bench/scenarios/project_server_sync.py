"""Project Server: a full synchronization of `ps_projects` Business Central projects of
`ps_tasks` activities each (three-level trees) into Project Server through the default
mappings PROJECT-PSPROJECT and ACTIVITY-TASK, against the same projects and tasks written
straight through the connector (`bench/project_server.py`). Then a second full
synchronization with nothing changed, which must write nothing.

The gateway runs in this process (its services on a database of its own), timed from the
start of the run to its end. The activities are made through Business Central's API first.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from adapters.base import Entity
from bench.environment import CLIENT_ID, CLIENT_SECRET, Environment
from bench.options import Options
from bench.project_server import connector_writes, sandbox_connector
from bench.results import ScenarioResult
from bench.sandbox_client import write_requests
from gateway.services import Services, open_services
from gateway.store.sync_runs import RunStatus
from gateway.sync.full import run_full_synchronization, start_full_synchronization

NAME = "project-server-sync"
TITLE = "Project Server: full synchronization of BC project trees (vs direct connector writes)"
MAPPINGS = ["PROJECT-PSPROJECT", "ACTIVITY-TASK"]
CONCURRENCY = 8


def activities(tasks: int) -> list[dict[str, Any]]:
    """`tasks` activities in three levels: phases of three work packages of three posting
    tasks, each range closed by an End-Total (which has no task and is not counted)."""
    rows: list[dict[str, Any]] = []
    counted, phase = 0, 0

    def add(number: int, description: str, kind: str) -> None:
        rows.append({"taskNumber": str(number), "description": description, "taskType": kind})

    while counted < tasks:
        phase += 1
        base = phase * 10000
        add(base, f"Phase {phase}", "Begin-Total")
        counted += 1
        for package in range(1, 4):
            if counted >= tasks:
                break
            number = base + package * 100
            add(number, f"Package {phase}.{package}", "Begin-Total")
            counted += 1
            for step in range(1, 4):
                if counted >= tasks:
                    break
                add(number + step, f"Task {phase}.{package}.{step}", "Posting")
                counted += 1
            add(number + 99, "Total", "End-Total")
        add(base + 9999, "Total", "End-Total")
    return rows


async def seed(services: Services, projects: int, tasks: int) -> None:
    erp = services.erp
    assert erp is not None
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(n: int) -> None:
        async with gate:
            project = await erp.create(Entity.PROJECT, {"displayName": f"Bench project {n:04d}"})
            for row in activities(tasks):
                await erp.create(Entity.ACTIVITY, {**row, "projectId": project.id})

    await asyncio.gather(*(one(n) for n in range(projects)))


async def full(services: Services) -> tuple[float, Any]:
    run = await start_full_synchronization(services, MAPPINGS, actor="bench")
    assert run.id is not None
    started = time.perf_counter()
    done = await run_full_synchronization(services, run.id)
    seconds = time.perf_counter() - started
    assert done.status is RunStatus.SUCCEEDED, done.message
    return seconds, done


async def run(environment: Environment, options: Options) -> ScenarioResult:
    result = ScenarioResult(NAME, TITLE)
    projects, tasks = options.sizes.ps_projects, options.sizes.ps_tasks
    sandbox = environment.sandbox
    root = f"{sandbox.base_url}/projectserver/"
    await sandbox.reset()
    values = environment.gateway_values(
        environment.database("ps_sync"),
        projectserver_url=root,
        projectserver_token_url=sandbox.token_url,
        projectserver_client_id=CLIENT_ID,
        projectserver_client_secret=CLIENT_SECRET,
    )
    async with open_services(environment.settings(values), wait_for_store=True) as services:
        await seed(services, projects, tasks)
        await sandbox.reset_stats()
        seconds, first = await full(services)
        stats = await sandbox.stats()
        records = first.counters.inserted
        await sandbox.reset_stats()
        idle_seconds, again = await full(services)
        idle_writes = write_requests(await sandbox.stats(), "bc", "projectserver")

    connector = sandbox_connector(environment)
    try:
        direct = await connector_writes(connector, projects, tasks, "D")
    finally:
        await connector.aclose()

    expected = projects * (tasks + 1)
    result.compare(
        f"records/s, full synchronization of {projects} projects x {tasks} tasks",
        records / seconds,
        (direct["records"] + projects) / direct["seconds"],
        "rec/s",
        better="higher",
    )
    result.check(
        "every project and task created once", f"{expected}", f"{records}", records == expected
    )
    result.check(
        "a second full synchronization writes nothing",
        "0 writes",
        f"{idle_writes} writes, {again.counters.modified} modified",
        idle_writes == 0 and again.counters.modified == 0,
    )
    result.figures["project_server_sync"] = {
        "seconds": round(seconds, 2),
        "records": records,
        "requests": {
            api: stats.get("apis", {}).get(api, {}).get("requests", 0)
            for api in ("bc", "projectserver")
        },
        "idle_seconds": round(idle_seconds, 2),
        "direct": direct,
    }
    result.notes.append(
        "The synchronization reads the activities from Business Central, writes one draft per "
        "project (one check-out, one publish) and writes back the dates Project Server gave the "
        "new tasks; the direct baseline writes the same trees with write_many only."
    )
    return result

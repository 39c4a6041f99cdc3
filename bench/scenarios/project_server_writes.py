"""Project Server: the connector's direct write rate for `ps_projects` projects of `ps_tasks`
tasks (three-level trees, one check-out and one publish per project) against the same writes
sent by hand with plain httpx (`bench/project_server.py`)."""

from __future__ import annotations

from typing import Any

from adapters.project_server import ProjectServerConnector
from adapters.registry import ConnectionConfig, build_project_server
from bench.environment import CLIENT_ID, CLIENT_SECRET, Environment
from bench.options import Options
from bench.project_server import connector_writes, raw_writes
from bench.results import ScenarioResult, median
from bench.sandbox_client import api_requests

NAME = "project-server-writes"
TITLE = "Project Server: task writes through the connector (vs plain httpx)"
SCOPE = "https://sandbox.sharepoint.com/.default"


async def run(environment: Environment, options: Options) -> ScenarioResult:
    result = ScenarioResult(NAME, TITLE)
    projects, tasks = options.sizes.ps_projects, options.sizes.ps_tasks
    sandbox = environment.sandbox
    root = f"{sandbox.base_url}/projectserver/"
    measured: dict[str, list[dict[str, Any]]] = {"connector": [], "raw": []}
    for attempt in range(options.repeat):
        await sandbox.reset()
        connector = build_project_server(
            ConnectionConfig(
                base_url=root,
                token_url=sandbox.token_url,
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
                timeout=120.0,
            )
        )
        assert isinstance(connector, ProjectServerConnector)
        try:
            await sandbox.reset_stats()
            figures = await connector_writes(connector, projects, tasks, f"C{attempt}")
            figures["requests"] = api_requests(await sandbox.stats(), "projectserver")
            measured["connector"].append(figures)
        finally:
            await connector.aclose()
        await sandbox.reset_stats()
        token = await sandbox.token(SCOPE)
        figures = await raw_writes(f"{root}_api/", token, projects, tasks, f"R{attempt}")
        figures["requests"] = api_requests(await sandbox.stats(), "projectserver")
        measured["raw"].append(figures)

    def med(side: str, key: str) -> float:
        return median([run[key] for run in measured[side]])

    result.compare(
        "task writes: records/s",
        med("connector", "records_per_second"),
        med("raw", "records_per_second"),
        "rec/s",
        better="higher",
    )
    expected = projects * tasks
    result.check(
        "every task written on both sides",
        f"{expected}",
        f"{med('connector', 'records'):g} vs {med('raw', 'records'):g}",
        med("connector", "records") == med("raw", "records") == expected,
    )
    result.figures["project_server_writes"] = {
        side: {key: med(side, key) for key in runs[0]} for side, runs in measured.items()
    }
    result.notes.append(
        f"{projects} projects x {tasks} tasks; one check-out, one draft and one publish per "
        f"project, four projects at a time; median of {options.repeat} runs. The connector also "
        "reads each draft once (idempotent creates) and the custom fields once."
    )
    return result

"""A synchronization to Project Server killed between a project's check-out and its publish:
the next run recovers the project (its own stale check-out, forced in) and ends with the same
tasks as a run that was never interrupted, none lost and none twice."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Any

import pytest

from gateway.services import Services
from gateway.settings import Settings
from gateway.store.sync_runs import RunStatus
from gateway.sync.full import run_full_synchronization, start_full_synchronization
from tests.sandbox.projectserver import projectserver_client
from tests.support import eventually
from tests.support_sandbox import SandboxHandle
from tests.sync.test_processes import ROOT, environment
from tests.sync.test_project_server_sync import SHAPE, erp_project, full, plan, ps_project_id

pytestmark = pytest.mark.slow


def ps_environment(settings: Settings) -> dict[str, str]:
    secret = settings.projectserver_client_secret
    return {
        **environment(settings),
        "PROJECTSERVER_URL": str(settings.projectserver_url),
        "PROJECTSERVER_TOKEN_URL": str(settings.projectserver_token_url),
        "PROJECTSERVER_CLIENT_ID": settings.projectserver_client_id or "",
        "PROJECTSERVER_CLIENT_SECRET": secret.get_secret_value() if secret else "",
    }


async def draft_tasks(sandbox: SandboxHandle, project_id: str) -> list[dict[str, Any]]:
    async with projectserver_client(sandbox) as ps:
        return await ps.tasks(project_id, draft=True)


async def checked_out(sandbox: SandboxHandle, project_id: str) -> bool:
    async with projectserver_client(sandbox) as ps:
        found = await ps.get(f"ProjectServer/Projects('{project_id}')")
    return bool(found.json()["IsCheckedOut"])


async def test_a_run_killed_between_check_out_and_publish_is_recovered_by_the_next(
    sandbox: SandboxHandle, planned: Services, planned_settings: Settings
) -> None:
    project, _ = await erp_project(planned, "Interrupted rollout")
    await full(planned, ["PROJECT-PSPROJECT"])
    ps_id = await ps_project_id(planned, project.id)
    run = await start_full_synchronization(planned, ["ACTIVITY-TASK"], actor="test")
    assert run.id is not None
    # Slow Project Server down, so that the run is caught with half its tasks in the draft.
    await sandbox.set_faults(latency_ms=400, apis=["projectserver"])
    settings = planned_settings.model_copy(update={"sync_lease_seconds": 2.0})
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.sync.child",
        "full",
        run.id,
        cwd=ROOT,
        env=ps_environment(settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )

    async def some_tasks_drafted() -> bool:
        assert process.returncode is None, await process.communicate()
        return 0 < len(await draft_tasks(sandbox, ps_id)) < len(SHAPE)

    await eventually(some_tasks_drafted, timeout=120, what="tasks in the draft", interval=0.05)
    os.kill(process.pid, signal.SIGKILL)
    await process.wait()
    await sandbox.set_faults()
    assert await checked_out(sandbox, ps_id)
    assert await plan(sandbox, ps_id) == {}  # nothing was published

    resumed = await run_full_synchronization(planned, run.id)

    assert resumed.status is RunStatus.SUCCEEDED, resumed.message
    assert not await checked_out(sandbox, ps_id)
    assert await plan(sandbox, ps_id) == SHAPE
    assert len(await draft_tasks(sandbox, ps_id)) == len(SHAPE)
    couplings, _ = await planned.couplings.page(mapping="ACTIVITY-TASK", size=100)
    assert len(couplings) == len(SHAPE)

"""A worker killed in the middle of a full synchronization: another worker's scheduler tick
takes the run over once its lease has expired, and it finishes from its checkpoint with every
record synchronized once."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.processes import spawn
from gateway.scheduling.queue import queue_full_synchronization
from gateway.scheduling.run_jobs import RunJobs
from gateway.services import Services, open_services
from gateway.settings import Settings
from gateway.store.sync_runs import RunStatus, SyncRun
from gateway.sync.full import run_full_synchronization, start_full_synchronization
from tests.jobs.conftest import only
from tests.jobs.support import running_worker, wait_for
from tests.support_sandbox import SandboxHandle
from tests.sync.support import PARTIES_ONLY
from tests.sync.test_processes import assert_synchronized_once, environment

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PAGE = 25


@pytest.fixture
def takeover_settings(job_settings: Settings) -> Settings:
    return job_settings.model_copy(update={"scheduler_tick_seconds": 1})


@pytest.fixture
async def prepared(takeover_settings: Settings, sandbox: SandboxHandle) -> AsyncIterator[Services]:
    await sandbox.seed(accounts=300, **PARTIES_ONLY)
    async with open_services(takeover_settings, wait_for_store=True) as services:
        run = await start_full_synchronization(services, ["SALESPEOPLE", "CURRENCY"], actor="t")
        assert run.id is not None
        done = await run_full_synchronization(services, run.id)
        assert done.status is RunStatus.SUCCEEDED, done.message
        await only(services)
        yield services


async def test_a_killed_worker_s_run_is_taken_over_and_finished_without_duplicates(
    prepared: Services, takeover_settings: Settings, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    services = prepared
    runs = services.runs
    run = await queue_full_synchronization(services, ["CUSTOMER"], actor="t")
    assert run.id is not None
    run_id = run.id
    child = spawn(
        "worker",
        [sys.executable, "-m", "gateway", "worker"],
        env={**environment(takeover_settings), "SCHEDULER_ENABLED": "false"},
        log_path=tmp_path / "worker.log",
        cwd=ROOT,
    )
    try:

        async def progressed() -> SyncRun | None:
            assert child.running, child.log_tail()
            current = await runs.get(run_id)
            assert current is not None
            return current if int(current.checkpoint.get("pages", 0)) >= 3 else None

        await wait_for(progressed, timeout=300, what="three pages applied by the child worker")
        os.kill(child.popen.pid, signal.SIGKILL)
        child.popen.wait(30)
    finally:
        child.stop()

    killed = await runs.get(run_id)
    assert killed is not None
    assert killed.status is RunStatus.RUNNING
    assert int(killed.checkpoint["stage"]) < len(killed.checkpoint["stages"])
    pages_at_kill = int(killed.checkpoint["pages"])

    async def done() -> SyncRun | None:
        current = await runs.get(run_id)
        assert current is not None
        return current if current.status.finished else None

    async with running_worker(takeover_settings, cron=True):
        finished = await wait_for(done, timeout=300, what="the run's takeover")

    assert finished.status is RunStatus.SUCCEEDED, finished.message
    carried = await RunJobs(services.db).get(run_id)
    assert carried is not None
    assert carried.attempt == 2
    await assert_synchronized_once(services, sandbox)
    customers = int(killed.checkpoint["totals"][0])
    assert customers <= int(finished.checkpoint["processed"][0]) <= customers + PAGE
    assert int(finished.checkpoint["pages"]) > pages_at_kill

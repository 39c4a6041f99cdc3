"""Synchronization across processes against the sandbox: a full synchronization killed
between pages and resumed, and two processes running the same incremental sync at once.
Either way every record ends up synchronized exactly once: no duplicates, none lost."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from gateway.services import Services, open_services
from gateway.settings import Settings
from gateway.store.sync_runs import RunStatus
from gateway.sync.full import run_full_synchronization, start_full_synchronization
from tests.support import eventually
from tests.support_sandbox import SandboxHandle
from tests.sync.support import PARTIES_ONLY, Systems

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PAGE = 25


@pytest.fixture
def process_settings(connected_settings: Settings) -> Settings:
    return connected_settings.model_copy(update={"sync_page_size": PAGE, "sync_lease_seconds": 3.0})


@pytest.fixture
async def prepared(process_settings: Settings, sandbox: SandboxHandle) -> AsyncIterator[Services]:
    """Demo customers and accounts; salespeople and currencies already synchronized."""
    await sandbox.seed(accounts=300, **PARTIES_ONLY)
    async with open_services(process_settings, wait_for_store=True) as services:
        run = await start_full_synchronization(services, ["SALESPEOPLE", "CURRENCY"], actor="t")
        assert run.id is not None
        done = await run_full_synchronization(services, run.id)
        assert done.status is RunStatus.SUCCEEDED, done.message
        yield services


def environment(settings: Settings) -> dict[str, str]:
    values = {
        "MONGODB_URL": str(settings.mongodb_url),
        "MONGODB_DATABASE": settings.mongodb_database,
        "REDIS_URL": str(settings.redis_url),
        "CRM_URL": str(settings.crm_url),
        "CRM_TOKEN_URL": str(settings.crm_token_url),
        "CRM_CLIENT_ID": settings.crm_client_id or "",
        "CRM_CLIENT_SECRET": settings.crm_client_secret.get_secret_value()
        if settings.crm_client_secret
        else "",
        "BC_URL": str(settings.bc_url),
        "BC_TOKEN_URL": str(settings.bc_token_url),
        "BC_CLIENT_ID": settings.bc_client_id or "",
        "BC_CLIENT_SECRET": settings.bc_client_secret.get_secret_value()
        if settings.bc_client_secret
        else "",
        "BC_COMPANY_ID": settings.bc_company_id or "",
        "SYNC_PAGE_SIZE": str(settings.sync_page_size),
        "SYNC_LEASE_SECONDS": str(settings.sync_lease_seconds),
    }
    return {**os.environ, **values}


async def child(settings: Settings, *arguments: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.sync.child",
        *arguments,
        cwd=ROOT,
        env=environment(settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def assert_synchronized_once(services: Services, sandbox: SandboxHandle) -> None:
    systems = Systems(sandbox)
    customers = await systems.all_erp("customers")
    accounts = await systems.all_crm("accounts", "accountid,accountnumber")
    couplings, _ = await services.couplings.page(mapping="CUSTOMER", size=10_000)
    assert len(customers) == len(accounts) == len(couplings)
    assert sorted(a["accountnumber"] for a in accounts) == sorted(c["number"] for c in customers)
    assert {c.erp.id for c in couplings} == {c["id"] for c in customers}
    assert {c.crm.id for c in couplings} == {a["accountid"] for a in accounts}


async def test_a_full_synchronization_killed_between_pages_resumes_without_duplicates(
    prepared: Services, process_settings: Settings, sandbox: SandboxHandle
) -> None:
    services = prepared
    runs = services.runs
    run = await start_full_synchronization(services, ["CUSTOMER"], actor="t")
    assert run.id is not None
    process = await child(process_settings, "full", run.id)

    run_id = run.id

    async def three_pages_applied() -> bool:
        current = await runs.get(run_id)
        assert current is not None
        assert process.returncode is None, await process.communicate()
        return int(current.checkpoint.get("pages", 0)) >= 3

    await eventually(three_pages_applied, timeout=300, what="three pages applied", interval=0.02)
    os.kill(process.pid, signal.SIGKILL)
    await process.wait()

    killed = await runs.get(run.id)
    assert killed is not None
    assert killed.status is RunStatus.RUNNING
    pages_at_kill = int(killed.checkpoint["pages"])
    stages = len(killed.checkpoint["stages"])
    assert int(killed.checkpoint["stage"]) < stages

    resumed = await run_full_synchronization(services, run.id)

    assert resumed.status is RunStatus.SUCCEEDED, resumed.message
    assert resumed.progress == 1.0
    await assert_synchronized_once(services, sandbox)
    # It went on from its checkpoint instead of starting over: the customers were read once,
    # and at most the page being written when the process died was read again.
    customers = int(killed.checkpoint["totals"][0])
    assert customers <= int(resumed.checkpoint["processed"][0]) <= customers + PAGE
    assert int(resumed.checkpoint["pages"]) > pages_at_kill
    tokens = await services.db["job_queue_entries"].find_one({"mapping": "CUSTOMER"})
    assert tokens is not None
    assert tokens["erp_token"]
    assert tokens["crm_token"]


async def test_two_processes_running_the_same_incremental_sync_equal_one(
    prepared: Services, process_settings: Settings, sandbox: SandboxHandle
) -> None:
    services = prepared
    await services.db["table_mappings"].update_one(
        {"name": "CUSTOMER"}, {"$set": {"sync_only_coupled": False}}
    )
    first, second = (
        await child(process_settings, "incremental", "CUSTOMER"),
        await child(process_settings, "incremental", "CUSTOMER"),
    )
    outputs = await asyncio.gather(first.communicate(), second.communicate())
    runs: list[dict[str, Any]] = [orjson.loads(out.splitlines()[-1]) for out, _ in outputs]

    assert {run["status"] for run in runs} <= {"SUCCEEDED", "CANCELLED"}
    assert "SUCCEEDED" in {run["status"] for run in runs}
    # Whatever the interleaving, the second run finds the work done (or is turned away).
    await assert_synchronized_once(services, sandbox)


@pytest.fixture
async def two_thousand(
    process_settings: Settings, sandbox: SandboxHandle
) -> AsyncIterator[Services]:
    """1,000 customers and 1,000 accounts (600 of them pairs); references synchronized."""
    await sandbox.seed(accounts=1000, **PARTIES_ONLY)
    async with open_services(process_settings, wait_for_store=True) as services:
        run = await start_full_synchronization(services, ["SALESPEOPLE", "CURRENCY"], actor="t")
        assert run.id is not None
        done = await run_full_synchronization(services, run.id)
        assert done.status is RunStatus.SUCCEEDED, done.message
        yield services


async def worker(settings: Settings) -> asyncio.subprocess.Process:
    env = {**environment(settings), "SCHEDULER_ENABLED": "false"}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway",
        "worker",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


@pytest.mark.timeout(900)  # 2,000 records through three processes on a shared machine
async def test_a_full_synchronization_shared_by_workers_survives_one_killed_mid_page(
    two_thousand: Services, process_settings: Settings, sandbox: SandboxHandle
) -> None:
    """Pages of one full run applied by two workers (and the run itself); one worker is
    killed while it applies a page: every record ends up synchronized exactly once."""
    services = two_thousand
    await sandbox.set_faults(latency_ms=20)  # the waiting is the services'
    run = await start_full_synchronization(services, ["CUSTOMER"], actor="t")
    assert run.id is not None
    workers = [await worker(process_settings), await worker(process_settings)]
    coordinator = await child(process_settings, "full", run.id)
    by_pid = {process.pid: process for process in workers}
    try:

        async def claimed_by_a_worker() -> asyncio.subprocess.Process | None:
            # Whichever worker is first to hold a page is the one killed: which one gets a
            # page first is up to the queue.
            async for page in services.db["run_partitions"].find(
                {"run_id": run.id, "status": "claimed", "owner": {"$regex": "^worker:"}}
            ):
                pid = int(str(page["owner"]).split(":")[1])
                if pid in by_pid:
                    return by_pid[pid]
            return None

        victim = await eventually(claimed_by_a_worker, timeout=300, what="a page taken by a worker")
        victim.kill()
        await victim.wait()
        _, err = await asyncio.wait_for(coordinator.communicate(), timeout=600)
        assert coordinator.returncode == 0, err.decode()[-2000:]
    finally:
        for process in workers:
            if process.returncode is None:
                process.kill()
                await process.wait()

    done = await services.runs.get(run.id)
    assert done is not None
    assert done.status is RunStatus.SUCCEEDED, done.message
    await assert_synchronized_once(services, sandbox)
    couplings = await services.couplings.count("CUSTOMER")
    assert couplings == 1400  # 600 pairs found by number, 400 accounts and 400 customers made
    assert done.counters.coupled == couplings  # each pair counted once, wherever it was made
    assert done.by_mapping["CUSTOMER"].coupled == couplings
    assert done.counters.failed == 0
    unapplied = await services.db["run_partitions"].count_documents(
        {"run_id": run.id, "status": {"$ne": "applied"}}
    )
    assert unapplied == 0

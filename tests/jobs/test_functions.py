"""Work the schedule does without being asked: failed records tried again by their mapping's
next run, and the statistics update enqueued by name as the API or an operator would."""

from __future__ import annotations

from arq.jobs import Job

from gateway.services import Services
from gateway.store.sync_runs import RunStatus
from gateway.sync.full import run_full_synchronization, start_full_synchronization
from gateway.sync.incremental import run_incremental
from tests.jobs.support import drain
from tests.support_sandbox import SandboxHandle
from tests.sync.support import PARTIES_ONLY


async def full(services: Services, *names: str) -> None:
    run = await start_full_synchronization(services, list(names), actor="t")
    assert run.id is not None
    done = await run_full_synchronization(services, run.id)
    assert done.status is RunStatus.SUCCEEDED, done.message


async def test_the_next_run_takes_up_what_failed_for_a_missing_dependency(
    job_services: Services, sandbox: SandboxHandle
) -> None:
    """Customers refused because their salesperson was not coupled yet go across with the
    next scheduled run once SALESPEOPLE has coupled them, though nothing about them changed."""
    services = job_services
    await sandbox.seed(accounts=12, **PARTIES_ONLY)
    await full(services, "CURRENCY", "CUSTOMER")  # salespeople not coupled yet
    errors = services.sync_errors
    failed = await errors.count("CUSTOMER")
    assert failed > 0
    stuck, _ = await errors.page(mapping="CUSTOMER", size=100)
    assert all(e.code == "DEPENDENCY_NOT_COUPLED" for e in stuck)
    uncoupled = sum(1 for e in stuck if None in (e.erp_id, e.crm_id))  # the others: by key
    before = await services.couplings.count("CUSTOMER")
    await full(services, "SALESPEOPLE")

    run = await run_incremental(services, "CUSTOMER")

    assert run.status is RunStatus.SUCCEEDED, run.message
    assert run.counters.failed == 0
    assert run.counters.inserted == uncoupled
    assert await errors.count("CUSTOMER") == 0
    assert await services.couplings.count("CUSTOMER") == before + uncoupled
    again = await run_incremental(services, "CUSTOMER")
    assert (again.counters.inserted, again.counters.modified) == (0, 0)


async def test_update_statistics_runs_as_a_job(
    job_services: Services, sandbox: SandboxHandle
) -> None:
    services = job_services
    await sandbox.seed(accounts=6, **{**PARTIES_ONLY, "invoices": 6})
    await full(services, "SALESPEOPLE", "CURRENCY", "CUSTOMER")

    job = await services.redis.enqueue_job("update_statistics")
    assert job is not None
    await drain(services.settings)

    result = await Job(job.job_id, services.redis).result(timeout=5)
    assert result["status"] == "SUCCEEDED", result
    run = await services.db["sync_runs"].find_one({"trigger": "updateAccountStatistics"})
    assert run is not None
    assert run["counters"]["modified"] > 0

"""Retries: a run stopped by 503s is tried again with backoff and succeeds; a fatal error
fails the run and puts the entry in ERROR with the message, and the entry's next run still
happens; a run that keeps failing gives up after the last try."""

from __future__ import annotations

from gateway.scheduling.scheduler import Scheduler
from gateway.services import Services
from gateway.store.job_queue import JobStatus
from gateway.store.sync_runs import RunStatus
from tests.jobs.conftest import create_counterparts, only
from tests.jobs.support import MovableClock, drain
from tests.jobs.test_scheduler import entry, run_of
from tests.support_sandbox import SandboxHandle


async def test_a_run_hitting_503s_is_retried_and_succeeds(
    seeded: Services, sandbox: SandboxHandle
) -> None:
    services = seeded
    await create_counterparts(services)
    await only(services, "CUSTOMER")
    clock = MovableClock()
    report = await Scheduler(services, clock=clock).tick()
    await sandbox.set_faults(fail_next={"count": 2, "status": 503})

    worker = await drain(services.settings, clock=clock)

    run = await run_of(services, report.started["CUSTOMER"])
    assert run.status is RunStatus.SUCCEEDED, run.message
    assert run.message is None
    assert worker.jobs_retried == 2
    assert worker.jobs_complete == 1
    assert worker.jobs_failed == 0
    after = await entry(services)
    assert (after.status, after.message) == (JobStatus.READY, None)
    couplings, _ = await services.couplings.page(mapping="CUSTOMER", size=100)
    assert len(couplings) == run.counters.coupled > 0  # created pairs are coupled too


async def test_a_fatal_error_fails_the_run_and_the_entry_and_the_next_run_still_happens(
    seeded: Services, sandbox: SandboxHandle
) -> None:
    services = seeded
    await only(services, "CUSTOMER")
    clock = MovableClock()
    scheduler = Scheduler(services, clock=clock)
    report = await scheduler.tick()
    await sandbox.set_faults(fail_next={"count": 1, "status": 403})

    worker = await drain(services.settings, clock=clock)

    assert worker.jobs_retried == 0
    failed = await run_of(services, report.started["CUSTOMER"])
    assert failed.status is RunStatus.FAILED
    assert "403" in (failed.message or "")
    broken = await entry(services)
    assert broken.status is JobStatus.ERROR
    assert broken.message == failed.message

    clock.advance(minutes=5)
    again = await scheduler.tick()
    assert list(again.started) == ["CUSTOMER"]
    await drain(services.settings, clock=clock)
    assert (await run_of(services, again.started["CUSTOMER"])).status is RunStatus.SUCCEEDED
    healed = await entry(services)
    assert (healed.status, healed.message) == (JobStatus.READY, None)


async def test_a_run_that_keeps_failing_gives_up_after_the_last_try(
    seeded: Services, sandbox: SandboxHandle
) -> None:
    services = seeded.settings.model_copy(update={"job_max_tries": 3})
    await only(seeded, "CUSTOMER")
    clock = MovableClock()
    report = await Scheduler(seeded, clock=clock).tick()
    await sandbox.set_faults(fail_next={"count": 50, "status": 503})

    worker = await drain(services, clock=clock)
    await sandbox.clear_faults()

    assert (worker.jobs_retried, worker.jobs_complete) == (2, 1)
    run = await run_of(seeded, report.started["CUSTOMER"])
    assert run.status is RunStatus.FAILED
    assert "gave up after 3 tries" in (run.message or "")
    assert (await entry(seeded)).status is JobStatus.ERROR

"""MongoDB is the truth, Redis only carries the work: runs queued when Redis lost its data
are queued again by the next tick and nothing is lost; a run left RUNNING by a dead worker is
taken over as a new attempt, and a job of the old attempt turning up later does nothing."""

from __future__ import annotations

from gateway.scheduling.execution import execute_run
from gateway.scheduling.queue import queue_full_synchronization
from gateway.scheduling.run_jobs import RunJobs
from gateway.scheduling.scheduler import Scheduler
from gateway.services import Services
from gateway.store.job_queue import JobStatus
from gateway.store.sync_runs import RunStatus, RunTrigger, SyncRun
from tests.jobs.conftest import create_counterparts, only
from tests.jobs.support import MovableClock, drain
from tests.jobs.test_scheduler import entry, run_of
from tests.support_sandbox import SandboxHandle
from tests.sync.test_processes import assert_synchronized_once

QUEUE = "arq:queue"


async def test_runs_queued_when_redis_lost_its_data_are_queued_again_and_nothing_is_lost(
    seeded: Services, sandbox: SandboxHandle
) -> None:
    services = seeded
    await create_counterparts(services)
    await only(services, "CUSTOMER")
    clock = MovableClock()
    scheduler = Scheduler(services, clock=clock)
    scheduled = (await scheduler.tick()).started["CUSTOMER"]
    full = await queue_full_synchronization(services, ["UNIT OF MEASURE"], actor="t")
    assert full.id is not None
    assert await services.redis.zcard(QUEUE) == 2

    await services.redis.flushdb()
    assert await services.redis.zcard(QUEUE) == 0

    again = await scheduler.tick()
    assert sorted(again.requeued) == sorted([scheduled, full.id])
    assert again.started == {}  # the entry is still IN_PROCESS with its run
    assert (await scheduler.tick()).requeued == []  # arq knows those jobs now
    worker = await drain(services.settings, clock=clock)

    assert worker.jobs_complete == 2
    for run_id in (scheduled, full.id):
        run = await run_of(services, run_id)
        assert run.status is RunStatus.SUCCEEDED, run.message
    assert (await entry(services)).status is JobStatus.READY
    await assert_synchronized_once(services, sandbox)
    units, _ = await services.couplings.page(mapping="UNIT OF MEASURE", size=100)
    assert units


async def test_a_run_left_running_by_a_dead_worker_is_taken_over_as_a_new_attempt(
    seeded: Services, sandbox: SandboxHandle
) -> None:
    services = seeded
    await create_counterparts(services)
    run = await RunJobs(services.db).create(
        SyncRun(mapping="CUSTOMER", direction="BIDIRECTIONAL", trigger="scheduled", actor="t")
    )
    assert run.id is not None
    await services.runs.start(run.id)  # its worker died right after this
    scheduler = Scheduler(services, clock=MovableClock())
    await only(services)  # no entry of its own starts

    report = await scheduler.tick()

    assert report.taken_over == [run.id]
    carried = await RunJobs(services.db).get(run.id)
    assert carried is not None
    assert (carried.status, carried.attempt) == (RunStatus.QUEUED, 2)
    assert "taken over" in ((await run_of(services, run.id)).message or "")
    late = await execute_run(services, run.id, 1)  # a job of the dead attempt, redelivered
    assert late.status == "stale"
    await drain(services.settings)
    assert (await run_of(services, run.id)).status is RunStatus.SUCCEEDED
    await assert_synchronized_once(services, sandbox)


async def test_a_full_synchronization_left_running_is_resumed_by_the_scheduler(
    seeded: Services,
) -> None:
    services = seeded
    full = await queue_full_synchronization(services, ["UNIT OF MEASURE"], actor="t")
    assert full.id is not None
    await services.redis.flushdb()
    await services.runs.start(full.id)  # stored as the engine does, no job

    report = await Scheduler(services, clock=MovableClock()).tick()

    assert report.taken_over == [full.id]
    await drain(services.settings)
    done = await run_of(services, full.id)
    assert (done.status, done.trigger) == (RunStatus.SUCCEEDED, RunTrigger.FULL_SYNCHRONIZATION)

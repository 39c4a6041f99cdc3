"""Two workers, one mapping: never two runs of it at once. Both workers take a job of the
same mapping at the same moment; the mapping's lease lets one run and turns the other away
(an incremental run) or makes it wait (a full synchronization). Either way every record is
synchronized once, and the runs' writes never interleave."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import datetime

from arq.worker import Worker

from gateway.scheduling.queue import enqueue, queue_full_synchronization
from gateway.scheduling.run_jobs import RunJobs
from gateway.services import Services
from gateway.store.sync_runs import RunStatus, SyncRun
from tests.jobs.conftest import create_counterparts, only
from tests.jobs.support import running_worker, wait_for
from tests.support_sandbox import SandboxHandle
from tests.sync.test_processes import assert_synchronized_once


async def started(worker: Worker) -> bool:
    return "services" in worker.ctx


async def completed(first: Worker, second: Worker, jobs: int) -> bool:
    return first.jobs_complete + second.jobs_complete >= jobs


async def finished(services: Services, run_ids: list[str]) -> list[SyncRun] | None:
    runs = await services.runs.get_many(run_ids)
    if all(run is not None and run.status.finished for run in runs):
        return [run for run in runs if run is not None]
    return None


async def write_intervals(services: Services) -> dict[str, tuple[datetime, datetime]]:
    """Per run, the first and last write it logged."""
    moments: dict[str, list[datetime]] = defaultdict(list)
    async for doc in services.db["integration_log"].find({"details.run": {"$exists": True}}):
        moments[doc["details"]["run"]].append(doc["at"])
    return {run: (min(at), max(at)) for run, at in moments.items()}


async def scheduled_run(services: Services) -> str:
    run = await RunJobs(services.db).create(
        SyncRun(mapping="CUSTOMER", direction="BIDIRECTIONAL", trigger="scheduled", actor="t")
    )
    assert run.id is not None
    return run.id


async def test_two_workers_never_run_one_mapping_twice_at_once(
    seeded: Services, sandbox: SandboxHandle
) -> None:
    services = seeded
    await create_counterparts(services)
    await only(services)
    settings = services.settings
    async with (
        running_worker(settings, max_jobs=1) as first,
        running_worker(settings, max_jobs=1) as second,
    ):
        await wait_for(lambda: started(first), what="the first worker's start")
        await wait_for(lambda: started(second), what="the second worker's start")
        # Slow answers keep the first run going until the other worker has taken its job.
        await sandbox.set_faults(latency_ms=300)
        both = [await scheduled_run(services), await scheduled_run(services)]
        for run_id in both:
            await enqueue(services.redis, run_id, 1)
        runs = await wait_for(lambda: finished(services, both), what="both runs")
        await wait_for(lambda: completed(first, second, 2), what="both jobs")
        await sandbox.clear_faults()

        assert (first.jobs_complete, second.jobs_complete) == (1, 1)
        by_status = {run.status: run for run in runs}
        assert set(by_status) == {RunStatus.SUCCEEDED, RunStatus.CANCELLED}, runs
        winner, loser = by_status[RunStatus.SUCCEEDED], by_status[RunStatus.CANCELLED]
        assert f"being synchronized elsewhere (by {winner.id})" in (loser.message or "")
        assert winner.counters.inserted > 0

        # A full synchronization and a scheduled run of the same mapping: the full one waits
        # for the lease (or the scheduled one is turned away); their writes never interleave.
        full = await queue_full_synchronization(services, ["CUSTOMER"], actor="t")
        assert full.id is not None
        other = await scheduled_run(services)
        await enqueue(services.redis, other, 1)
        again = await wait_for(lambda: finished(services, [full.id or "", other]), what="runs")
        assert {run.status for run in again} <= {RunStatus.SUCCEEDED, RunStatus.CANCELLED}
        await wait_for(lambda: completed(first, second, 4), what="four jobs")

    await assert_synchronized_once(services, sandbox)
    intervals = sorted((await write_intervals(services)).values())
    for (_, end), (start, _) in itertools.pairwise(intervals):
        assert end <= start, intervals

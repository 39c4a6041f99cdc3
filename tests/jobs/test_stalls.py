"""A run's tries are counted while it does not get further: a long run under intermittent
faults or lost workers is not given up as long as each try moves it on."""

from __future__ import annotations

from gateway.scheduling.run_jobs import RunJobs
from gateway.services import Services
from gateway.store.sync_runs import Counters, RunTrigger, SyncRun


async def test_tries_without_progress_are_counted_and_progress_resets_them(
    services: Services,
) -> None:
    jobs = RunJobs(services.db)
    run = await jobs.create(
        SyncRun("CUSTOMER", "BIDIRECTIONAL", RunTrigger.FULL_SYNCHRONIZATION, "t")
    )
    assert run.id is not None
    carried = await jobs.get(run.id)
    assert carried is not None
    assert carried.progress_mark == 0

    assert [await jobs.stalled(run.id, 0) for _ in range(3)] == [1, 2, 3]

    await services.runs.record_progress(
        run.id, Counters(inserted=25), checkpoint={"pages": 1, "stages": []}
    )
    moved = await jobs.get(run.id)
    assert moved is not None
    assert moved.progress_mark == 26  # 25 records and one page
    assert await jobs.stalled(run.id, moved.progress_mark) == 1
    assert await jobs.stalled(run.id, moved.progress_mark) == 2

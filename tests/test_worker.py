"""An arq worker, in burst mode against the real Redis, runs a job that reaches MongoDB."""

from __future__ import annotations

from arq.jobs import Job
from arq.worker import Worker

from gateway.services import Services
from jobs.worker import WorkerSettings, worker_options


async def test_a_worker_runs_a_job_against_mongodb_and_redis(services: Services) -> None:
    job = await services.redis.enqueue_job("ping")
    assert job is not None
    worker = Worker(
        functions=WorkerSettings.functions,
        on_startup=WorkerSettings.on_startup,
        on_shutdown=WorkerSettings.on_shutdown,
        **worker_options(services.settings, burst=True),
    )
    try:
        await worker.main()
    finally:
        await worker.close()
    result = await Job(job.job_id, services.redis).result(timeout=5)
    assert result["mongo"][0].isdigit()
    assert result["redis"][0].isdigit()
    assert worker.jobs_complete == 1

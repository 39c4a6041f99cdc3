"""An arq worker, in burst mode against the real Redis, runs a job that reaches MongoDB, and
closes what it opened however it stops."""

from __future__ import annotations

import asyncio
import contextlib

from arq.jobs import Job

from gateway.services import Services
from gateway.settings import Settings
from tests.jobs.support import drain, make_worker


async def test_a_worker_runs_a_job_against_mongodb_and_redis(services: Services) -> None:
    job = await services.redis.enqueue_job("ping")
    assert job is not None
    worker = await drain(services.settings)
    result = await Job(job.job_id, services.redis).result(timeout=5)
    assert result["mongo"][0].isdigit()
    assert result["redis"][0].isdigit()
    assert worker.jobs_complete == 1


async def test_a_worker_stopped_during_start_up_closes_its_database_connections(
    settings: Settings,
) -> None:
    # A MongoDB that accepts connections and never answers keeps the start-up waiting.
    connected = asyncio.Event()
    hung_up = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connected.set()
        await reader.read()  # until the client closes its end
        hung_up.set()
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    stalled = settings.model_copy(update={"mongodb_url": f"mongodb://127.0.0.1:{port}/"})
    worker = make_worker(stalled)
    async with server:
        task = asyncio.create_task(worker.main())
        await asyncio.wait_for(connected.wait(), timeout=10)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await worker.close()
        await asyncio.wait_for(hung_up.wait(), timeout=10)
    assert "services" in worker.ctx

"""Helpers for job tests: workers in this event loop (burst, or running until stopped), a
clock the test moves, and waiting for a condition with a deadline."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from arq.worker import Worker

from gateway.scheduling.clock import Clock
from gateway.settings import Settings
from jobs.worker import WorkerSettings, worker_options
from tests.support import eventually

T = TypeVar("T")


@dataclass
class MovableClock:
    """Starts at the real time (to the millisecond, as MongoDB keeps it) and moves only when
    the test says so."""

    now: datetime = field(default_factory=lambda: _to_ms(datetime.now(UTC)))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def _to_ms(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def make_worker(
    settings: Settings,
    *,
    burst: bool = True,
    clock: Clock | None = None,
    cron: bool = False,
    **options: Any,
) -> Worker:
    arguments = worker_options(settings, burst=burst)
    if not cron:
        arguments["cron_jobs"] = []
    if clock is not None:
        arguments["ctx"] = {**arguments["ctx"], "clock": clock}
    arguments["poll_delay"] = 0.05
    arguments.update(options)
    return Worker(
        functions=WorkerSettings.functions,
        on_startup=WorkerSettings.on_startup,
        on_shutdown=WorkerSettings.on_shutdown,
        **arguments,
    )


async def drain(settings: Settings, *, clock: Clock | None = None, **options: Any) -> Worker:
    """Run a burst worker until the queue is empty (deferred retries included)."""
    worker = make_worker(settings, burst=True, clock=clock, **options)
    try:
        await worker.main()
    finally:
        await worker.close()
    return worker


@contextlib.asynccontextmanager
async def running_worker(
    settings: Settings, *, clock: Clock | None = None, cron: bool = False, **options: Any
) -> AsyncIterator[Worker]:
    """A long-running worker in this event loop, stopped when the block ends."""
    worker = make_worker(settings, burst=False, clock=clock, cron=cron, **options)
    task = asyncio.create_task(worker.main())
    try:
        yield worker
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await worker.close()


async def wait_for(
    check: Callable[[], Awaitable[T | None]], *, timeout: float = 120.0, what: str = "it"
) -> T:
    """Poll `check` until it returns something truthy, or fail the test."""
    return await eventually(check, timeout=timeout, what=what)

"""Sends this process's events (and run counters) to Redis from one background task.

Posting never blocks: events wait in a bounded queue, and the task sends whatever has gathered
in one pipeline, the same object's repeated events once. Counters (HINCRBY) are never merged
away. When the queue is full (Redis far behind), events are dropped with a warning:
subscriptions catch up by re-reading on their timer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.events.model import Event, channel_name, namespace
from gateway.observability.run_metrics import Increment, metrics_key

log = logging.getLogger(__name__)

QUEUE_LIMIT = 10_000
FLUSH_TIMEOUT_SECONDS = 5.0
RETRY_DELAY_SECONDS = 1.0

Item = Event | Increment


class EventPublisher:
    def __init__(self, redis: Redis, database: str) -> None:
        self._redis = redis
        self.namespace = namespace(database)
        self.channel = channel_name(database)
        self._queue: asyncio.Queue[Item] | None = None
        self._task: asyncio.Task[None] | None = None
        self._dropped = 0

    def post(self, event: Event) -> None:
        self._put(event)

    def count(self, increments: Sequence[Increment]) -> None:
        for increment in increments:
            self._put(increment)

    def _put(self, item: Item) -> None:
        queue = self._ensure_running()
        try:
            queue.put_nowait(item)
        except asyncio.QueueFull:
            self._dropped += 1
            if self._dropped == 1 or self._dropped % 1000 == 0:
                log.warning("events dropped: Redis is not keeping up (%d so far)", self._dropped)

    def _ensure_running(self) -> asyncio.Queue[Item]:
        if self._queue is None:
            self._queue = asyncio.Queue(QUEUE_LIMIT)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._run(self._queue), name="events-publisher"
            )
        return self._queue

    async def _run(self, queue: asyncio.Queue[Item]) -> None:
        while True:
            batch = [await queue.get()]
            while not queue.empty():
                batch.append(queue.get_nowait())
            await self._send(batch)
            for _ in batch:
                queue.task_done()

    async def _send(self, batch: list[Item]) -> None:
        events = list({item.key: item for item in batch if isinstance(item, Event)}.values())
        increments = [item for item in batch if isinstance(item, Increment)]
        while True:
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for increment in increments:
                        pipe.hincrby(
                            metrics_key(self.namespace, increment.name),
                            increment.field,
                            increment.amount,
                        )
                    for event in events:
                        pipe.publish(self.channel, event.encode())
                    await pipe.execute()
                return
            except RedisError as exc:
                if not increments:  # a lost event is caught up by re-reading; a count is not
                    log.debug("events not published: %s", type(exc).__name__)
                    return
                log.warning("run counters not sent yet: Redis failed (%s)", type(exc).__name__)
                await asyncio.sleep(RETRY_DELAY_SECONDS)

    async def aclose(self) -> None:
        """Send what is queued (for a few seconds at most), then stop."""
        if self._task is None:
            return
        if self._queue is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queue.join(), FLUSH_TIMEOUT_SECONDS)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

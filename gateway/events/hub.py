"""One Redis subscription per API process, fanned out to the GraphQL subscriptions it serves.

Each subscription gets a `Listener`: the events it accepts gather there, the same object's
merged into one, until the subscription takes them. A slow client therefore never holds a
backlog, only the set of objects that changed since it last looked. When the Redis connection
drops, every listener is told to re-read (events may have been missed) while the hub
reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from gateway.events.model import Event

log = logging.getLogger(__name__)

RECONNECT_DELAY_SECONDS = 1.0
Accept = Callable[[Event], bool]


class Listener:
    def __init__(self, accept: Accept) -> None:
        self.accept = accept
        self._pending: dict[tuple[str, str], Event] = {}
        self._resync = False
        self._wake = asyncio.Event()

    def offer(self, event: Event) -> None:
        if self.accept(event):
            self._pending[event.key] = event
            self._wake.set()

    def resync(self) -> None:
        self._resync = True
        self._wake.set()

    async def next(self, timeout: float) -> tuple[list[Event], bool]:
        """The events gathered since the last call (waiting up to `timeout` for one), and
        whether the subscriber must re-read everything (events may have been missed; also
        when the wait timed out, so that nothing depends on Redis alone)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)
        self._wake.clear()
        events, self._pending = list(self._pending.values()), {}
        resync, self._resync = self._resync or not events, False
        return events, resync


class EventHub:
    def __init__(self, redis: Redis, channel: str) -> None:
        self._redis = redis
        self._channel = channel
        self._listeners: set[Listener] = set()
        self._reader: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    @contextlib.asynccontextmanager
    async def listen(self, accept: Accept) -> AsyncIterator[Listener]:
        """A listener registered until the block ends; events published from the moment the
        block starts reach it (the hub's subscription is in place before it is handed out)."""
        listener = Listener(accept)
        self._listeners.add(listener)
        try:
            if self._reader is None or self._reader.done():
                self._subscribed.clear()
                self._reader = asyncio.create_task(self._read(), name="events-hub")
            await self._subscribed.wait()
            yield listener
        finally:
            self._listeners.discard(listener)

    async def _read(self) -> None:
        while True:
            pubsub: PubSub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self._channel)
                self._subscribed.set()
                while True:
                    message = await pubsub.get_message(timeout=None)
                    if message is not None and message.get("type") == "message":
                        self._dispatch(message["data"])
            except (RedisError, OSError) as exc:
                log.warning(
                    "live updates paused: the Redis subscription failed (%s); reconnecting",
                    type(exc).__name__,
                )
                for listener in list(self._listeners):
                    listener.resync()
                self._subscribed.set()  # listeners fall back to re-reading on their timer
                await asyncio.sleep(RECONNECT_DELAY_SECONDS)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

    def _dispatch(self, data: bytes | str) -> None:
        event = Event.decode(data)
        if event is None:
            return
        for listener in list(self._listeners):
            listener.offer(event)

    async def aclose(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None

"""Delivering notifications over HTTP from the sandbox process: an asyncio task that sends each
delivery when it is due, tries failed ones again with a doubling delay, and applies the
switches of `NotificationSettings` (late, lost, duplicated, reordered).

Both emulated services hand their deliveries to one `Outbox`; what a failure means (retry or
not, what to do after the last try) is theirs to say on each `Delivery`.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from sandbox.notify.settings import NotificationSettings

_log = logging.getLogger("sandbox.notify")
_AT_ONCE = 8  # deliveries in flight at once (outside reorder mode)


@dataclass
class Delivery:
    api: str  # "bc" / "dataverse": the key of its statistics
    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    # Whether an answer (None: no answer at all) is worth another try.
    retriable: Callable[[int | None], bool] = lambda status: True
    # Called once the delivery failed for good, with the last answer's status.
    given_up: Callable[[int | None], None] | None = None
    attempt: int = 0


class DeliveryStats:
    """What happened to deliveries since the last reset, per API."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()

    def add(self, api: str, what: str, count: int = 1) -> None:
        self.counts[(api, what)] += count

    def get(self, api: str, what: str) -> int:
        return self.counts[(api, what)]

    def snapshot(self) -> dict[str, dict[str, int]]:
        result: dict[str, dict[str, int]] = {}
        for (api, what), count in sorted(self.counts.items()):
            result.setdefault(api, {})[what] = count
        return result

    def reset(self) -> None:
        self.counts.clear()


class Outbox:
    def __init__(self, settings: Callable[[], NotificationSettings]) -> None:
        self._settings = settings
        self.stats = DeliveryStats()
        self._queue: list[tuple[float, int, Delivery]] = []
        self._order = itertools.count()
        self._added = asyncio.Event()
        self._last_added = 0.0
        self._random = random.Random()  # noqa: S311 - fault injection, not security
        self._task: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(_AT_ONCE)
        self.http: httpx.AsyncClient | None = None

    def configure(self, settings: NotificationSettings) -> None:
        self._random = random.Random(settings.seed)  # noqa: S311

    async def start(self) -> None:
        self.http = httpx.AsyncClient(follow_redirects=False)
        self._task = asyncio.create_task(self._run(), name="sandbox-notifications")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for task in list(self._sending):
            task.cancel()
        await asyncio.gather(*self._sending, return_exceptions=True)
        if self.http is not None:
            await self.http.aclose()

    def clear(self) -> None:
        """Forget every pending delivery (the sandbox was reset)."""
        self._queue.clear()
        self.stats.reset()

    @property
    def pending(self) -> int:
        return len(self._queue)

    def post(self, delivery: Delivery, *, delay: float = 0.0) -> None:
        """Send `delivery` after `delay` seconds (plus the configured lateness)."""
        late = self._settings().late_ms / 1000
        now = time.monotonic()
        heapq.heappush(self._queue, (now + delay + late, next(self._order), delivery))
        self._last_added = now
        self._added.set()

    async def request(
        self, method: str, url: str, *, params: dict[str, str], timeout: float
    ) -> httpx.Response:
        assert self.http is not None, "the outbox is not started"
        return await self.http.request(method, url, params=params, timeout=timeout)

    # ---- the loop --------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            if not self._queue:
                self._added.clear()
                await self._added.wait()
                continue
            settings = self._settings()
            now = time.monotonic()
            if settings.reorder:
                quiet_until = self._last_added + settings.delay_ms / 1000
                due = max(self._queue[0][0], quiet_until)
            else:
                due = self._queue[0][0]
            if due > now:
                self._added.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._added.wait(), due - now)
                continue
            if settings.reorder:  # everything waiting, newest first, one after the other
                batch = [item[2] for item in sorted(self._queue, reverse=True)]
                self._queue.clear()
                for delivery in batch:
                    await self._send(delivery)
                continue
            while self._queue and self._queue[0][0] <= now:
                delivery = heapq.heappop(self._queue)[2]
                await self._slots.acquire()
                task = asyncio.create_task(self._send_released(delivery))
                self._sending.add(task)
                task.add_done_callback(self._sending.discard)

    async def _send_released(self, delivery: Delivery) -> None:
        try:
            await self._send(delivery)
        finally:
            self._slots.release()

    async def _send(self, delivery: Delivery) -> None:
        settings = self._settings()
        if delivery.attempt == 0 and self._lose(settings):
            self.stats.add(delivery.api, "lost")
            return
        copies = 2 if delivery.attempt == 0 and self._duplicate(settings) else 1
        if copies == 2:
            self.stats.add(delivery.api, "duplicated")
        for _ in range(copies):
            status = await self._attempt(delivery, settings)
        self._settle(delivery, status, settings)

    async def _attempt(self, delivery: Delivery, settings: NotificationSettings) -> int | None:
        assert self.http is not None
        try:
            response = await self.http.post(
                delivery.url,
                content=delivery.body,
                headers={"Content-Type": "application/json", **delivery.headers},
                timeout=settings.timeout_ms / 1000,
            )
        except httpx.HTTPError as exc:
            _log.info("delivery to %s failed: %s", delivery.url, type(exc).__name__)
            return None
        return response.status_code

    def _settle(
        self, delivery: Delivery, status: int | None, settings: NotificationSettings
    ) -> None:
        if status is not None and 200 <= status < 300:
            self.stats.add(delivery.api, "delivered")
            return
        self.stats.add(delivery.api, "failed")
        delivery.attempt += 1
        if delivery.attempt < settings.max_attempts and delivery.retriable(status):
            self.stats.add(delivery.api, "retried")
            wait = settings.retry_base_ms / 1000 * 2 ** (delivery.attempt - 1)
            heapq.heappush(self._queue, (time.monotonic() + wait, next(self._order), delivery))
            self._added.set()
            return
        self.stats.add(delivery.api, "given_up")
        if delivery.given_up is not None:
            delivery.given_up(status)

    def _lose(self, settings: NotificationSettings) -> bool:
        if settings.lose_next > 0:
            settings.lose_next -= 1
            return True
        return settings.lose_rate > 0 and self._random.random() < settings.lose_rate

    def _duplicate(self, settings: NotificationSettings) -> bool:
        if settings.duplicate_next > 0:
            settings.duplicate_next -= 1
            return True
        return settings.duplicate_rate > 0 and self._random.random() < settings.duplicate_rate

"""The queue between the receiver and the job that carries notifications (Redis).

Per mapping and side, a sorted set of record ids scored by when a notification for them last
arrived: the same record notified twice (a duplicate, or changed again) is one member. A
`collection` notification (many records changed) leaves, per mapping, the earliest moment
from which changes must be read.

Coalescing: each notification schedules the job `carry_notifications(mapping)` at the end of
its window (`NOTIFICATION_WINDOW_SECONDS`), under an id made of the mapping and the window,
so that all notifications of one mapping in one window are carried by one job (arq keeps one
job per id). The job takes what is queued a page at a time and, once applied, removes only
the members whose score did not move meanwhile: a record notified again while it was being
carried stays queued, and is carried again.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from arq.connections import ArqRedis

from gateway.types import SideName

JOB = "carry_notifications"

# Remove each member whose score is still at most the one given: it was not notified again.
_REMOVE_UNCHANGED = """
for i = 1, #ARGV, 2 do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score and tonumber(score) <= tonumber(ARGV[i + 1]) then
    redis.call('ZREM', KEYS[1], ARGV[i])
  end
end
return 0
"""


def _records_key(mapping: str, side: SideName) -> str:
    return f"notify:{mapping}:{side}"


def _collection_key(mapping: str) -> str:
    return f"notify:{mapping}:collection"


class PendingChanges:
    def __init__(self, redis: ArqRedis, *, window: float) -> None:
        self._redis = redis
        self._window = window
        self._remove = redis.register_script(_REMOVE_UNCHANGED)

    async def add(
        self,
        mapping: str,
        side: SideName,
        ids: Sequence[str],
        *,
        since: datetime | None = None,
        now: float | None = None,
    ) -> None:
        """Queue records (and/or a collection since `since`) and schedule the window's job."""
        now = time.time() if now is None else now
        pipe = self._redis.pipeline(transaction=False)
        if ids:
            pipe.zadd(_records_key(mapping, side), dict.fromkeys(ids, now))
        if since is not None:
            pipe.zadd(_collection_key(mapping), {side: since.timestamp()}, lt=True)
        await pipe.execute()
        await self.schedule(mapping, now=now)

    async def schedule(self, mapping: str, *, now: float | None = None, later: float = 0) -> None:
        """The job of the window `later` seconds from now (one per mapping and window)."""
        moment = (time.time() if now is None else now) + later
        slot = math.floor(moment / self._window)
        await self._redis.enqueue_job(
            JOB,
            mapping,
            _job_id=f"notify:{mapping}:{slot}",
            _defer_until=datetime.fromtimestamp((slot + 1) * self._window, UTC),
        )

    async def waiting(self, mapping: str) -> int:
        """How many records and collections are queued for `mapping`."""
        pipe = self._redis.pipeline(transaction=False)
        pipe.zcard(_records_key(mapping, "erp"))
        pipe.zcard(_records_key(mapping, "crm"))
        pipe.zcard(_collection_key(mapping))
        return sum(int(count) for count in await pipe.execute())

    async def take(
        self, mapping: str, side: SideName, limit: int, *, until: float
    ) -> list[tuple[str, float]]:
        """Up to `limit` records notified at `until` or before, oldest first, with their scores
        (a record notified later is the next window's)."""
        found = await self._redis.zrangebyscore(
            _records_key(mapping, side), "-inf", until, start=0, num=limit, withscores=True
        )
        return [(_text(member), float(score)) for member, score in found]

    async def done(self, mapping: str, side: SideName, taken: Sequence[tuple[str, float]]) -> None:
        if taken:
            args = [value for member, score in taken for value in (member, repr(score))]
            await self._remove(keys=[_records_key(mapping, side)], args=args)

    async def collections(self, mapping: str) -> dict[SideName, float]:
        """Per side, the moment (epoch seconds) since which changes must be read."""
        found = await self._redis.zrange(_collection_key(mapping), 0, -1, withscores=True)
        sides: dict[SideName, float] = {}
        for member, score in found:
            side = _text(member)
            if side in ("erp", "crm"):
                sides["erp" if side == "erp" else "crm"] = float(score)
        return sides

    async def collection_done(self, mapping: str, side: SideName, since: float) -> None:
        await self._remove(keys=[_collection_key(mapping)], args=[side, repr(since)])

    async def drop(self, mapping: str) -> int:
        """Forget what is queued for `mapping` (it is paused: its schedule will catch up)."""
        keys = [
            _records_key(mapping, "erp"),
            _records_key(mapping, "crm"),
            _collection_key(mapping),
        ]
        pipe = self._redis.pipeline(transaction=False)
        for key in keys[:2]:
            pipe.zcard(key)
        pipe.delete(*keys)
        counts = await pipe.execute()
        return int(counts[0]) + int(counts[1])


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value

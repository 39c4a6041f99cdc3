"""A per-key rate limit kept in Redis, so that every replica draws on the same budget.

A fixed window: the first request of a window creates a counter that expires with the window;
each request increments it. One script call per request does both and reports the time left,
atomically and in one round trip. Fixed windows allow a burst of up to twice the limit across
a window boundary; that is the price of one key and one command per request.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from redis.asyncio import Redis

_HIT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""

KEY_PREFIX = "gateway:ratelimit:"


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    retry_after_seconds: int


class RateLimiter:
    """`limit` requests per `window_seconds` for each key id; a limit of 0 turns it off."""

    def __init__(self, redis: Redis, *, limit: int, window_seconds: int) -> None:
        self._limit = limit
        self._window_ms = window_seconds * 1000
        self._hit = redis.register_script(_HIT)

    @property
    def enabled(self) -> bool:
        return self._limit > 0

    async def hit(self, key_id: str) -> RateDecision:
        if not self.enabled:
            return RateDecision(True, 0, 0, 0)
        count, ttl_ms = await self._hit(keys=[KEY_PREFIX + key_id], args=[self._window_ms])
        count, ttl_ms = int(count), int(ttl_ms)
        return RateDecision(
            allowed=count <= self._limit,
            limit=self._limit,
            remaining=max(self._limit - count, 0),
            retry_after_seconds=max(math.ceil(ttl_ms / 1000), 1),
        )

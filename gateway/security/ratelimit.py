"""Rate limits kept in Redis, so that every replica draws on the same budget.

A fixed window: the first hit of a window creates a counter that expires with the window; each
hit adds its points (a GraphQL request: its cost, see `schema.preflight`). One script call does
both and reports the time left, atomically and in one round trip; `peek` reads without adding.
Fixed windows allow a burst of up to twice the limit across a window boundary; that is the
price of one key and one command per request.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from redis.asyncio import Redis

_HIT = """
local count = redis.call('INCRBY', KEYS[1], ARGV[2])
if count == tonumber(ARGV[2]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""

_PEEK = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
return {count, redis.call('PTTL', KEYS[1])}
"""

KEY_PREFIX = "gateway:ratelimit:"


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    retry_after_seconds: int


class RateLimiter:
    """`limit` points per `window_seconds` for each key; a limit of 0 turns it off. `prefix`
    keeps budgets of different kinds apart (API keys, failed logins per address)."""

    def __init__(
        self, redis: Redis, *, limit: int, window_seconds: int, prefix: str = KEY_PREFIX
    ) -> None:
        self._limit = limit
        self._window_ms = window_seconds * 1000
        self._prefix = prefix
        self._hit = redis.register_script(_HIT)
        self._peek = redis.register_script(_PEEK)

    @property
    def enabled(self) -> bool:
        return self._limit > 0

    async def hit(self, key_id: str, points: int = 1) -> RateDecision:
        """Add `points` to the key's window; allowed while the total stays within the limit."""
        if not self.enabled:
            return RateDecision(True, 0, 0, 0)
        count, ttl_ms = await self._hit(
            keys=[self._prefix + key_id], args=[self._window_ms, points]
        )
        return self._decision(int(count), int(ttl_ms))

    async def peek(self, key_id: str) -> RateDecision:
        """Whether the key's window has room left, without adding to it."""
        if not self.enabled:
            return RateDecision(True, 0, 0, 0)
        count, ttl_ms = await self._peek(keys=[self._prefix + key_id])
        count = int(count)
        return self._decision(count + 1, int(ttl_ms) if count else self._window_ms)

    def _decision(self, count: int, ttl_ms: int) -> RateDecision:
        return RateDecision(
            allowed=count <= self._limit,
            limit=self._limit,
            remaining=max(self._limit - count, 0),
            retry_after_seconds=max(math.ceil(ttl_ms / 1000), 1),
        )

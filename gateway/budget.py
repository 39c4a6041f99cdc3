"""Each system's request budget, shared by every process of the gateway through Redis.

A system's limits hold for all of its clients together: Business Central processes five
requests of a user at a time, Dataverse 52, and both allow 6,000 requests per five minutes.
Every worker and API replica asks here before each request:

- a slot among the system's concurrent requests: a sorted set of leases, so that the slots of
  a process that dies come back when their lease ends;
- a request of the window's allowance (a counter per window);
- no pause: a 429 with `Retry-After` seen by any process stops every process until then.

One Lua script checks and takes all three atomically, on the Redis server's clock. If Redis
cannot be reached, the process falls back to its own limits (`*_MAX_CONCURRENCY`, which stay
an upper bound anyway) and says so in the log, once a minute at most.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# Answers of the script: a slot was taken (0), every slot is in use (-1), the window is spent
# (-2, then the milliseconds to the next window), or a pause (milliseconds left).
_TAKE = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local paused = tonumber(redis.call('GET', KEYS[3]) or '0')
if paused > ms then return {1, paused - ms} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return {-1, 0} end
local allowance = tonumber(ARGV[4])
if allowance > 0 then
  local window_ms = tonumber(ARGV[5])
  local window = math.floor(ms / window_ms)
  local key = KEYS[2] .. ':' .. window
  local used = redis.call('INCR', key)
  if used == 1 then redis.call('PEXPIRE', key, window_ms * 2) end
  if used > allowance then return {-2, (window + 1) * window_ms - ms} end
end
redis.call('ZADD', KEYS[1], ms + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 2)
return {0, 0}
"""
_PAUSE = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local until_ms = ms + tonumber(ARGV[1])
if until_ms > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], until_ms, 'PX', tonumber(ARGV[1]))
end
return until_ms
"""
_FULL_POLL_SECONDS = 0.02
_WARN_EVERY_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class BudgetLimits:
    """One system's budget (per credential, where several are used)."""

    concurrency: int  # requests in flight at once, all processes together
    requests: int  # requests per window, all processes together (0: no window)
    window_seconds: float
    lease_seconds: float  # how long a slot of a process that died stays taken


class RedisBudget:
    def __init__(self, redis: Redis, name: str, limits: BudgetLimits) -> None:
        self._redis = redis
        self._name = name
        self._limits = limits
        self._keys = [f"budget:{name}:slots", f"budget:{name}:window", f"budget:{name}:pause"]
        self._take = redis.register_script(_TAKE)
        self._pause = redis.register_script(_PAUSE)
        self._warned_at = 0.0

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        token = await self._acquire()
        try:
            yield
        finally:
            if token is not None:
                with contextlib.suppress(RedisError, OSError):
                    await self._redis.zrem(self._keys[0], token)

    async def pause(self, seconds: float) -> None:
        try:
            await self._pause(keys=[self._keys[2]], args=[max(1, int(seconds * 1000))])
        except (RedisError, OSError) as exc:
            self._unavailable(exc)

    async def _acquire(self) -> str | None:
        """A slot's token once one is free; None when Redis cannot be asked."""
        limits, token = self._limits, uuid.uuid4().hex
        args: list[str | int] = [
            token,
            limits.concurrency,
            int(limits.lease_seconds * 1000),
            limits.requests,
            int(limits.window_seconds * 1000),
        ]
        while True:
            try:
                answer, wait_ms = await self._take(keys=self._keys, args=args)
            except (RedisError, OSError) as exc:
                self._unavailable(exc)
                return None
            if int(answer) == 0:
                return token
            if int(answer) == -1:  # every slot in use: look again shortly
                await asyncio.sleep(_FULL_POLL_SECONDS * (1 + random.random()))  # noqa: S311
            else:
                await asyncio.sleep(int(wait_ms) / 1000)

    def _unavailable(self, exc: BaseException) -> None:
        now = time.monotonic()
        if now - self._warned_at > _WARN_EVERY_SECONDS:
            self._warned_at = now
            log.warning(
                "the request budget of %s cannot be shared (Redis: %s); "
                "this process keeps to its own limits",
                self._name,
                type(exc).__name__,
            )

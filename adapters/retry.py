"""When to try a request again, and how long to wait first.

Exponential backoff with full jitter (a random wait between zero and the exponential bound,
so that many clients throttled at once do not come back in step), overridden by the server's
`Retry-After` when it sends one. Both Dataverse and Business Central answer 429 with
`Retry-After` in seconds when a service-protection limit is hit; waiting less than that only
earns another 429.

Why not stamina or tenacity: the decision to retry here depends on the HTTP exchange (status,
`Retry-After`, whether the request was sent at all, whether it is safe to replay) and on the
token refresh that sits in the same loop; the concurrency slot must be released while waiting.
Expressed as a library's decorator this became harder to read than the twenty lines it
replaces, so the loop lives in each client (`ODataClient.send`, `TrytonRPC`) and the policy is
this small value object, the same for every connector.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# Statuses after which the request certainly did not take effect, so even a write may be sent
# again: throttled before processing, or the service refused to take it at all.
NOT_PROCESSED_STATUSES = frozenset({429, 503})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many times to try (the first attempt included) and how long to wait in between."""

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    # A server asking for a longer pause than this is not waited for inside one call: the
    # caller gets `RetriableError.retry_after` and can reschedule the work instead.
    max_retry_after: float = 120.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("delays cannot be negative")

    def delay(self, attempt: int, retry_after: float | None = None) -> float | None:
        """Seconds to wait after failed attempt number `attempt` (1-based), or None to give up."""
        if attempt >= self.max_attempts:
            return None
        if retry_after is not None:
            if retry_after > self.max_retry_after:
                return None
            # A little jitter on top, so that clients told the same instant do not collide.
            return retry_after + random.uniform(0, min(1.0, retry_after * 0.1))  # noqa: S311
        bound = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return random.uniform(0, bound)  # noqa: S311


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds: either delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())

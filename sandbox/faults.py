"""Fault switches, set at run time through `PUT /_sandbox/faults`.

- `throttle`: service protection. At most `limit` requests per `window_seconds` per client;
  beyond it, 429 with `Retry-After` (seconds until the window ends, or `retry_after_seconds`).
- `fail_next`: the next `count` requests fail with `status` (deterministic, for tests).
- `error_rate` / `error_status`: that fraction of requests fails at random (`seed` fixes the
  sequence).
- `latency_ms`: every request waits that long first.
- `operation_latency_ms`: each operation inside a `$batch` waits that long too, as the
  services carry them out one after another (and count each against their limits).
- `apis`: which APIs the faults apply to (default `dataverse`, `bc` and `projectserver`;
  `token` may be added).
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from typing import Any

APIS = frozenset({"dataverse", "bc", "projectserver", "token"})


class FaultSettingsError(ValueError):
    """A fault setting is invalid; the message names it."""


@dataclass
class FaultSettings:
    throttle_limit: int | None = None
    throttle_window_seconds: float = 300.0
    retry_after_seconds: int | None = None
    fail_next: int = 0
    fail_status: int = 503
    error_rate: float = 0.0
    error_status: int = 503
    latency_ms: int = 0
    operation_latency_ms: int = 0
    apis: frozenset[str] = field(
        default_factory=lambda: frozenset({"dataverse", "bc", "projectserver"})
    )
    seed: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "throttle": None
            if self.throttle_limit is None
            else {
                "limit": self.throttle_limit,
                "window_seconds": self.throttle_window_seconds,
                "retry_after_seconds": self.retry_after_seconds,
            },
            "fail_next": {"count": self.fail_next, "status": self.fail_status},
            "error_rate": self.error_rate,
            "error_status": self.error_status,
            "latency_ms": self.latency_ms,
            "operation_latency_ms": self.operation_latency_ms,
            "apis": sorted(self.apis),
            "seed": self.seed,
        }


@dataclass(frozen=True)
class Fault:
    status: int
    retry_after: int | None = None


def _number(data: dict[str, Any], name: str, kind: type, low: float, high: float) -> Any:
    value = data[name]
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (kind is int and not isinstance(value, int))
    ):
        raise FaultSettingsError(f"'{name}' must be a {kind.__name__}")
    if not low <= value <= high:
        raise FaultSettingsError(f"'{name}' must be between {low} and {high}")
    return value


def parse_settings(data: Any) -> FaultSettings:  # noqa: PLR0912 - one branch per setting
    if not isinstance(data, dict):
        raise FaultSettingsError("the body must be a JSON object")
    known = {
        "throttle",
        "fail_next",
        "error_rate",
        "error_status",
        "latency_ms",
        "operation_latency_ms",
        "apis",
        "seed",
    }
    unknown = set(data) - known
    if unknown:
        raise FaultSettingsError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    settings = FaultSettings()
    throttle = data.get("throttle")
    if throttle is not None:
        if not isinstance(throttle, dict) or "limit" not in throttle:
            raise FaultSettingsError("'throttle' must be an object with 'limit'")
        settings.throttle_limit = _number(throttle, "limit", int, 0, 10**9)
        if "window_seconds" in throttle:
            settings.throttle_window_seconds = float(
                _number(throttle, "window_seconds", float, 0.001, 86400)
            )
        if throttle.get("retry_after_seconds") is not None:
            settings.retry_after_seconds = _number(throttle, "retry_after_seconds", int, 0, 86400)
    fail_next = data.get("fail_next")
    if fail_next is not None:
        if not isinstance(fail_next, dict) or "count" not in fail_next:
            raise FaultSettingsError("'fail_next' must be an object with 'count'")
        settings.fail_next = _number(fail_next, "count", int, 0, 10**9)
        if "status" in fail_next:
            settings.fail_status = _number(fail_next, "status", int, 400, 599)
    if "error_rate" in data:
        settings.error_rate = float(_number(data, "error_rate", float, 0, 1))
    if "error_status" in data:
        settings.error_status = _number(data, "error_status", int, 500, 599)
    if "latency_ms" in data:
        settings.latency_ms = _number(data, "latency_ms", int, 0, 600_000)
    if "operation_latency_ms" in data:
        settings.operation_latency_ms = _number(data, "operation_latency_ms", int, 0, 600_000)
    if "apis" in data:
        apis = data["apis"]
        if not isinstance(apis, list) or not set(apis) <= APIS:
            raise FaultSettingsError(f"'apis' must be a list drawn from {sorted(APIS)}")
        settings.apis = frozenset(apis)
    if data.get("seed") is not None:
        settings.seed = _number(data, "seed", int, -(2**63), 2**63)
    return settings


class Faults:
    def __init__(self) -> None:
        self.settings = FaultSettings()
        self._windows: dict[str, tuple[float, int]] = {}
        self._random = random.Random()  # noqa: S311 - fault injection, not security

    def configure(self, settings: FaultSettings) -> None:
        self.settings = settings
        self._windows.clear()
        self._random = random.Random(settings.seed)  # noqa: S311

    def clear(self) -> None:
        self.configure(FaultSettings())

    def latency(self, api: str) -> float:
        if api not in self.settings.apis:
            return 0.0
        return self.settings.latency_ms / 1000

    def operation_latency(self, api: str) -> float:
        if api not in self.settings.apis:
            return 0.0
        return self.settings.operation_latency_ms / 1000

    def decide(self, api: str, client: str) -> Fault | None:
        """Whether this request fails, and how; counts it against the throttle window."""
        settings = self.settings
        if api not in settings.apis:
            return None
        if settings.throttle_limit is not None:
            now = time.monotonic()
            start, used = self._windows.get(client, (now, 0))
            if now - start >= settings.throttle_window_seconds:
                start, used = now, 0
            if used >= settings.throttle_limit:
                remaining = settings.throttle_window_seconds - (now - start)
                retry = settings.retry_after_seconds
                if retry is None:
                    retry = max(1, math.ceil(remaining))
                return Fault(429, retry)
            self._windows[client] = (start, used + 1)
        if settings.fail_next > 0:
            settings.fail_next -= 1
            return Fault(settings.fail_status)
        if settings.error_rate > 0 and self._random.random() < settings.error_rate:
            return Fault(settings.error_status)
        return None

"""Request counts per API, entity set and method since the last reset, so that tests and
benchmarks can assert how many calls the gateway made to each backend."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any


class RequestStats:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._since = dt.datetime.now(dt.UTC)
        self._requests: Counter[tuple[str, str, str]] = Counter()
        self._faults: Counter[tuple[str, int]] = Counter()

    def record(self, api: str, entity_set: str, method: str) -> None:
        self._requests[(api, entity_set, method)] += 1

    def record_fault(self, api: str, status: int) -> None:
        self._faults[(api, status)] += 1

    def snapshot(self) -> dict[str, Any]:
        apis: dict[str, Any] = {}
        for (api, entity_set, method), count in sorted(self._requests.items()):
            entry = apis.setdefault(api, {"requests": 0, "entity_sets": {}})
            entry["requests"] += count
            entry["entity_sets"].setdefault(entity_set, {})[method] = count
        faults: dict[str, dict[str, int]] = {}
        for (api, status), count in sorted(self._faults.items()):
            faults.setdefault(api, {})[str(status)] = count
        return {
            "since": self._since.isoformat().replace("+00:00", "Z"),
            "requests": sum(self._requests.values()),
            "apis": apis,
            "faults": faults,
        }

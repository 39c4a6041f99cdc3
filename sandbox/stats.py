"""Request counts per API, entity set and method since the last reset, so that tests and
benchmarks can assert how many calls the gateway made to each backend; how many requests were
in flight at once at most (what a service's concurrency limit counts, also per client, since
the services' limits hold per user), and when each request
arrived and how it was answered (the last few thousand), to see who waited for a 429."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections import Counter, deque
from collections.abc import Iterator
from typing import Any

_ARRIVALS_KEPT = 5000


class RequestStats:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._since = dt.datetime.now(dt.UTC)
        self._requests: Counter[tuple[str, str, str]] = Counter()
        self._faults: Counter[tuple[str, int]] = Counter()
        self._in_flight: Counter[str] = Counter()
        self._most_in_flight: Counter[str] = Counter()
        self._client_in_flight: Counter[tuple[str, str]] = Counter()
        self._client_most_in_flight: Counter[tuple[str, str]] = Counter()
        self._arrivals: deque[tuple[str, float, int]] = deque(maxlen=_ARRIVALS_KEPT)

    def started(self, api: str) -> float:
        """A request is being served; its arrival time (for `finished`)."""
        self._in_flight[api] += 1
        self._most_in_flight[api] = max(self._most_in_flight[api], self._in_flight[api])
        return time.time()

    def finished(self, api: str, arrived: float, status: int) -> None:
        self._in_flight[api] -= 1
        self._arrivals.append((api, arrived, status))

    @contextlib.contextmanager
    def serving(self, api: str, client: str) -> Iterator[None]:
        """A request of an authenticated client is being handled."""
        key = (api, client)
        self._client_in_flight[key] += 1
        most = max(self._client_most_in_flight[key], self._client_in_flight[key])
        self._client_most_in_flight[key] = most
        try:
            yield
        finally:
            self._client_in_flight[key] -= 1

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
        for api, most in self._most_in_flight.items():
            apis.setdefault(api, {"requests": 0, "entity_sets": {}})["most_in_flight"] = most
        for (api, client), most in sorted(self._client_most_in_flight.items()):
            entry = apis.setdefault(api, {"requests": 0, "entity_sets": {}})
            entry.setdefault("most_in_flight_by_client", {})[client] = most
        return {
            "since": self._since.isoformat().replace("+00:00", "Z"),
            "requests": sum(self._requests.values()),
            "apis": apis,
            "faults": faults,
            # [api, arrival (Unix seconds), status], oldest first.
            "arrivals": [[api, at, status] for api, at, status in self._arrivals],
        }

"""A small asyncio load generator: a fixed number of requests at a fixed concurrency.

Each worker sends its next request as soon as its previous one is answered (closed loop), so
the concurrency is the number of requests in flight. Latency is measured per request from
send to the last byte of the answer; throughput is requests over the wall time of the run.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from bench.results import latency_summary


@dataclass(frozen=True)
class Call:
    """One request to send: where, and the JSON body."""

    url: str
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass
class LoadResult:
    latencies: list[float]
    seconds: float
    failures: int

    @property
    def requests_per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> dict[str, float]:
        return {
            **latency_summary(self.latencies),
            "requests_per_second": round(self.requests_per_second, 2),
            "requests": len(self.latencies),
            "failures": self.failures,
            "seconds": round(self.seconds, 3),
        }


async def run_load(
    client: httpx.AsyncClient,
    calls: Callable[[], Iterator[Call]],
    *,
    requests: int,
    concurrency: int,
    check: Callable[[httpx.Response], bool] = lambda response: response.status_code == 200,
) -> LoadResult:
    """Send `requests` calls (cycled from `calls()`) with `concurrency` in flight."""
    source = itertools.islice(itertools.cycle(list(calls())), requests)
    latencies: list[float] = []
    failures = 0

    async def worker() -> None:
        nonlocal failures
        for call in source:  # workers share the iterator: each call is sent once
            started = time.perf_counter()
            response = await client.post(call.url, json=call.body, headers=call.headers)
            await response.aread()
            latencies.append(time.perf_counter() - started)
            if not check(response):
                failures += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return LoadResult(latencies, time.perf_counter() - started, failures)

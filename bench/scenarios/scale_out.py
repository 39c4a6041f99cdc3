"""Scenario 7 — scale-out: one full synchronization of N Business Central customers to
Dataverse accounts carried out by 1, 2 and 4 worker processes, with every sandbox request,
and every operation inside a `$batch`, delayed by 100 ms so that the waiting is the services'
and not this machine's CPU (the services carry out a batch's operations one after another and
count each against their limits).

With W workers the run shares W pages at a time (`SYNC_PARALLEL_PAGES=W`; 1 is the run
applying each page in turn). Baseline: the same run with one worker. Also read from the
sandbox: the most requests it had in flight at once for each API, against the budget the
cluster shares (Business Central 5, Dataverse 52), which it must never exceed.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.environment import Environment, settings_env
from bench.options import Options
from bench.results import ScenarioResult
from bench.sync_setup import CUSTOMER, prepare_gateway, seed_customers
from gateway.scheduling.queue import queue_full_synchronization
from gateway.services import open_services
from gateway.store.sync_runs import RunStatus

NAME = "scale-out"
TITLE = "Full synchronization by 1, 2 and 4 workers, 100 ms per request (vs one worker)"
WORKERS = (1, 2, 4)
LATENCY_MS = 100
PAGE_SIZE = 100
SPEEDUP_TARGET = 3.0


async def one_run(environment: Environment, n: int, workers: int) -> dict[str, Any]:
    await seed_customers(environment, n)
    values = environment.gateway_values(
        environment.database(f"scale_out_{workers}"),
        sync_page_size=PAGE_SIZE,
        sync_parallel_pages=workers,
        scheduler_enabled=False,
    )
    await prepare_gateway(environment, values)
    await environment.sandbox.set_faults(latency_ms=LATENCY_MS, operation_latency_ms=LATENCY_MS)
    await environment.sandbox.reset_stats()
    env = settings_env(values)
    children = [
        environment.spawn_python(
            f"scale-out-{workers}-worker-{i}", ["-m", "gateway", "worker"], env=env
        )
        for i in range(workers)
    ]
    try:
        async with open_services(environment.settings(values), wait_for_store=True) as services:
            started = time.perf_counter()
            run = await queue_full_synchronization(services, [CUSTOMER], actor="bench")
            assert run.id is not None
            while True:
                current = await services.runs.get(run.id)
                assert current is not None
                if current.status.finished:
                    break
                await asyncio.sleep(0.2)
            seconds = time.perf_counter() - started
    finally:
        for child in children:
            environment.stop(child)
        await environment.sandbox.set_faults()
    stats = await environment.sandbox.stats()
    apis = stats.get("apis", {})
    return {
        "workers": workers,
        "seconds": seconds,
        "status": current.status.value,
        "message": current.message,
        "inserted": current.counters.inserted,
        "failed": current.counters.failed,
        "most_in_flight": {name: apis.get(name, {}).get("most_in_flight", 0) for name in apis},
        "requests": stats.get("requests", 0),
    }


async def run(environment: Environment, options: Options) -> ScenarioResult:
    result = ScenarioResult(NAME, TITLE)
    n = options.sizes.scale_out
    runs = [await one_run(environment, n, workers) for workers in WORKERS]
    base = runs[0]
    result.figures.update(records=n, latency_ms=LATENCY_MS, page_size=PAGE_SIZE, runs=runs)
    for measured in runs[1:]:
        result.compare(
            f"records/s, {measured['workers']} workers vs 1",
            n / measured["seconds"],
            n / base["seconds"],
            "rec/s",
            better="higher",
            limit=SPEEDUP_TARGET if measured["workers"] == 4 else None,
        )
    for measured in runs:
        seen = measured["most_in_flight"]
        result.check(
            f"{measured['workers']} workers: every customer inserted, none failed",
            f"inserted {n}, failed 0",
            f"inserted {measured['inserted']}, failed {measured['failed']} ({measured['status']})",
            measured["inserted"] == n
            and measured["failed"] == 0
            and measured["status"] == RunStatus.SUCCEEDED.value,
        )
        result.check(
            f"{measured['workers']} workers: in flight at most the shared budget",
            "Business Central ≤ 5, Dataverse ≤ 52",
            f"Business Central {seen.get('bc', 0)}, Dataverse {seen.get('dataverse', 0)}",
            seen.get("bc", 0) <= 5 and seen.get("dataverse", 0) <= 52,
        )
    result.notes.append(
        f"{n:,} customers in pages of {PAGE_SIZE}; SYNC_PARALLEL_PAGES equal to the number of "
        f"workers; every sandbox request and every operation of a $batch delayed {LATENCY_MS} "
        "ms; the workers are `gateway worker` processes, timed from queueing the run to its end."
    )
    return result

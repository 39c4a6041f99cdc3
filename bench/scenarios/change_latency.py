"""Scenario 4 — how long a CRM change takes to reach the ERP under the job scheduler.

Demo accounts and customers are coupled by a full synchronization; every job queue entry but
CUSTOMER's is put on hold and CUSTOMER's runs every `JOB_MINUTES_BETWEEN_RUNS` (one minute,
the shortest the settings allow). A worker (`python -m gateway worker`, a child process with
the scheduler's tick every `SCHEDULER_TICK_SECONDS`) carries the runs. The scenario changes a
coupled account's phone number at a random moment and polls the ERP customer until it shows
it. The design promises at most one interval plus a tick plus the run's own time.

Baseline: the same change synchronized by an incremental run started at once (no scheduler),
measured the same way before the worker starts: the latency floor. The expected latency under
the scheduler is then half an interval plus half a tick plus that floor.

Also: small jobs per second through a burst arq worker of the product's settings (`ping`: one
MongoDB and one Redis round trip each) against arq's bare rate (no-op jobs through a worker with
nothing set up, same Redis) and against the same round trips made in a plain loop.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from arq.worker import Worker, func

from bench.environment import Environment, settings_env
from bench.options import Options
from bench.raw_api import RawApi
from bench.results import ScenarioResult, median
from gateway.scheduling.entries import EntryChange, list_entries, update_entry
from gateway.services import Services, open_services
from gateway.store.sync_runs import RunStatus
from gateway.sync.full import run_full_synchronization, start_full_synchronization
from gateway.sync.incremental import run_incremental
from gateway.system import describe_system
from jobs.worker import WorkerSettings, worker_options

NAME = "change-latency"
TITLE = "Change latency CRM → ERP under the job scheduler (vs an immediate run)"
MINUTES = 1
TICK_SECONDS = 5
PAIRS = 40
DIRECT_SAMPLES = 3
POLL_SECONDS = 0.25
BARE_QUEUE = "bench:bare-noop"
PING_QUEUE = "bench:ping"  # apart from the scheduler's queue, which may hold its own jobs
ARRIVAL_TIMEOUT = 300.0


class Systems:
    """The two APIs as a person (CRM) and an observer (ERP) use them."""

    def __init__(self, crm: RawApi, erp: RawApi) -> None:
        self.crm, self.erp = crm, erp

    async def change(self, account: str, phone: str) -> float:
        response = await self.crm.client.patch(
            f"{self.crm.base}accounts({account})",
            json={"telephone1": phone},
            headers={"If-Match": "*"},
        )
        response.raise_for_status()
        return time.monotonic()

    async def arrival(self, customer: str, phone: str) -> float:
        """Poll the ERP customer until it shows `phone`; the moment it did."""
        deadline = time.monotonic() + ARRIVAL_TIMEOUT
        while True:
            response = await self.erp.client.get(f"{self.erp.base}customers({customer})")
            response.raise_for_status()
            if response.json().get("phoneNumber") == phone:
                return time.monotonic()
            if time.monotonic() > deadline:
                raise TimeoutError(f"the change of {customer} did not arrive in time")
            await asyncio.sleep(POLL_SECONDS)


async def _prepare(services: Services) -> list[tuple[str, str]]:
    """Couple the demo data; only CUSTOMER's entry stays active. The (crm, erp) pairs."""
    run = await start_full_synchronization(
        services, ["SALESPEOPLE", "CURRENCY", "CUSTOMER"], actor="bench-setup"
    )
    assert run.id is not None
    done = await run_full_synchronization(services, run.id)
    if done.status is not RunStatus.SUCCEEDED:
        raise RuntimeError(f"the full synchronization failed: {done.message}")
    for entry in await list_entries(services):
        held = entry.mapping != "CUSTOMER"
        change = EntryChange(on_hold=held, minutes_between_runs=None if held else MINUTES)
        await update_entry(services, entry.mapping, change, actor="bench-setup")
    pairs, _ = await services.couplings.page(mapping="CUSTOMER", size=PAIRS)
    return [(pair.crm.id, pair.erp.id) for pair in pairs]


async def _direct(services: Services, systems: Systems, pair: tuple[str, str], n: int) -> float:
    phone = f"+1 425 555 9{n:03d}"
    changed = await systems.change(pair[0], phone)
    await run_incremental(services, "CUSTOMER", actor="bench")
    return await systems.arrival(pair[1], phone) - changed


async def _scheduled(systems: Systems, pair: tuple[str, str], n: int, interval: float) -> float:
    await asyncio.sleep(random.uniform(0, interval))  # a random moment of the schedule
    phone = f"+1 206 555 8{n:03d}"
    changed = await systems.change(pair[0], phone)
    return await systems.arrival(pair[1], phone) - changed


async def _run_durations(services: Services) -> list[float]:
    cursor = services.db["sync_runs"].find(
        {"trigger": "scheduled", "status": RunStatus.SUCCEEDED.value}
    )
    return [(doc["ended_at"] - doc["started_at"]).total_seconds() async for doc in cursor]


async def _noop(ctx: dict[str, Any]) -> None:
    """arq's floor: a job that does nothing."""


async def _burst(
    services: Services, jobs: int, function: str, worker: Worker, ready: dict[str, float]
) -> float:
    """Enqueue `jobs` of `function`, drain them with the burst `worker`; its jobs/s."""
    for _ in range(jobs):
        await services.redis.enqueue_job(function, _queue_name=worker.queue_name)
    try:
        await worker.main()
        seconds = time.perf_counter() - ready["at"]
    finally:
        await worker.close()
    if worker.jobs_complete != jobs:
        raise RuntimeError(f"{function}: {worker.jobs_complete} of {jobs} jobs completed")
    return jobs / seconds


async def _small_jobs(services: Services, jobs: int) -> dict[str, float]:
    """`ping` jobs (one MongoDB and one Redis round trip) through a burst worker of the
    product's settings, against arq's bare rate (no-op jobs, a worker with nothing set up)
    and against the same round trips in a plain loop."""
    started = time.perf_counter()
    for _ in range(jobs):
        await describe_system(services)
    loop_seconds = time.perf_counter() - started

    ready: dict[str, float] = {}

    async def startup(ctx: dict[str, Any]) -> None:
        await WorkerSettings.on_startup(ctx)
        ready["at"] = time.perf_counter()

    product = Worker(
        functions=WorkerSettings.functions,
        on_startup=startup,
        on_shutdown=WorkerSettings.on_shutdown,
        queue_name=PING_QUEUE,
        **worker_options(services.settings, burst=True),
    )
    ping_rate = await _burst(services, jobs, "ping", product, ready)

    bare_ready: dict[str, float] = {}

    async def bare_startup(ctx: dict[str, Any]) -> None:
        bare_ready["at"] = time.perf_counter()

    options = worker_options(services.settings, burst=True)
    bare = Worker(
        functions=[func(_noop, name="bench_noop")],
        queue_name=BARE_QUEUE,
        on_startup=bare_startup,
        redis_settings=options["redis_settings"],
        burst=True,
        handle_signals=False,
    )
    bare_rate = await _burst(services, jobs, "bench_noop", bare, bare_ready)
    return {
        "jobs": jobs,
        "jobs_per_second": ping_rate,
        "bare_noop_per_second": bare_rate,
        "loop_per_second": jobs / loop_seconds,
    }


async def run(environment: Environment, options: Options) -> ScenarioResult:
    result = ScenarioResult(NAME, TITLE)
    samples = options.sizes.latency_samples
    await environment.sandbox.reset()
    await environment.sandbox.seed(seed=3, accounts=PAIRS, customers=PAIRS, matched=PAIRS)
    values = environment.gateway_values(
        environment.database("latency"),
        job_minutes_between_runs=MINUTES,
        scheduler_tick_seconds=TICK_SECONDS,
    )
    interval = 60.0 * MINUTES
    crm = await RawApi.dataverse(environment.sandbox)
    erp = await RawApi.business_central(environment.sandbox)
    systems = Systems(crm, erp)
    try:
        async with open_services(environment.settings(values), wait_for_store=True) as services:
            pairs = await _prepare(services)
            if len(pairs) < DIRECT_SAMPLES + samples:
                raise RuntimeError(f"only {len(pairs)} coupled pairs to change")
            direct = [await _direct(services, systems, pairs[n], n) for n in range(DIRECT_SAMPLES)]
            scheduled = await _with_worker(
                environment,
                values,
                systems=systems,
                pairs=pairs,
                samples=samples,
                interval=interval,
            )
            durations = await _run_durations(services)
            jobs = await _small_jobs(services, 100 if options.quick else 500)
    finally:
        await crm.aclose()
        await erp.aclose()
    floor = median(direct)
    run_max = max(durations, default=0.0)
    expected = interval / 2 + TICK_SECONDS / 2 + floor
    promise = interval + TICK_SECONDS + max(run_max, floor)
    result.compare(
        "median latency vs expected (interval/2 + tick/2 + immediate run)",
        median(scheduled),
        expected,
        "s",
    )
    result.compare(
        "worst latency vs promise (interval + tick + run)", max(scheduled), promise, "s", limit=1.0
    )
    result.compare(
        "small jobs/s (ping) vs arq's bare no-op jobs/s",
        jobs["jobs_per_second"],
        jobs["bare_noop_per_second"],
        "/s",
        better="higher",
    )
    result.compare(
        "small jobs/s (ping) vs the same round trips in a plain loop",
        jobs["jobs_per_second"],
        jobs["loop_per_second"],
        "/s",
        better="higher",
    )
    result.figures.update(
        interval_seconds=interval,
        scheduler_tick_seconds=TICK_SECONDS,
        latencies_seconds=[round(value, 2) for value in scheduled],
        immediate_run_latencies_seconds=[round(value, 3) for value in direct],
        scheduled_run_seconds=[round(value, 3) for value in durations],
        small_jobs={key: round(value, 1) for key, value in jobs.items()},
    )
    result.notes.append(
        f"{samples} changes of different pairs, each at a random moment of the same "
        f"{interval:.0f} s schedule and timed on its own (tick "
        f"{TICK_SECONDS} s); {DIRECT_SAMPLES} immediate runs as the floor; ERP polled every "
        f"{POLL_SECONDS} s."
    )
    return result


async def _with_worker(
    environment: Environment,
    values: dict[str, str],
    *,
    systems: Systems,
    pairs: list[tuple[str, str]],
    samples: int,
    interval: float,
) -> list[float]:
    """The scheduled latencies, with a worker child running for the duration."""
    worker = environment.spawn_python(
        "worker", ["-m", "gateway", "worker"], env=settings_env(values)
    )
    try:
        if not worker.running:
            raise RuntimeError(f"the worker exited:\n{worker.log_tail()}")
        # Independent changes of different pairs at their own random moments of one
        # interval: as many samples in about the time of one.
        return list(
            await asyncio.gather(
                *(
                    _scheduled(systems, pairs[DIRECT_SAMPLES + n], n, interval)
                    for n in range(samples)
                )
            )
        )
    finally:
        environment.stop(worker)

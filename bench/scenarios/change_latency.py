"""Scenario 4 — how long a change takes to reach the other system: under the job scheduler
(polling), and pushed by change notifications (`bench/push_latency.py`).

Demo accounts and customers are coupled by a full synchronization; every job queue entry but
CUSTOMER's is put on hold and CUSTOMER's runs every `JOB_MINUTES_BETWEEN_RUNS` (one minute,
the shortest the settings allow). A worker (`python -m gateway worker`, a child process with
the scheduler's tick every `SCHEDULER_TICK_SECONDS`) carries the runs. The scenario changes
coupled accounts' phone numbers (and as many customers') at random moments and polls the
other system until it shows each one. The design promises at most one interval plus a tick
plus the run's own time. With notifications on (sandbox delivery delay 1 s), the same
changes one at a time, each way, then a burst of `burst` changes; the target there is a p95
within the delivery delay plus 2 s.

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
from bench.push_latency import DELAY_MS, measure_push, report_push
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
TITLE = "Change latency both ways: job scheduler (vs an immediate run) and notifications"
MINUTES = 1
TICK_SECONDS = 5
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

    async def change_customer(self, customer: str, phone: str) -> float:
        response = await self.erp.client.patch(
            f"{self.erp.base}customers({customer})",
            json={"phoneNumber": phone},
            headers={"If-Match": "*"},
        )
        response.raise_for_status()
        return time.monotonic()

    async def arrival(self, customer: str, phone: str) -> float:
        """Poll the ERP customer until it shows `phone`; the moment it did."""
        return await self._shown(f"{self.erp.base}customers({customer})", "phoneNumber", phone)

    async def arrival_in_crm(self, account: str, phone: str) -> float:
        url = f"{self.crm.base}accounts({account})?$select=telephone1"
        return await self._shown(url, "telephone1", phone)

    async def _shown(self, url: str, field: str, value: str) -> float:
        deadline = time.monotonic() + ARRIVAL_TIMEOUT
        client = self.erp.client if url.startswith(self.erp.base) else self.crm.client
        while True:
            response = await client.get(url)
            response.raise_for_status()
            if response.json().get(field) == value:
                return time.monotonic()
            if time.monotonic() > deadline:
                raise TimeoutError(f"the change of {url} did not arrive in time")
            await asyncio.sleep(POLL_SECONDS)


async def _prepare(services: Services, pairs: int) -> list[tuple[str, str]]:
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
    coupled, _ = await services.couplings.page(mapping="CUSTOMER", size=pairs)
    return [(pair.crm.id, pair.erp.id) for pair in coupled]


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


async def _scheduled_to_crm(
    systems: Systems, pair: tuple[str, str], n: int, interval: float
) -> float:
    await asyncio.sleep(random.uniform(0, interval))
    phone = f"+1 312 555 8{n:03d}"
    changed = await systems.change_customer(pair[1], phone)
    return await systems.arrival_in_crm(pair[0], phone) - changed


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
    samples, burst = options.sizes.latency_samples, options.sizes.burst
    count = max(burst, DIRECT_SAMPLES + 2 * samples)
    await environment.sandbox.reset()
    await environment.sandbox.seed(seed=3, accounts=count, customers=count, matched=count)
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
            pairs = await _prepare(services, count)
            if len(pairs) < count:
                raise RuntimeError(f"only {len(pairs)} coupled pairs to change")
            direct = [await _direct(services, systems, pairs[n], n) for n in range(DIRECT_SAMPLES)]
            to_erp, to_crm = await _with_worker(
                environment,
                values,
                systems=systems,
                pairs=pairs[DIRECT_SAMPLES:],
                samples=samples,
                interval=interval,
            )
            durations = await _run_durations(services)
            jobs = await _small_jobs(services, 100 if options.quick else 500)
        pushed = await measure_push(environment, values, pairs, samples=samples, burst=burst)
    finally:
        await crm.aclose()
        await erp.aclose()
    scheduled = to_erp + to_crm
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
    report_push(result, pushed, {"CRM → ERP": to_erp, "ERP → CRM": to_crm})
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
        latencies_seconds={
            "crm_to_erp": [round(value, 2) for value in to_erp],
            "erp_to_crm": [round(value, 2) for value in to_crm],
        },
        immediate_run_latencies_seconds=[round(value, 3) for value in direct],
        scheduled_run_seconds=[round(value, 3) for value in durations],
        small_jobs={key: round(value, 1) for key, value in jobs.items()},
    )
    result.notes.append(
        f"Polling: {samples} changes each way, of different pairs, each at a random moment of "
        f"the same {interval:.0f} s schedule and timed on its own (tick {TICK_SECONDS} s); "
        f"{DIRECT_SAMPLES} immediate runs as the floor; the other system polled every "
        f"{POLL_SECONDS} s. Notifications: sandbox delivery delay {DELAY_MS} ms, {samples} "
        f"changes each way one after the other, then {burst} changes at once."
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
) -> tuple[list[float], list[float]]:
    """The scheduled latencies each way, with a worker child running for the duration."""
    worker = environment.spawn_python(
        "worker", ["-m", "gateway", "worker"], env=settings_env(values)
    )
    try:
        if not worker.running:
            raise RuntimeError(f"the worker exited:\n{worker.log_tail()}")
        # Independent changes of different pairs at their own random moments of one
        # interval: as many samples in about the time of one.
        timed = await asyncio.gather(
            *(_scheduled(systems, pairs[n], n, interval) for n in range(samples)),
            *(_scheduled_to_crm(systems, pairs[samples + n], n, interval) for n in range(samples)),
        )
        return list(timed[:samples]), list(timed[samples:])
    finally:
        environment.stop(worker)

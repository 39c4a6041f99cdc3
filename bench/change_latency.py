"""How long a change waits for the scheduler, and how many small jobs a worker runs a second.

    .venv/bin/python -m bench.change_latency [--changes 3] [--jobs 2000] [--minutes 1]

Starts its own MongoDB, Valkey and sandbox, synchronizes demo customers fully, then runs a
worker (`gateway worker`, a child process) with only the CUSTOMER entry active, every
`--minutes`. It changes a coupled CRM account's phone number at random moments and times how
long until the ERP customer shows it: at most one interval plus the scheduler's tick plus the
run's own time is what the design promises. Then it enqueues `--jobs` small jobs (`ping`, one
MongoDB and one Redis round trip each) and times an in-process burst worker on them.
Prints one JSON document.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
from arq.worker import Worker

from gateway.embedded import mongo_url, redis_url, start_mongo, start_valkey
from gateway.processes import ChildProcess, free_port, spawn, stop_all
from gateway.scheduling.entries import EntryChange, list_entries, update_entry
from gateway.services import Services, open_services
from gateway.settings import Settings
from gateway.sync.full import run_full_synchronization, start_full_synchronization
from jobs.worker import WorkerSettings, worker_options

CLIENT_ID, CLIENT_SECRET = "bench-client", "bench-secret"
CRM_SCOPE = "https://sandbox.crm.dynamics.com/.default"
ERP_SCOPE = "https://api.businesscentral.dynamics.com/.default"
PARTIES = {
    "contacts": 0,
    "opportunities": 0,
    "quotes": 0,
    "orders": 0,
    "invoices": 0,
    "payments": 0,
    "cases": 0,
    "projects": 0,
    "items": 5,
}


def start_servers(workdir: Path) -> tuple[list[ChildProcess], str, str, str]:
    mongo = start_mongo(None, log_path=workdir / "mongodb.log")
    valkey = start_valkey(None, log_path=workdir / "valkey.log")
    mongo.wait_listening(60)
    valkey.wait_listening(30)
    port = free_port()
    sandbox = spawn(
        "sandbox",
        [
            sys.executable,
            "-m",
            "sandbox",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--mongodb-url",
            mongo_url(mongo),
            "--client-id",
            CLIENT_ID,
            "--database-prefix",
            f"bench_{uuid.uuid4().hex[:6]}",
        ],
        env={"SANDBOX_CLIENT_SECRET": CLIENT_SECRET},
        port=port,
        log_path=workdir / "sandbox.log",
    )
    sandbox.wait_listening(120)
    return [mongo, valkey, sandbox], mongo_url(mongo), redis_url(valkey), f"http://127.0.0.1:{port}"


def gateway_settings(mongo: str, redis: str, sandbox: str, company: str, minutes: int) -> Settings:
    return Settings(
        _env_file=None,
        mongodb_url=mongo,
        mongodb_database=f"bench_jobs_{uuid.uuid4().hex[:6]}",
        redis_url=redis,
        crm_url=f"{sandbox}/dataverse/",
        crm_token_url=f"{sandbox}/oauth2/token",
        crm_client_id=CLIENT_ID,
        crm_client_secret=CLIENT_SECRET,
        bc_url=f"{sandbox}/bc/",
        bc_token_url=f"{sandbox}/oauth2/token",
        bc_client_id=CLIENT_ID,
        bc_client_secret=CLIENT_SECRET,
        bc_company_id=company,
        job_minutes_between_runs=minutes,
        gateway_log_level="warning",
    )


def environment(settings: Settings) -> dict[str, str]:
    names = (
        "mongodb_url",
        "mongodb_database",
        "redis_url",
        "crm_url",
        "crm_token_url",
        "crm_client_id",
        "bc_url",
        "bc_token_url",
        "bc_client_id",
        "bc_company_id",
        "job_minutes_between_runs",
        "gateway_log_level",
    )
    values = {name.upper(): str(getattr(settings, name)) for name in names}
    values["CRM_CLIENT_SECRET"] = values["BC_CLIENT_SECRET"] = CLIENT_SECRET
    return values


async def api(sandbox: str, scope: str, base: str) -> httpx.AsyncClient:
    async with httpx.AsyncClient(timeout=30) as client:
        token = (
            await client.post(
                f"{sandbox}/oauth2/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "scope": scope,
                },
            )
        ).json()["access_token"]
    return httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


async def prepare(services: Services) -> None:
    run = await start_full_synchronization(
        services, ["SALESPEOPLE", "CURRENCY", "CUSTOMER"], actor="bench"
    )
    assert run.id is not None
    await run_full_synchronization(services, run.id)
    for entry in await list_entries(services):
        held = entry.mapping != "CUSTOMER"
        await update_entry(services, entry.mapping, EntryChange(on_hold=held), actor="bench")


async def measure_latency(
    services: Services, sandbox: str, company: str, changes: int, interval: float
) -> list[float]:
    pairs, _ = await services.couplings.page(mapping="CUSTOMER", size=changes)
    crm = await api(sandbox, CRM_SCOPE, f"{sandbox}/dataverse/api/data/v9.2/")
    erp = await api(sandbox, ERP_SCOPE, f"{sandbox}/bc/api/v2.0/companies({company})/")
    latencies = []
    async with crm, erp:
        for index, pair in enumerate(pairs):
            await asyncio.sleep(random.uniform(0, interval))
            phone = f"+1 555 {index:02d}{random.randint(0, 99):02d}"
            response = await crm.patch(
                f"accounts({pair.crm.id})", json={"telephone1": phone}, headers={"If-Match": "*"}
            )
            response.raise_for_status()
            changed = time.monotonic()
            await arrived(erp, pair.erp.id, phone)
            latencies.append(round(time.monotonic() - changed, 2))
    return latencies


async def arrived(erp: httpx.AsyncClient, customer: str, phone: str) -> None:
    """Poll the ERP customer until it shows `phone`."""
    while True:
        if (await erp.get(f"customers({customer})")).json()["phoneNumber"] == phone:
            return
        await asyncio.sleep(0.25)


async def run_durations(services: Services) -> list[float]:
    cursor = services.db["sync_runs"].find({"trigger": "scheduled", "status": "SUCCEEDED"})
    return [round((doc["ended_at"] - doc["started_at"]).total_seconds(), 2) async for doc in cursor]


async def measure_throughput(services: Services, jobs: int) -> dict[str, Any]:
    for _ in range(jobs):
        await services.redis.enqueue_job("ping")
    ready: dict[str, float] = {}

    async def startup(ctx: dict[str, Any]) -> None:
        await WorkerSettings.on_startup(ctx)
        ready["at"] = time.monotonic()

    options = worker_options(services.settings, burst=True)
    worker = Worker(
        functions=WorkerSettings.functions,
        on_startup=startup,
        on_shutdown=WorkerSettings.on_shutdown,
        **options,
    )
    try:
        await worker.main()
        elapsed = time.monotonic() - ready["at"]
    finally:
        await worker.close()
    return {
        "jobs": worker.jobs_complete,
        "seconds": round(elapsed, 2),
        "jobs_per_second": round(worker.jobs_complete / elapsed, 1),
        "max_jobs": worker.max_jobs,
    }


async def main(arguments: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="gateway-latency-") as temporary:
        workdir = Path(temporary)
        children, mongo, redis, sandbox = start_servers(workdir)
        try:
            async with httpx.AsyncClient(timeout=600) as client:
                company = (await client.get(f"{sandbox}/_sandbox/")).json()["company_id"]
                await client.post(f"{sandbox}/_sandbox/seed", json={"accounts": 20, **PARTIES})
            settings = gateway_settings(mongo, redis, sandbox, company, arguments.minutes)
            async with open_services(settings, wait_for_store=True) as services:
                await prepare(services)
                worker = spawn(
                    "worker",
                    [sys.executable, "-m", "gateway", "worker"],
                    env=environment(settings),
                    log_path=workdir / "worker.log",
                )
                children.append(worker)
                interval = 60.0 * arguments.minutes
                latencies = await measure_latency(
                    services, sandbox, company, arguments.changes, interval
                )
                worker.stop()
                durations = await run_durations(services)
                throughput = await measure_throughput(services, arguments.jobs)
        finally:
            stop_all(children)
    return {
        "interval_seconds": interval,
        "scheduler_tick_seconds": settings.scheduler_tick_seconds,
        "latencies_seconds": latencies,
        "latency_max": max(latencies),
        "latency_median": statistics.median(latencies),
        "scheduled_run_seconds_max": max(durations, default=0.0),
        "within_promise": max(latencies)
        <= interval + settings.scheduler_tick_seconds + max(durations, default=0.0) + 1,
        "small_jobs": throughput,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--minutes", type=int, default=1)
    result = asyncio.run(main(parser.parse_args()))
    sys.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")

"""The gateway side of a synchronization measurement, alone in a process of its own so that
its peak memory (`ru_maxrss`) is its own: `python -m bench.sync_child <action> ...` with the
gateway's settings in the environment prints one JSON line with what it did and measured.

Actions:
- `full MAPPING...`: a full synchronization of the mappings (stored, then run to its end);
- `incremental MAPPING`: one incremental run, as the scheduler starts it;
- `direct-creates`: the baseline of a full synchronization: the Dataverse accounts it would
  create for every Business Central customer, written straight through the connector's
  `write_many` in pages of `SYNC_PAGE_SIZE` (reading and mapping the customers is not timed).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time
from typing import Any

import orjson

from adapters.base import Create, Operation
from bench.data import table
from gateway.services import Services, open_services
from gateway.settings import Settings
from gateway.store.sync_runs import SyncRun
from gateway.sync.full import run_full_synchronization, start_full_synchronization
from gateway.sync.incremental import run_incremental

ACTOR = "bench"


def peak_rss_mb() -> float:
    """The process's peak resident set size so far: `VmHWM`, whose count starts at `exec`.
    (`ru_maxrss` would not do: Linux carries it over from the forking parent, so a child of a
    big runner would report the runner's size.)"""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 1024 / 1024


def _run_doc(run: SyncRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "status": run.status.value,
        "message": run.message,
        "counters": run.counters.to_doc(),
        "progress": run.progress,
    }


async def full(services: Services, mappings: list[str]) -> dict[str, Any]:
    started, cpu = time.perf_counter(), time.process_time()
    run = await start_full_synchronization(services, mappings, actor=ACTOR)
    assert run.id is not None
    done = await run_full_synchronization(services, run.id)
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "run": _run_doc(done),
    }


async def incremental(services: Services, mapping: str) -> dict[str, Any]:
    started, cpu = time.perf_counter(), time.process_time()
    run = await run_incremental(services, mapping, actor=ACTOR)
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "run": _run_doc(run),
    }


def account_values(customer: dict[str, Any], owners: dict[str, str]) -> dict[str, Any]:
    """What the CUSTOMER mapping writes for a customer (its TO_CRM rows), mapped by hand."""
    values: dict[str, Any] = {
        "name": (customer.get("displayName") or "").strip(),
        "accountnumber": customer.get("number"),
        "emailaddress1": customer.get("email") or None,
        "telephone1": customer.get("phoneNumber") or None,
        "websiteurl": customer.get("website") or None,
        "address1_line1": customer.get("addressLine1") or None,
        "address1_city": customer.get("city") or None,
        "address1_postalcode": customer.get("postalCode") or None,
        "address1_country": customer.get("country") or None,
    }
    owner = owners.get(customer.get("salespersonCode") or "")
    if owner is not None:
        values["_ownerid_value"] = owner
    return values


async def direct_creates(services: Services) -> dict[str, Any]:
    assert services.crm is not None
    assert services.erp is not None
    customers = await table(services.erp, "customer")
    salespeople = {
        r.values.get("email"): r.values.get("code")
        for r in await table(services.erp, "salesperson")
    }
    owners = {
        str(salespeople[email]): r.id
        for r in await table(services.crm, "user")
        if (email := r.values.get("internalemailaddress")) in salespeople
    }
    operations: list[Operation] = [
        Create("account", account_values(dict(c.values), owners)) for c in customers
    ]
    page = services.settings.sync_page_size
    failed = 0
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(operations), page):
        results = await services.crm.write_many(operations[start : start + page])
        failed += sum(1 for result in results if not result.ok)
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "records": len(operations),
        "failed": failed,
    }


async def main(args: argparse.Namespace) -> dict[str, Any]:
    rss_start = current_rss_mb()
    settings = Settings()
    async with open_services(settings, wait_for_store=True) as services:
        rss_ready = current_rss_mb()
        if args.action == "full":
            outcome = await full(services, args.mappings)
        elif args.action == "incremental":
            outcome = await incremental(services, args.mappings[0])
        else:
            outcome = await direct_creates(services)
    return {
        **outcome,
        "rss_start_mb": round(rss_start, 1),
        "rss_ready_mb": round(rss_ready, 1),
        "rss_peak_mb": round(peak_rss_mb(), 1),
    }


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=["full", "incremental", "direct-creates"])
    parser.add_argument("mappings", nargs="*")
    args = parser.parse_args()
    if args.action in ("full", "incremental") and not args.mappings:
        parser.error(f"{args.action} needs the mapping(s) to run")
    result = asyncio.run(main(args))
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    cli()

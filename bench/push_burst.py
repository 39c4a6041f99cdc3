"""The burst of the change-latency scenario's notification half: `burst` coupled accounts
changed within seconds by a person in the CRM (`$batch`es of 100), carried by notifications.

Measured: the time until every record crossed (the ERP read every two seconds until each
record shows its new value), the backend requests of both hops
and of the echo of the gateway's own writes (sandbox statistics, tokens left out), and the
GraphQL latency of a small query of the gateway's own data from two clients in a closed loop
during the burst, against the same load while idle.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from bench.environment import API_KEY
from bench.load import Call, LoadResult, run_load
from bench.raw_api import RawApi
from bench.sandbox_client import SandboxClient
from gateway.services import Services

if TYPE_CHECKING:
    from bench.push_latency import People

BATCH = 100  # records per $batch: the burst's, and Business Central's most per write
UPKEEP = frozenset({"subscriptions", "serviceendpoints", "sdkmessageprocessingsteps"})
POLL_SECONDS = 2.0
CROSSING_TIMEOUT = 1800.0
GRAPHQL = '{ couplings(mapping: "CUSTOMER", first: 20) { edges { node { erpId crmId } } } }'


def _graphql_calls(url: str) -> Iterator[Call]:
    yield Call(f"{url}/graphql", {"query": GRAPHQL}, {"Authorization": f"Bearer {API_KEY}"})


async def _graphql_while(url: str, done: asyncio.Event) -> list[float]:
    """Two clients querying in a closed loop until `done`."""
    latencies: list[float] = []
    async with httpx.AsyncClient(timeout=60) as client:

        async def one_client() -> None:
            while not done.is_set():
                result = await run_load(
                    client, lambda: _graphql_calls(url), requests=1, concurrency=1
                )
                latencies.extend(result.latencies)

        await asyncio.gather(one_client(), one_client())
    return latencies


async def measure_burst(
    services: Services, people: People, url: str, pairs: list[tuple[str, str]]
) -> dict[str, Any]:
    """Change every account of `pairs` (crm, erp) at once; what it took to carry them."""
    async with httpx.AsyncClient(timeout=60) as client:
        idle: LoadResult = await run_load(
            client, lambda: _graphql_calls(url), requests=100, concurrency=2
        )
    await people.sandbox.reset_stats()
    began = datetime.now(UTC)
    phones = {account: f"+1 555 {n:06d}" for n, (account, _) in enumerate(pairs)}
    done = asyncio.Event()
    load = asyncio.create_task(_graphql_while(url, done))
    started = time.monotonic()
    crm = RawApi(people.crm, people.sandbox.dataverse_api)
    for first in range(0, len(pairs), BATCH):
        chunk = [
            (account, {"telephone1": phones[account]})
            for account, _ in pairs[first : first + BATCH]
        ]
        await crm.batch_patch("accounts", chunk, select="accountid")
    sent = time.monotonic() - started
    wanted = {customer: phones[account] for account, customer in pairs}
    polls = await _all_crossed(people, wanted)
    elapsed = time.monotonic() - started
    done.set()
    during = await load
    await _quiet(services, people.sandbox, began)
    stats = await people.sandbox.stats()
    arrived = await _erp_phones(people, wanted)
    runs = [
        doc
        async for doc in services.db["sync_runs"].find(
            {"trigger": "notification", "started_at": {"$gte": began}}
        )
    ]
    return {
        "records": len(pairs),
        "sent_seconds": round(sent, 2),
        "crossed_seconds": round(elapsed, 2),
        "arrived": arrived,
        "failed": sum(int(r["counters"]["failed"]) for r in runs),
        "notification_runs": len(runs),
        "modified": sum(int(r["counters"]["modified"]) for r in runs),
        "unchanged": sum(int(r["counters"]["unchanged"]) for r in runs),
        "most_written_per_run": max((int(r["counters"]["modified"]) for r in runs), default=0),
        # Each page carried costs a read of each side and a write: at most 3 requests per
        # page of 100 records (the most Business Central takes in one write), per hop.
        "carried": sum(_looked_at(r) for r in runs),
        "request_bound": 3 * math.ceil(sum(_looked_at(r) for r in runs) / BATCH),
        "requests": _requests(stats, math.ceil(len(pairs) / BATCH), polls),
        "graphql_idle": idle.latencies,
        "graphql_during": during,
    }


async def _all_crossed(people: People, wanted: dict[str, str]) -> int:
    """Wait until the ERP shows every new value (read every `POLL_SECONDS`, one request per
    read, left out of the gateway's count); how many reads it took."""
    deadline = time.monotonic() + CROSSING_TIMEOUT
    polls = 0
    while True:
        await asyncio.sleep(POLL_SECONDS)
        polls += 1
        shown = await _erp_phones(people, wanted)
        if shown == len(wanted):
            return polls
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {shown} of {len(wanted)} records crossed")


async def _quiet(services: Services, sandbox: SandboxClient, began: datetime) -> None:
    """Wait until nothing is pending in the sandbox and no notification run is unfinished,
    twice in a row two seconds apart (the echo of the gateway's writes included)."""
    calm = 0
    deadline = time.monotonic() + 300
    while calm < 2 and time.monotonic() < deadline:
        pending = (await sandbox.notifications())["pending"]
        running = await services.db["sync_runs"].count_documents(
            {"trigger": "notification", "started_at": {"$gte": began}, "status": "RUNNING"}
        )
        calm = calm + 1 if pending == 0 and running == 0 else 0
        await asyncio.sleep(2.0)


async def _erp_phones(people: People, wanted: dict[str, str]) -> int:
    """How many ERP customers show the phone they were meant to get."""
    shown = 0
    url: str | None = "customers?$select=id,phoneNumber"
    while url:
        response = await people.erp.get(url, headers={"Prefer": "odata.maxpagesize=5000"})
        response.raise_for_status()
        body = response.json()
        shown += sum(1 for row in body["value"] if wanted.get(row["id"]) == row.get("phoneNumber"))
        url = body.get("@odata.nextLink")
    return shown


def _requests(stats: dict[str, Any], own_batches: int, polls: int) -> dict[str, int]:
    """The gateway's backend requests by API and kind (reads, writes): tokens, the upkeep of
    subscriptions (once a minute, whatever happens), the burst's own `$batch`es and the
    measure's reads of the ERP left out."""
    counted: dict[str, int] = {"dataverse_writes": -own_batches, "bc_reads": -polls}
    for api in ("dataverse", "bc"):
        sets = stats.get("apis", {}).get(api, {}).get("entity_sets", {})
        for name, methods in sets.items():
            kind = "upkeep" if name in UPKEEP else None
            for method, count in methods.items():
                key = f"{api}_{kind or ('reads' if method == 'GET' else 'writes')}"
                counted[key] = counted.get(key, 0) + int(count)
    return counted


def _looked_at(run: dict[str, Any]) -> int:
    counters = run["counters"]
    return sum(int(counters[k]) for k in ("inserted", "modified", "unchanged", "skipped", "failed"))

"""The change-latency scenario with change notifications on (its second half).

The gateway's API (`python -m gateway serve`, on a port chosen first: the systems deliver to
it) and a worker run as children with `ERP_NOTIFICATIONS` and `CRM_NOTIFICATIONS` on; the
sandbox delivers after `DELAY_MS`. Then

- latency: `samples` changes of a coupled account's phone made by a person in the CRM (a
  user other than the application's), one after the other, each timed until the ERP customer
  shows it; and as many the other way;
- a burst: `burst` accounts changed within seconds (`bench/push_burst.py`).

Baseline of the requests: single-record synchronizations (`synchronizeNow` of one changed
record), measured on a sample and multiplied to the burst's size.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bench.environment import Environment, settings_env
from bench.push_burst import measure_burst
from bench.results import ScenarioResult, latency_summary, percentile
from bench.sandbox_client import BC_SCOPE, DATAVERSE_SCOPE, SandboxClient, api_requests
from bench.servers import served
from gateway.mappings.model import Direction
from gateway.processes import ChildProcess, free_port
from gateway.scheduling.entries import EntryChange, update_entry
from gateway.services import Services, open_services
from gateway.store.job_queue import JobStatus
from gateway.sync.now import synchronize_now

DELAY_MS = 1000
SAFETY_NET_MINUTES = 60
POLL_SECONDS = 0.1
ARRIVAL_TIMEOUT = 120.0
BASELINE_SAMPLES = 20


class People:
    """A salesperson in the CRM (impersonated: not the application user) and a bookkeeper in
    the ERP, each with their API client."""

    def __init__(self, crm: httpx.AsyncClient, erp: httpx.AsyncClient, sandbox: SandboxClient):
        self.crm, self.erp, self.sandbox = crm, erp, sandbox

    @classmethod
    async def open(cls, sandbox: SandboxClient) -> People:
        crm_token = await sandbox.token(DATAVERSE_SCOPE)
        erp_token = await sandbox.token(BC_SCOPE)
        bare = httpx.AsyncClient(headers={"Authorization": f"Bearer {crm_token}"}, timeout=120)
        async with bare:
            me = (await bare.get(f"{sandbox.dataverse_api}WhoAmI")).json()["UserId"]
            users = await bare.get(
                f"{sandbox.dataverse_api}systemusers", params={"$select": "systemuserid"}
            )
        person = next(u["systemuserid"] for u in users.json()["value"] if u["systemuserid"] != me)
        crm = httpx.AsyncClient(
            base_url=sandbox.dataverse_api,
            headers={"Authorization": f"Bearer {crm_token}", "MSCRMCallerID": person},
            timeout=120,
        )
        erp = httpx.AsyncClient(
            base_url=sandbox.bc_company_api,
            headers={"Authorization": f"Bearer {erp_token}"},
            timeout=120,
        )
        return cls(crm, erp, sandbox)

    async def aclose(self) -> None:
        await self.crm.aclose()
        await self.erp.aclose()

    async def change_account(self, account: str, phone: str) -> float:
        response = await self.crm.patch(
            f"accounts({account})", json={"telephone1": phone}, headers={"If-Match": "*"}
        )
        response.raise_for_status()
        return time.monotonic()

    async def change_customer(self, customer: str, phone: str) -> float:
        response = await self.erp.patch(
            f"customers({customer})", json={"phoneNumber": phone}, headers={"If-Match": "*"}
        )
        response.raise_for_status()
        return time.monotonic()

    async def arrival(self, client: httpx.AsyncClient, path: str, field: str, value: str) -> float:
        deadline = time.monotonic() + ARRIVAL_TIMEOUT
        while True:
            response = await client.get(path)
            response.raise_for_status()
            if response.json().get(field) == value:
                return time.monotonic()
            if time.monotonic() > deadline:
                raise TimeoutError(f"{path} did not show {value} in time")
            await asyncio.sleep(POLL_SECONDS)


async def single_record_requests(
    services: Services, people: People, pairs: list[tuple[str, str]]
) -> float:
    """Backend requests of one `synchronizeNow` of a changed record (CRM → ERP), on a sample.
    Made before notifications are on, so that nothing else talks to the sandbox."""
    sample = pairs[:BASELINE_SAMPLES]
    for n, (account, _) in enumerate(sample):
        await people.change_account(account, f"+1 555 7{n:04d}")
    await people.sandbox.reset_stats()
    for account, _ in sample:
        await synchronize_now(
            services,
            "CUSTOMER",
            erp_id=None,
            crm_id=account,
            direction=Direction.FROM_CRM,
            actor="bench",
        )
    stats = await people.sandbox.stats()
    return api_requests(stats, "dataverse", "bc") / len(sample)


async def measure_push(
    environment: Environment,
    values: dict[str, str],
    pairs: list[tuple[str, str]],
    *,
    samples: int,
    burst: int,
) -> dict[str, Any]:
    """Latencies each way and the burst's figures, notifications on; `pairs` are (crm, erp)."""
    sandbox = environment.sandbox
    port = free_port()
    pushed = {
        **values,
        "erp_notifications": "true",
        "crm_notifications": "true",
        "notifications_public_url": f"http://127.0.0.1:{port}/",
        # A page of 100 Business Central writes can take longer than the default 30 s on a
        # loaded machine; a timed-out page is sent again and its records then conflict.
        "connector_timeout_seconds": "180",
    }
    people = await People.open(sandbox)
    try:
        async with open_services(environment.settings(values), wait_for_store=True) as services:
            per_record = await single_record_requests(services, people, pairs)
            # The schedule stays the safety net, but an hour apart: its runs (the catch-up at
            # the worker's start aside) do not mix with what is measured.
            change = EntryChange(minutes_between_runs=SAFETY_NET_MINUTES)
            await update_entry(services, "CUSTOMER", change, actor="bench")
        await sandbox.set_notifications(delay_ms=DELAY_MS)
        async with (
            served(
                environment,
                "gateway-api-push",
                ["-m", "gateway", "serve"],
                pushed,
                "/readyz",
                port=port,
            ) as url,
            open_services(environment.settings(pushed), wait_for_store=True) as services,
        ):
            worker = environment.spawn_python(
                "worker-push", ["-m", "gateway", "worker"], env=settings_env(pushed)
            )
            try:
                await _subscribed(services, worker)
                await _caught_up(services)
                to_erp, to_crm = await _latencies(people, pairs, samples)
                figures = await measure_burst(services, people, url, pairs[:burst])
            finally:
                environment.stop(worker)
    finally:
        await people.aclose()
    figures["single_record_requests"] = round(per_record, 2)
    return {"crm_to_erp": to_erp, "erp_to_crm": to_crm, "burst": figures}


async def _caught_up(services: Services) -> None:
    """Wait for the catch-up run of the worker's start to end."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        entry = await services.job_queue.get("CUSTOMER")
        later = datetime.now(UTC) + timedelta(minutes=SAFETY_NET_MINUTES / 2)
        idle = entry is not None and entry.status is not JobStatus.IN_PROCESS
        if idle and entry is not None and entry.next_run_at and entry.next_run_at > later:
            return
        await asyncio.sleep(0.5)
    raise TimeoutError("the catch-up run did not end in time")


async def _subscribed(services: Services, worker: ChildProcess) -> None:
    deadline = time.monotonic() + 120
    wanted = {"erp:customer", "crm:account"}
    while True:
        if not worker.running:
            raise RuntimeError(f"the worker exited:\n{worker.log_tail()}")
        cursor = services.db["notification_subscriptions"].find({"active": True})
        if wanted <= {doc["_id"] async for doc in cursor}:
            return
        if time.monotonic() > deadline:
            raise TimeoutError("the subscriptions were not made in time")
        await asyncio.sleep(0.2)


async def _latencies(
    people: People, pairs: list[tuple[str, str]], samples: int
) -> tuple[list[float], list[float]]:
    to_erp: list[float] = []
    to_crm: list[float] = []
    for n in range(samples):
        account, customer = pairs[n]
        phone = f"+1 425 555 6{n:03d}"
        changed = await people.change_account(account, phone)
        arrived = await people.arrival(people.erp, f"customers({customer})", "phoneNumber", phone)
        to_erp.append(arrived - changed)
    for n in range(samples):
        account, customer = pairs[samples + n]
        phone = f"+1 206 555 5{n:03d}"
        changed = await people.change_customer(customer, phone)
        path = f"accounts({account})?$select=telephone1"
        to_crm.append(await people.arrival(people.crm, path, "telephone1", phone) - changed)
    return to_erp, to_crm


def report_push(
    result: ScenarioResult, pushed: dict[str, Any], polled: dict[str, list[float]]
) -> None:
    """The notification half's comparisons, checks and figures."""
    pushed_by_way = {"CRM → ERP": pushed["crm_to_erp"], "ERP → CRM": pushed["erp_to_crm"]}
    for way, latencies in pushed_by_way.items():
        for share, label in ((0.5, "p50"), (0.95, "p95")):
            result.compare(
                f"{label} latency {way}, notifications vs polling",
                percentile(latencies, share),
                percentile(polled[way], share),
                "s",
            )
    worst_p95 = max(percentile(values, 0.95) for values in pushed_by_way.values())
    result.compare(
        "notifications p95 latency (worse way) vs delivery delay + 2 s",
        worst_p95,
        DELAY_MS / 1000 + 2,
        "s",
        limit=1.0,
    )
    burst = pushed["burst"]
    requests = burst["requests"]
    reads = requests.get("dataverse_reads", 0) + requests.get("bc_reads", 0)
    writes = requests.get("dataverse_writes", 0) + requests.get("bc_writes", 0)
    result.compare(
        f"backend requests of a burst of {burst['records']} vs as many single-record syncs",
        reads + writes,
        burst["single_record_requests"] * burst["records"],
        "requests",
    )
    result.compare(
        "GraphQL p95 during the burst vs idle",
        percentile(burst["graphql_during"], 0.95),
        percentile(burst["graphql_idle"], 0.95),
        "s",
    )
    result.check(
        "every record of the burst crossed",
        str(burst["records"]),
        burst["arrived"],
        burst["arrived"] == burst["records"],
    )
    result.check(
        "batched: ≤ 3 requests (a read of each side, a write) per 100 records carried, per hop",
        f"≤ {burst['request_bound']} for {burst['carried']} records carried",
        f"{reads} reads + {writes} writes",
        reads + writes <= burst["request_bound"],
    )
    result.figures["notifications"] = {
        "delivery_delay_ms": DELAY_MS,
        "latencies_seconds": {
            way: [round(value, 2) for value in values] for way, values in pushed_by_way.items()
        },
        "burst": {
            **{k: v for k, v in burst.items() if not k.startswith("graphql")},
            "graphql_idle": latency_summary(burst["graphql_idle"]),
            "graphql_during": latency_summary(burst["graphql_during"]),
        },
    }

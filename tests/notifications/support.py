"""Helpers of the change notification tests: the gateway served on a port chosen beforehand
(the systems must know where to deliver), a worker beside it, people editing records in each
system, and waiting for the sandbox's deliveries."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from gateway.app import create_app
from gateway.asgi_server import running_server
from gateway.notifications.listeners import SIDES, interests
from gateway.notifications.store import NotificationStore
from gateway.notifications.subscriptions import LEASE
from gateway.services import Services
from gateway.settings import Settings
from gateway.store.sync_runs import RunTrigger
from tests.conftest import TEST_API_KEY
from tests.jobs.support import running_worker
from tests.support import eventually, poll_readiness
from tests.support_sandbox import BC_SCOPE, DATAVERSE_SCOPE, SandboxHandle


@contextlib.asynccontextmanager
async def serving(settings: Settings, port: int) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway's API on `port`, and an admin client of it."""
    async with running_server(create_app(settings), port=port) as url:
        await poll_readiness(url)
        async with httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {TEST_API_KEY}"}, timeout=60
        ) as client:
            yield client


@contextlib.asynccontextmanager
async def gateway(
    settings: Settings, port: int, services: Services, *, sides: int = 2
) -> AsyncIterator[httpx.AsyncClient]:
    """API and worker running; the worker's start-up subscribed `sides` sides."""
    async with serving(settings, port) as client, running_worker(settings):
        await subscribed(services, sides)
        yield client


async def subscribed(services: Services, sides: int) -> None:
    """Wait until the worker's start-up maintenance has made every subscription."""
    wanted = {
        f"{side}:{entity}" for side in SIDES[:sides] for entity in await interests(services, side)
    }
    leases = services.db["leases"]

    async def active() -> bool:
        stored = await NotificationStore(services.db).subscriptions()
        made = {f"{s.side}:{s.entity}" for s in stored if s.active}
        busy = await leases.find_one({"_id": LEASE, "expires_at": {"$gt": datetime.now(UTC)}})
        return made == wanted and busy is None

    await eventually(active, timeout=60, what="the subscriptions being made")


@dataclass
class People:
    """Sales and finance people editing records in their own system."""

    sandbox: SandboxHandle
    user: str  # a Dataverse user who is not the application

    async def _client(self, scope: str, base: str) -> httpx.AsyncClient:
        token = await self.sandbox.token(scope)
        return httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )

    async def crm(self, method: str, path: str, body: Any = None) -> Any:
        async with await self._client(DATAVERSE_SCOPE, self.sandbox.dataverse_api) as client:
            headers = {"MSCRMCallerID": self.user} if self.user else {}
            if method in ("PATCH", "DELETE"):
                headers["If-Match"] = "*"
            response = await client.request(method, path, json=body, headers=headers)
        response.raise_for_status()
        return response.json() if response.content else None

    async def erp(self, method: str, path: str, body: Any = None) -> Any:
        async with await self._client(BC_SCOPE, self.sandbox.bc_company_api) as client:
            headers = {"If-Match": "*"} if method in ("PATCH", "DELETE") else {}
            response = await client.request(method, path, json=body, headers=headers)
        response.raise_for_status()
        return response.json() if response.content else None


async def delivered(
    sandbox: SandboxHandle, api: str, count: int, outcome: str = "delivered"
) -> None:
    """Wait until the sandbox counts `count` deliveries of `api` with `outcome` (delivered,
    duplicated, lost, given_up, ...) in all."""

    async def done() -> bool:
        deliveries = (await sandbox.notifications())["deliveries"]
        return int(deliveries.get(api, {}).get(outcome, 0)) >= count

    await eventually(done, timeout=60, what=f"{count} {api} deliveries {outcome}")


async def notification_runs(services: Services, mapping: str = "CUSTOMER") -> list[dict[str, Any]]:
    cursor = services.db["sync_runs"].find(
        {"mapping": mapping, "trigger": RunTrigger.NOTIFICATION.value}
    )
    return [doc async for doc in cursor.sort("_id", 1)]


async def settled_runs(services: Services, count: int, mapping: str = "CUSTOMER") -> list[Any]:
    """Wait for `count` finished notification runs of `mapping`; all of them."""

    async def finished() -> list[dict[str, Any]] | None:
        runs = await notification_runs(services, mapping)
        done = [r for r in runs if r["status"] in ("SUCCEEDED", "FAILED")]
        return runs if len(done) >= count and len(done) == len(runs) else None

    return await eventually(finished, timeout=60, what=f"{count} notification runs")


async def carried(
    services: Services, *, modified: int, unchanged: int, since: int = 0
) -> list[dict[str, Any]]:
    """Wait until CUSTOMER's notification runs (from the `since`-th on) wrote `modified`
    records and found at least `unchanged` ones equal (the echo of the gateway's own writes), all of
    them finished: a carrier may take the echo in the run that wrote, or in one of its own."""

    async def done() -> list[dict[str, Any]] | None:
        runs = (await notification_runs(services))[since:]
        if any(r["status"] not in ("SUCCEEDED", "FAILED") for r in runs):
            return None
        total = {k: sum(int(r["counters"][k]) for r in runs) for k in ("modified", "unchanged")}
        enough = total["modified"] == modified and total["unchanged"] >= unchanged
        return runs if enough else None

    return await eventually(done, timeout=60, what=f"{modified} written, {unchanged} echoed")

"""A small world for lifecycle tests: a customer coupled to an account, an item coupled to a
product, a write-in item, and CRM quotes and orders with lines. Arranged through the
connectors; tests check results by reading the sandbox's APIs over HTTP directly."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
from arq.worker import Worker
from pydantic import SecretStr

from adapters.base import Connector, Record
from gateway.services import Services, connect_redis
from gateway.settings import Settings
from gateway.store.couplings import CoupledRecord
from tests.jobs.support import drain
from tests.support_sandbox import BC_SCOPE, DATAVERSE_SCOPE, SandboxHandle

WRITE_IN_NUMBER = "WRITE-IN"
LONG_TEXT = "Installation on site, " + "including travel and two follow-up visits; " * 4


@dataclass
class Connected:
    """Services with both systems' connectors."""

    services: Services

    @property
    def erp(self) -> Connector:
        assert self.services.erp is not None
        return self.services.erp

    @property
    def crm(self) -> Connector:
        assert self.services.crm is not None
        return self.services.crm


@dataclass
class World(Connected):
    customer: Record
    account: Record
    item: Record
    product: Record

    async def quote(self, name: str, *, lines: int = 2, write_in: bool = False) -> Record:
        quote = await self.crm.create(
            "quote",
            {
                "name": name,
                "_customerid_value": self.account.id,
                "effectiveto": "2031-06-30T00:00:00Z",
            },
        )
        for values in self.lines(lines, write_in=write_in):
            await self.crm.create("quote_line", {"_quoteid_value": quote.id, **values})
        return (await self.crm.get_many("quote", [quote.id]))[quote.id]

    async def order(self, name: str, *, lines: int = 1, write_in: bool = False) -> Record:
        order = await self.crm.create(
            "sales_order", {"name": name, "_customerid_value": self.account.id}
        )
        for values in self.lines(lines, write_in=write_in):
            await self.crm.create("sales_order_line", {"_salesorderid_value": order.id, **values})
        return (await self.crm.get_many("sales_order", [order.id]))[order.id]

    async def submit_order(self, order: Record) -> Record:
        await self.crm.transition("sales_order", order.id, "submit")
        return (await self.crm.get_many("sales_order", [order.id]))[order.id]

    def lines(self, count: int, *, write_in: bool) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = [
            {"_productid_value": self.product.id, "quantity": 2.0 + i, "priceperunit": 1000.0}
            for i in range(count)
        ]
        if write_in:
            found.append(
                {
                    "isproductoverridden": True,
                    "productdescription": LONG_TEXT,
                    "quantity": 1.0,
                    "priceperunit": 250.0,
                }
            )
        return found


def side(record: Record, key: str | None = None) -> CoupledRecord:
    return CoupledRecord(system=record.system, entity=record.entity, id=record.id, key=key)


async def build_world(services: Services) -> World:
    erp, crm = services.erp, services.crm
    assert erp is not None
    assert crm is not None
    customer = await erp.create("customer", {"displayName": "Fabrikam Projects"})
    account = await crm.create(
        "account", {"name": "Fabrikam Projects", "accountnumber": customer.values["number"]}
    )
    await services.couplings.couple(
        "CUSTOMER", side(customer, customer.values["number"]), side(account)
    )
    item = await erp.create("item", {"displayName": "Consulting day", "unitPrice": 1000})
    product = await crm.create(
        "product",
        {"name": "Consulting day", "productnumber": item.values["number"], "price": 1000},
    )
    await services.couplings.couple(
        "ITEM-PRODUCT", side(item, item.values["number"]), side(product)
    )
    await erp.create(
        "item", {"number": WRITE_IN_NUMBER, "displayName": "Write-in product", "unitPrice": 0}
    )
    return World(services, customer, account, item, product)


class Systems:
    """The sandbox's two APIs read directly over HTTP, as a person checking would."""

    def __init__(self, dataverse: httpx.AsyncClient, bc: httpx.AsyncClient) -> None:
        self.dataverse = dataverse
        self.bc = bc

    async def crm(self, path: str) -> dict[str, Any]:
        response = await self.dataverse.get(path)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def erp(self, path: str, **params: str) -> dict[str, Any]:
        response = await self.bc.get(path, params=params or None)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def erp_status(self, path: str) -> int:
        return (await self.bc.get(path)).status_code

    async def erp_action(self, path: str, action: str) -> None:
        """A bound action of Business Central (`Microsoft.NAV.<action>`), as a person runs it."""
        response = await self.bc.post(f"{path}/Microsoft.NAV.{action}")
        assert response.status_code == 204, response.text

    async def erp_edit(self, path: str, values: dict[str, Any]) -> dict[str, Any]:
        """Change a Business Central record as a person does (with its ETag)."""
        current = await self.erp(path)
        response = await self.bc.patch(
            path, json=values, headers={"If-Match": current["@odata.etag"]}
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def erp_create(self, path: str, values: dict[str, Any]) -> dict[str, Any]:
        response = await self.bc.post(path, json=values)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def crm_edit(self, path: str, values: dict[str, Any]) -> None:
        response = await self.dataverse.patch(path, json=values)
        assert response.status_code == 204, response.text

    async def crm_action(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """An unbound Dataverse action (`WinQuote`, `ConvertQuoteToSalesOrder`, ...)."""
        response = await self.dataverse.post(name, json=body)
        assert response.status_code in (200, 204), response.text
        answer: dict[str, Any] = response.json() if response.content else {}
        return answer


async def systems(sandbox: SandboxHandle) -> AsyncIterator[Systems]:
    crm_token = await sandbox.token(DATAVERSE_SCOPE)
    bc_token = await sandbox.token(BC_SCOPE)
    async with (
        httpx.AsyncClient(
            base_url=sandbox.dataverse_api,
            headers={"Authorization": f"Bearer {crm_token}", "OData-Version": "4.0"},
            timeout=60,
        ) as dataverse,
        httpx.AsyncClient(
            base_url=sandbox.bc_company_api,
            headers={"Authorization": f"Bearer {bc_token}"},
            timeout=60,
        ) as bc,
    ):
        yield Systems(dataverse, bc)


def writes(stats: dict[str, Any]) -> int:
    """Requests that may change something (every method but GET) in both APIs."""
    total = 0
    for api in ("dataverse", "bc"):
        for methods in stats.get("apis", {}).get(api, {}).get("entity_sets", {}).values():
            total += sum(count for method, count in methods.items() if method != "GET")
    return total


def environment(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a child process configured like `settings`."""

    def secret(value: SecretStr | None) -> str:
        return value.get_secret_value() if value is not None else ""

    values = {
        "MONGODB_URL": str(settings.mongodb_url),
        "MONGODB_DATABASE": settings.mongodb_database,
        "REDIS_URL": str(settings.redis_url),
        "CRM_URL": str(settings.crm_url),
        "CRM_TOKEN_URL": str(settings.crm_token_url),
        "CRM_CLIENT_ID": settings.crm_client_id or "",
        "CRM_CLIENT_SECRET": secret(settings.crm_client_secret),
        "BC_URL": str(settings.bc_url),
        "BC_TOKEN_URL": str(settings.bc_token_url),
        "BC_CLIENT_ID": settings.bc_client_id or "",
        "BC_CLIENT_SECRET": secret(settings.bc_client_secret),
        "BC_COMPANY_ID": settings.bc_company_id or "",
        "WRITE_IN_PRODUCT_NUMBER": settings.write_in_product_number or "",
        "WORKFLOW_LEASE_SECONDS": str(settings.workflow_lease_seconds),
        **extra,
    }
    return {**os.environ, **values}


async def run_burst_worker(settings: Settings, *jobs: str) -> Worker:
    """Enqueue `jobs` by name and run a worker in burst mode until the queue is empty."""
    redis = connect_redis(str(settings.redis_url))
    try:
        for job in jobs:
            assert await redis.enqueue_job(job) is not None
    finally:
        await redis.aclose(close_connection_pool=True)
    return await drain(settings)

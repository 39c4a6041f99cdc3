"""Arranging the data a scenario measures: whole tables read through the connectors, and the
seeds' matched pairs coupled in the gateway's store (untimed set-up work)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from adapters.base import Connector, Page, Record
from adapters.filters import Filter
from gateway.couplings.views import CUSTOMER_MAPPING
from gateway.services import Services
from gateway.store.couplings import CoupledRecord

COUPLING_CONCURRENCY = 8


async def every(
    connector: Connector, entity: str, filter: Filter | None = None
) -> AsyncIterator[Record]:
    cursor: str | None = None
    while True:
        result = await connector.query(entity, filter, Page(size=5000, cursor=cursor))
        for record in result.records:
            yield record
        cursor = result.next_cursor
        if cursor is None:
            return


async def table(connector: Connector, entity: str, filter: Filter | None = None) -> list[Record]:
    return [record async for record in every(connector, entity, filter)]


def _side(record: Record, key: str | None) -> CoupledRecord:
    return CoupledRecord(system=record.system, entity=record.entity, id=record.id, key=key)


async def couple_matched_customers(services: Services) -> int:
    """Couple every account to the customer whose number is its account number (the seeds'
    matched pairs); returns how many pairs were coupled."""
    assert services.crm is not None
    assert services.erp is not None
    customers = {r.values["number"]: r for r in await table(services.erp, "customer")}
    pairs = [
        (customers[number], account)
        for account in await table(services.crm, "account")
        if (number := account.values.get("accountnumber")) in customers
    ]
    limit = asyncio.Semaphore(COUPLING_CONCURRENCY)
    repository = services.couplings

    async def couple(customer: Record, account: Record) -> None:
        async with limit:
            await repository.couple(
                CUSTOMER_MAPPING,
                _side(customer, customer.values["number"]),
                _side(account, account.values.get("accountnumber")),
            )

    await asyncio.gather(*(couple(customer, account) for customer, account in pairs))
    return len(pairs)

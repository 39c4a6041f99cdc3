"""Helpers of the API and coupling tests: GraphQL calls with variables, reading whole tables
straight from the connectors (the expected side of an assertion), coupling by hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from adapters.base import Connector, Page, Record
from adapters.filters import Filter
from gateway.services import Services
from gateway.store.couplings import CoupledRecord, Coupling

Document = dict[str, Any]


async def gql(client: httpx.AsyncClient, query: str, **variables: Any) -> Document:
    """POST one operation; the HTTP status must be 200 (GraphQL errors are in the body)."""
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: Document = response.json()
    return body


async def data(client: httpx.AsyncClient, query: str, **variables: Any) -> Document:
    """The `data` of an operation that must succeed without any error."""
    body = await gql(client, query, **variables)
    assert "errors" not in body, body.get("errors")
    result: Document = body["data"]
    return result


def codes(body: Document) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in body.get("errors") or []]


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


def side(record: Record, key: str | None = None) -> CoupledRecord:
    return CoupledRecord(system=record.system, entity=record.entity, id=record.id, key=key)


async def couple(services: Services, mapping: str, erp: Record, crm: Record) -> Coupling:
    result = await services.couplings.couple(mapping, side(erp), side(crm))
    return result.coupling


async def couple_customers_by_number(services: Services) -> dict[str, Record]:
    """Couple every account to the customer whose number is its account number (the seeds'
    matched pairs); returns the customers by account id."""
    assert services.crm is not None
    assert services.erp is not None
    customers = {r.values["number"]: r for r in await table(services.erp, "customer")}
    coupled: dict[str, Record] = {}
    for account in await table(services.crm, "account"):
        customer = customers.get(account.values.get("accountnumber") or "")
        if customer is not None:
            await services.couplings.couple(
                "CUSTOMER",
                side(customer, customer.values["number"]),
                side(account, account.values["accountnumber"]),
            )
            coupled[account.id] = customer
    return coupled


async def couple_salespeople_by_email(services: Services) -> dict[str, Record]:
    """Couple every CRM user to the salesperson with the same e-mail (by code ↔ user id);
    returns the salespeople by user id."""
    assert services.crm is not None
    assert services.erp is not None
    people = {
        (r.values.get("email") or "").lower(): r for r in await table(services.erp, "salesperson")
    }
    coupled: dict[str, Record] = {}
    for user in await table(services.crm, "user"):
        person = people.get((user.values.get("internalemailaddress") or "").lower())
        if person is not None:
            await services.couplings.couple(
                "SALESPEOPLE",
                side(person, person.values["code"]),
                side(user, user.values["internalemailaddress"]),
            )
            coupled[user.id] = person
    return coupled


async def couple_currencies_by_code(services: Services) -> int:
    """Couple the ERP's currencies to the CRM's transaction currencies by ISO code."""
    assert services.crm is not None
    assert services.erp is not None
    crm = {r.values["isocurrencycode"]: r for r in await table(services.crm, "currency")}
    count = 0
    for currency in await table(services.erp, "currency"):
        code = currency.values["code"]
        if code in crm:
            await services.couplings.couple("CURRENCY", side(currency, code), side(crm[code], code))
            count += 1
    return count


async def prepare_dependencies(services: Services) -> None:
    """What customers depend on: salespeople and currencies coupled first."""
    await couple_salespeople_by_email(services)
    await couple_currencies_by_code(services)

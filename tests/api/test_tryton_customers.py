"""Customers read from a live Tryton: fields through Tryton's field table, pages through the
connector's own cursors (Tryton has no key to filter on), integer ids."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from adapters.base import Entity, Side
from adapters.memory import MemoryConnector
from gateway.services import Services
from gateway.store.couplings import CoupledRecord
from schema import build_schema
from schema.context import Context
from tests.adapters.tryton_server import LiveTryton, tryton, tryton_server

__all__ = ["tryton", "tryton_server"]

pytestmark = pytest.mark.tryton

CUSTOMERS = """
query Customers($search: String, $first: Int, $after: String, $coupled: Boolean) {
  customers(search: $search, first: $first, after: $after, coupled: $coupled) {
    pageInfo { hasNextPage endCursor }
    edges { node { erpId number name email city salespersonCode coupled } }
  }
}
"""


async def execute(services: Services, query: str, **variables: Any) -> dict[str, Any]:
    schema = build_schema(services.settings)
    context = Context(request=None, response=None, services=services)  # type: ignore[arg-type]
    result = await schema.execute(query, variable_values=variables, context_value=context)
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


async def walk(services: Services, **variables: Any) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    after = None
    for _ in range(50):
        page = (await execute(services, CUSTOMERS, after=after, **variables))["customers"]
        nodes += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]
    pytest.fail("the listing did not end")


async def test_tryton_customers_are_listed_searched_and_found_by_id(
    services: Services, tryton: LiveTryton
) -> None:
    services.erp = tryton.connector
    services.crm = MemoryConnector("dataverse", Side.CRM)
    prefix = f"Party {uuid.uuid4().hex[:8]}"
    created = [
        await tryton.connector.create(
            Entity.CUSTOMER,
            {"name": f"{prefix} {n}", "email": f"p{n}@{prefix[6:]}.example", "city": "Rome"},
        )
        for n in range(5)
    ]
    await services.couplings.couple(
        "CUSTOMER",
        CoupledRecord("tryton", "customer", created[0].id),
        CoupledRecord("dataverse", "account", str(uuid.uuid4())),
    )

    nodes = await walk(services, search=prefix.upper(), first=2)
    assert [n["erpId"] for n in nodes] == [r.id for r in created]
    first = nodes[0]
    assert first["name"] == f"{prefix} 0"
    assert first["email"] == f"p0@{prefix[6:]}.example"
    assert first["city"] == "Rome"
    assert first["number"] == created[0].values["code"]
    assert first["salespersonCode"] is None
    assert [n["coupled"] for n in nodes] == [True, False, False, False, False]

    uncoupled = await walk(services, search=prefix, first=1, coupled=False)
    assert [n["erpId"] for n in uncoupled] == [r.id for r in created[1:]]
    coupled = await walk(services, search=prefix, coupled=True)
    assert [n["erpId"] for n in coupled] == [created[0].id]

    one = "query ($id: ID!) { customer(erpId: $id) { erpId name } }"
    assert (await execute(services, one, id=created[2].id))["customer"] == {
        "erpId": created[2].id,
        "name": f"{prefix} 2",
    }
    schema = build_schema(services.settings)
    context = Context(request=None, response=None, services=services)  # type: ignore[arg-type]
    refused = await schema.execute(
        one, variable_values={"id": str(uuid.uuid4())}, context_value=context
    )
    assert refused.errors is not None
    assert refused.errors[0].extensions == {"code": "INVALID_INPUT", "field": ["erpId"]}

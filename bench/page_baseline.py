"""The statistics page built by hand: the baseline of the GraphQL page of accounts.

`read_page` makes the same backend calls as the gateway's `accounts` listing with the same
connectors and the same coupling queries (one page of accounts ordered by key, the couplings
of its rows, then the coupled customers, their figures and the accounts' open pipeline at
once), and builds the same JSON, with no GraphQL and no DataLoaders. `python -m
bench.page_baseline --port N` serves it as a plain Starlette endpoint (`POST /page`, body
`{"first": 100, "after": "<crm id>"}`) configured from the gateway's environment variables.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.base import Connector, Page
from adapters.filters import Compare
from adapters.statistics import (
    CrmAccountStatistics,
    CrmStatisticsSource,
    CustomerStatisticsSource,
    ErpCustomerStatistics,
)
from gateway.connectors import build_crm, build_erp
from gateway.couplings.views import (
    ACCOUNT_ENTITY,
    CUSTOMER_ENTITY,
    CUSTOMER_MAPPING,
    AccountView,
    CustomerView,
    customer_fields,
)
from gateway.settings import Settings
from gateway.store import connect_mongo
from gateway.store.couplings import Coupling, CouplingRepository

Json = dict[str, Any]

# The statistics page of the README: accounts with their customers and both systems' figures.
PAGE_QUERY = """
query StatisticsPage($first: Int!, $after: String) {
  accounts(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node {
      crmId name accountNumber
      customer { erpId number name salespersonCode }
      statistics { balance totalSales overdueAmount }
      crmStatistics { openOpportunities openQuotes openCases }
    } }
  }
}
"""


async def read_page(
    crm: Connector,
    erp: Connector,
    couplings: CouplingRepository,
    *,
    first: int,
    after: str | None,
) -> Json:
    """The page as the GraphQL query answers it (`endCursor`: the last account's id)."""
    spec = crm.entities()[ACCOUNT_ENTITY]
    result = await crm.query(
        ACCOUNT_ENTITY,
        Compare(spec.key_field, "gt", after) if after else None,
        Page(size=first + 1),
        order_by=[f"{spec.key_field} asc"],
    )
    found = await couplings.by_ids(CUSTOMER_MAPPING, "crm", [r.id for r in result.records])
    records = result.records[:first]
    has_next = len(result.records) > first or result.next_cursor is not None
    coupled = [found[r.id] for r in records if r.id in found]
    erp_ids = list(dict.fromkeys(c.erp.id for c in coupled))
    account_ids = [r.id for r in records]
    customers, figures, pipeline = await asyncio.gather(
        erp.get_many(CUSTOMER_ENTITY, erp_ids),
        _customer_statistics(erp, erp_ids),
        _crm_statistics(crm, account_ids),
    )
    fields = customer_fields(erp)
    views = {key: CustomerView.of(value, fields) for key, value in customers.items()}
    edges = [
        {"node": _node(AccountView.of(record), found.get(record.id), views, figures, pipeline)}
        for record in records
    ]
    end = records[-1].id if records else None
    return {
        "data": {
            "accounts": {"pageInfo": {"hasNextPage": has_next, "endCursor": end}, "edges": edges}
        }
    }


async def _customer_statistics(erp: Connector, ids: list[str]) -> dict[str, ErpCustomerStatistics]:
    if not isinstance(erp, CustomerStatisticsSource) or not ids:
        return {}
    return await erp.customer_statistics(ids)


async def _crm_statistics(crm: Connector, ids: list[str]) -> dict[str, CrmAccountStatistics]:
    if not isinstance(crm, CrmStatisticsSource) or not ids:
        return {}
    return await crm.crm_statistics(ids)


def _node(
    account: AccountView,
    coupling: Coupling | None,
    customers: Mapping[str, CustomerView],
    figures: Mapping[str, ErpCustomerStatistics],
    pipeline: Mapping[str, CrmAccountStatistics],
) -> Json:
    customer: Json | None = None
    statistics: Json | None = None
    if coupling is not None:
        view = customers.get(coupling.erp.id)
        if view is not None:
            customer = {
                "erpId": view.id,
                "number": view.number,
                "name": view.name,
                "salespersonCode": view.salesperson_code,
            }
        stats = figures.get(coupling.erp.id)
        if stats is not None:
            statistics = {
                "balance": float(stats.balance),
                "totalSales": float(stats.total_sales),
                "overdueAmount": float(stats.overdue_amount),
            }
    open_figures = pipeline.get(account.id) or CrmAccountStatistics()
    return {
        "crmId": account.id,
        "name": account.name,
        "accountNumber": account.account_number,
        "customer": customer,
        "statistics": statistics,
        "crmStatistics": {
            "openOpportunities": open_figures.opportunities,
            "openQuotes": open_figures.quotes,
            "openCases": open_figures.cases,
        },
    }


def create_app(settings: Settings) -> Starlette:
    """`POST /page` answering `read_page`, with clients built once per process."""
    state: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        crm, erp = build_crm(settings), build_erp(settings)
        if crm is None or erp is None:
            raise RuntimeError("the baseline needs CRM_URL and BC_URL")
        mongo = connect_mongo(str(settings.mongodb_url))
        state.update(
            crm=crm, erp=erp, couplings=CouplingRepository(mongo[settings.mongodb_database])
        )
        try:
            yield
        finally:
            await crm.aclose()
            await erp.aclose()
            await mongo.close()

    async def page(request: Request) -> Response:
        body = orjson.loads(await request.body())
        answer = await read_page(
            state["crm"],
            state["erp"],
            state["couplings"],
            first=int(body["first"]),
            after=body.get("after"),
        )
        return Response(orjson.dumps(answer), media_type="application/json")

    async def healthz(request: Request) -> Response:
        return Response(b"ok")

    return Starlette(
        routes=[Route("/page", page, methods=["POST"]), Route("/healthz", healthz)],
        lifespan=lifespan,
    )


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    settings = Settings()
    uvicorn.run(
        create_app(settings),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        server_header=False,
    )


if __name__ == "__main__":
    main()

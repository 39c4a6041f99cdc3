"""The "account 360" page built by hand: the baseline of the GraphQL page of accounts with their
last five quotes and their lines, their unpaid invoices and their projects.

`read_page` makes the same backend calls as the gateway (one page of accounts by key, then for
the whole page at once: each kind of document of the accounts in the CRM and of their coupled
customers in the ERP, merged through the couplings by the gateway's document graph; then the
lines of the quotes shown and the CRM products they name) and builds the same JSON, with no
GraphQL and no DataLoaders. `python -m bench.account_360_baseline --port N` serves it as a
plain Starlette endpoint (`POST /page`, body `{"first": 100, "after": "<crm id>"}`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.base import Connector, Page
from adapters.documents import DocumentKind, Ref
from adapters.filters import Compare
from gateway.couplings.views import ACCOUNT_ENTITY, CUSTOMER_MAPPING, AccountView
from gateway.documents import lifecycle
from gateway.documents.graph import DocumentGraph, Failures
from gateway.documents.merged import Catalogues, Merged
from gateway.documents.reading import documents_of
from gateway.documents.views import DocumentView, LineView, amount, text
from gateway.services import Services, build_services
from gateway.settings import Settings
from gateway.types import SideName
from gateway.workflows.dialects import dialect_of

Json = dict[str, Any]

# What a sales person sees of an account: its last quotes with their lines, what it has not
# paid and its projects.
PAGE_QUERY = """
query Account360($first: Int!, $after: String) {
  accounts(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node {
      crmId name
      quotes(first: 5) { edges { node {
        crmId erpId number crmState erpState state totalAmount
        lines { productNumber quantity unitPrice amount }
      } } }
      invoices(paymentStatus: UNPAID) { edges { node {
        crmId erpId number totalAmount dueDate overdue
      } } }
      projects(first: 5) { edges { node { crmId erpId number name state } } }
    } }
  }
}
"""
QUOTES_SHOWN = 5
INVOICES_SHOWN = 50  # the API's default page


async def read_page(services: Services, *, first: int, after: str | None) -> Json:
    """The page as the GraphQL query answers it (`endCursor`: the last account's id)."""
    crm = services.crm
    assert crm is not None
    spec = crm.entities()[ACCOUNT_ENTITY]
    result = await crm.query(
        ACCOUNT_ENTITY,
        Compare(spec.key_field, "gt", after) if after else None,
        Page(size=first + 1),
        order_by=[f"{spec.key_field} asc"],
    )
    accounts = [AccountView.of(record) for record in result.records[:first]]
    has_next = len(result.records) > first or result.next_cursor is not None
    ids = [account.id for account in accounts]
    catalogues = Catalogues(
        documents_of(services.crm),
        documents_of(services.erp),
        dialect_of(services.erp.system if services.erp else ""),
    )
    graph = DocumentGraph(services, catalogues)
    failures = Failures()
    coupled = await services.couplings.by_ids(CUSTOMER_MAPPING, "crm", ids)
    quotes, invoices, projects = await asyncio.gather(
        graph.of_parties(DocumentKind.QUOTE, "crm", ids, failures, counterparts=coupled),
        graph.of_parties(DocumentKind.INVOICE, "crm", ids, failures, counterparts=coupled),
        graph.of_parties(DocumentKind.PROJECT, "crm", ids, failures, counterparts=coupled),
    )
    shown = {key: found[:QUOTES_SHOWN] for key, found in quotes.items()}
    lines = await _lines(graph, crm, [doc for found in shown.values() for doc in found])
    today = datetime.now(UTC).date()
    edges = []
    for account in accounts:
        unpaid = [
            doc
            for doc in invoices.get(account.id, [])
            if doc.payment is lifecycle.PaymentStatus.UNPAID
        ][:INVOICES_SHOWN]
        edges.append(
            {
                "node": {
                    "crmId": account.id,
                    "name": account.name,
                    "quotes": _edges(_quote(doc, lines) for doc in shown.get(account.id, [])),
                    "invoices": _edges(_invoice(doc, today) for doc in unpaid),
                    "projects": _edges(_project(doc) for doc in projects.get(account.id, [])[:5]),
                }
            }
        )
    end = accounts[-1].id if accounts else None
    return {
        "data": {
            "accounts": {"pageInfo": {"hasNextPage": has_next, "endCursor": end}, "edges": edges}
        }
    }


def _edges(nodes: Any) -> Json:
    return {"edges": [{"node": node} for node in nodes]}


def _side(doc: Merged, view: DocumentView) -> SideName:
    return "crm" if view is doc.crm else "erp"


async def _lines(
    graph: DocumentGraph, crm: Connector, docs: Sequence[Merged]
) -> dict[str, list[Json]]:
    """Each quote's lines from its origin's system, with the CRM products' numbers."""
    wanted: dict[SideName, list[str]] = {"crm": [], "erp": []}
    for doc in docs:
        view = doc.views()[0]
        wanted[_side(doc, view)].append(view.id)
    reader = graph.reader
    read = await asyncio.gather(
        *(reader.lines(side, DocumentKind.QUOTE, ids) for side, ids in wanted.items() if ids)
    )
    found: dict[str, list[Mapping[str, Any]]] = {}
    for part in read:
        found.update(part)
    crm_fields = graph.catalogues.fields("crm", DocumentKind.QUOTE)
    ref = crm_fields.lines.product_number if crm_fields and crm_fields.lines else None
    products: dict[str, str | None] = {}
    if isinstance(ref, Ref):
        product_ids = {
            text(values, ref.field)
            for doc in docs
            if doc.crm is not None and doc.views()[0] is doc.crm
            for values in found.get(doc.crm.id, [])
        }
        keys = sorted(key for key in product_ids if key)
        records = await reader.records("crm", ref.entity, keys) if keys else {}
        products = {key: text(record.values, ref.shown) for key, record in records.items()}
    shown: dict[str, list[Json]] = {}
    for doc in docs:
        view = doc.views()[0]
        fields = view.fields.lines
        if fields is None:
            continue
        rows = [LineView(values, fields) for values in found.get(view.id, [])]
        rows = sorted((row for row in rows if not row.is_text), key=lambda row: row.sequence)
        number = fields.product_number
        shown[doc.key] = [
            {
                "productNumber": products.get(text(row.values, number.field) or "")
                if isinstance(number, Ref)
                else text(row.values, number),
                "quantity": amount(row.values, fields.quantity),
                "unitPrice": amount(row.values, fields.unit_price),
                "amount": amount(row.values, fields.amount),
            }
            for row in rows
        ]
    return shown


def _quote(doc: Merged, lines: Mapping[str, list[Json]]) -> Json:
    return {
        "crmId": doc.side_id("crm"),
        "erpId": doc.side_id("erp"),
        "number": doc.number,
        "crmState": doc.crm_state,
        "erpState": doc.erp_state,
        "state": doc.state.value,
        "totalAmount": doc.erp_first(lambda view: view.amount(view.fields.gross)),
        "lines": lines.get(doc.key, []),
    }


def _invoice(doc: Merged, today: Any) -> Json:
    due = doc.erp_first(lambda view: view.day(view.fields.due_date))
    return {
        "crmId": doc.side_id("crm"),
        "erpId": doc.side_id("erp"),
        "number": doc.number,
        "totalAmount": doc.erp_first(lambda view: view.amount(view.fields.gross)),
        "dueDate": due.isoformat() if due else None,
        "overdue": lifecycle.overdue(due, doc.payment, today),
    }


def _project(doc: Merged) -> Json:
    return {
        "crmId": doc.side_id("crm"),
        "erpId": doc.side_id("erp"),
        "number": doc.number,
        "name": doc.name,
        "state": doc.state.value,
    }


def create_app(settings: Settings) -> Starlette:
    """`POST /page` answering `read_page`, with clients built once per process."""
    state: dict[str, Services] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        services = build_services(settings)
        if services.crm is None or services.erp is None:
            raise RuntimeError("the baseline needs CRM_URL and BC_URL")
        state["services"] = services
        try:
            yield
        finally:
            await services.aclose()

    async def page(request: Request) -> Response:
        body = orjson.loads(await request.body())
        answer = await read_page(
            state["services"], first=int(body["first"]), after=body.get("after")
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
    uvicorn.run(
        create_app(Settings()),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        server_header=False,
    )


if __name__ == "__main__":
    main()

"""The documents of an account or a customer, as connections on `Account` and `Customer`.

Both systems' documents of the party and of its coupled counterpart, merged and newest first;
for a page of accounts, each kind costs one read per system for the whole page.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import strawberry

from adapters.documents import DocumentKind
from gateway.store.couplings import SideName
from schema.context import Info
from schema.document_pages import document_filter, party_connection
from schema.types.documents_base import PaymentStatus
from schema.types.documents_orders import (
    Invoice,
    InvoiceConnection,
    SalesOrder,
    SalesOrderConnection,
)
from schema.types.documents_projects import (
    Opportunity,
    OpportunityConnection,
    Project,
    ProjectConnection,
)
from schema.types.documents_quotes import Quote, QuoteConnection

State = Annotated[
    str | None, strawberry.argument(description="The common lifecycle state, e.g. SUBMITTED.")
]


def _party(root: Any) -> tuple[SideName, str]:
    from schema.types.customers import Customer

    return ("erp" if isinstance(root, Customer) else "crm"), str(root.node_id)


async def party_quotes(
    root: strawberry.Parent[Any],
    info: Info,
    *,
    state: State = None,
    search: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    first: int | None = None,
    after: str | None = None,
) -> QuoteConnection:
    side, party = _party(root)
    keep = document_filter(
        DocumentKind.QUOTE, state=state, search=search, date_from=date_from, date_to=date_to
    )
    found = await party_connection(
        info,
        DocumentKind.QUOTE,
        side,
        party,
        keep,
        first=first,
        after=after,
        make=Quote.of,
        connection_type=QuoteConnection,
    )
    assert isinstance(found, QuoteConnection)
    return found


async def party_sales_orders(
    root: strawberry.Parent[Any],
    info: Info,
    *,
    state: State = None,
    search: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    first: int | None = None,
    after: str | None = None,
) -> SalesOrderConnection:
    side, party = _party(root)
    keep = document_filter(
        DocumentKind.SALES_ORDER, state=state, search=search, date_from=date_from, date_to=date_to
    )
    found = await party_connection(
        info,
        DocumentKind.SALES_ORDER,
        side,
        party,
        keep,
        first=first,
        after=after,
        make=SalesOrder.of,
        connection_type=SalesOrderConnection,
    )
    assert isinstance(found, SalesOrderConnection)
    return found


async def party_invoices(
    root: strawberry.Parent[Any],
    info: Info,
    *,
    payment_status: PaymentStatus | None = None,  # type: ignore[valid-type]
    state: State = None,
    search: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    first: int | None = None,
    after: str | None = None,
) -> InvoiceConnection:
    side, party = _party(root)
    keep = document_filter(
        DocumentKind.INVOICE,
        state=state,
        payment=payment_status,
        search=search,
        date_from=date_from,
        date_to=date_to,
    )
    found = await party_connection(
        info,
        DocumentKind.INVOICE,
        side,
        party,
        keep,
        first=first,
        after=after,
        make=Invoice.of,
        connection_type=InvoiceConnection,
    )
    assert isinstance(found, InvoiceConnection)
    return found


async def party_projects(
    root: strawberry.Parent[Any],
    info: Info,
    *,
    state: State = None,
    search: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    first: int | None = None,
    after: str | None = None,
) -> ProjectConnection:
    side, party = _party(root)
    keep = document_filter(
        DocumentKind.PROJECT, state=state, search=search, date_from=date_from, date_to=date_to
    )
    found = await party_connection(
        info,
        DocumentKind.PROJECT,
        side,
        party,
        keep,
        first=first,
        after=after,
        make=Project.of,
        connection_type=ProjectConnection,
    )
    assert isinstance(found, ProjectConnection)
    return found


async def party_opportunities(
    root: strawberry.Parent[Any],
    info: Info,
    *,
    state: State = None,
    search: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    first: int | None = None,
    after: str | None = None,
) -> OpportunityConnection:
    side, party = _party(root)
    keep = document_filter(
        DocumentKind.OPPORTUNITY, state=state, search=search, date_from=date_from, date_to=date_to
    )
    found = await party_connection(
        info,
        DocumentKind.OPPORTUNITY,
        side,
        party,
        keep,
        first=first,
        after=after,
        make=Opportunity.of,
        connection_type=OpportunityConnection,
    )
    assert isinstance(found, OpportunityConnection)
    return found

"""The connection fields of documents, made once per kind for the query root, `Account` and
`Customer`: the same arguments (`state`, `search`, `dateFrom`, `dateTo`, `first`, `after`;
`paymentStatus` for invoices; `accountId` and `customerId` on the root) and the same paging
(`schema.document_pages`) for every kind, so each field is one line where it is declared.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

import strawberry
from strawberry import relay

from adapters.documents import DocumentKind
from gateway.documents.merged import Merged
from schema.context import Info
from schema.document_pages import document_connection, document_filter, party_connection
from schema.types.documents_base import PaymentStatus
from schema.types.documents_items import Item, ItemConnection
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

Scope = Literal["query", "account", "customer"]
_P = inspect.Parameter
STATE = Annotated[
    str | None,
    strawberry.argument(description="The common lifecycle state (see LifecycleState)."),
]


@dataclass(frozen=True, slots=True)
class Listed:
    """A kind of document as the API lists it: its node type and connection type."""

    kind: DocumentKind
    make: Callable[[Merged], Any]
    connection: type[relay.Connection[Any]]
    by_customer: bool = True  # False: a CRM-only kind, listed by account alone
    by_payment: bool = False


def _parameters(listed: Listed, scope: Scope) -> list[inspect.Parameter]:
    keyword = _P.KEYWORD_ONLY
    found = [_P("info", _P.POSITIONAL_OR_KEYWORD, annotation=Info)]
    if scope != "query":
        found.insert(0, _P("root", _P.POSITIONAL_OR_KEYWORD, annotation=Any))
    else:
        found.append(_P("account_id", keyword, default=None, annotation=strawberry.ID | None))
        if listed.by_customer:
            found.append(_P("customer_id", keyword, default=None, annotation=strawberry.ID | None))
    if listed.by_payment:
        found.append(_P("payment_status", keyword, default=None, annotation=PaymentStatus | None))
    found += [
        _P("state", keyword, default=None, annotation=STATE),
        _P("search", keyword, default=None, annotation=str | None),
        _P("date_from", keyword, default=None, annotation=date | None),
        _P("date_to", keyword, default=None, annotation=date | None),
        _P("first", keyword, default=None, annotation=int | None),
        _P("after", keyword, default=None, annotation=str | None),
    ]
    return found


def connection_field(listed: Listed, scope: Scope, description: str) -> Any:
    """A strawberry field listing `listed` documents: all of them or an account's or a
    customer's (`scope` "query"), or the parent account's or customer's."""

    async def resolve(**given: Any) -> relay.Connection[Any]:
        info: Info = given["info"]
        keep = document_filter(
            listed.kind,
            state=given.get("state"),
            payment=given.get("payment_status"),
            search=given.get("search"),
            date_from=given.get("date_from"),
            date_to=given.get("date_to"),
        )
        first, after = given.get("first"), given.get("after")
        if scope == "query":
            return await document_connection(
                info,
                listed.kind,
                keep,
                account_id=given.get("account_id"),
                customer_id=given.get("customer_id"),
                first=first,
                after=after,
                make=listed.make,
                connection_type=listed.connection,
            )
        side: Literal["crm", "erp"] = "crm" if scope == "account" else "erp"
        return await party_connection(
            info,
            listed.kind,
            side,
            str(given["root"].node_id),
            keep,
            first=first,
            after=after,
            make=listed.make,
            connection_type=listed.connection,
        )

    parameters = _parameters(listed, scope)
    resolve.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        parameters, return_annotation=listed.connection
    )
    resolve.__annotations__ = {
        **{p.name: p.annotation for p in parameters},
        "return": listed.connection,
    }
    resolve.__name__ = f"{listed.kind.value}s"
    return strawberry.field(resolver=resolve, description=description)


QUOTES = Listed(DocumentKind.QUOTE, Quote.of, QuoteConnection)
SALES_ORDERS = Listed(DocumentKind.SALES_ORDER, SalesOrder.of, SalesOrderConnection)
INVOICES = Listed(DocumentKind.INVOICE, Invoice.of, InvoiceConnection, by_payment=True)
PROJECTS = Listed(DocumentKind.PROJECT, Project.of, ProjectConnection)
OPPORTUNITIES = Listed(
    DocumentKind.OPPORTUNITY, Opportunity.of, OpportunityConnection, by_customer=False
)
ITEMS = Listed(DocumentKind.ITEM, Item.of, ItemConnection)

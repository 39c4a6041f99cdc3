"""Quotes, sales orders, invoices, projects, opportunities and items: pages and lookups.

A page is an account's (`accountId`), a customer's (`customerId`) or every document of the
kind; `state` is the common lifecycle state (see `LifecycleState`), `search` looks in the
number and name, `dateFrom`/`dateTo` bound the document's own date (both included). A lookup
takes the id of either system's record; an id that names nothing answers null.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from adapters.documents import DocumentKind
from schema.context import Info
from schema.document_pages import document_connection, document_filter, one_document
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

_STATE = "The common lifecycle state (see LifecycleState), e.g. SUBMITTED."


@strawberry.type
class DocumentQuery:
    @strawberry.field(
        description="Quotes of an account, of a customer, or all of them (CRM quotes first, then "
        "ERP quotes coupled to none); an account's or customer's newest first."
    )
    async def quotes(
        self,
        info: Info,
        *,
        account_id: strawberry.ID | None = None,
        customer_id: strawberry.ID | None = None,
        state: Annotated[str | None, strawberry.argument(description=_STATE)] = None,
        search: str | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> QuoteConnection:
        keep = document_filter(
            DocumentKind.QUOTE,
            state=state,
            search=search,
            date_from=date_from,
            date_to=date_to,
        )
        connection = await document_connection(
            info,
            DocumentKind.QUOTE,
            keep,
            account_id=account_id,
            customer_id=customer_id,
            first=first,
            after=after,
            make=Quote.of,
            connection_type=QuoteConnection,
        )
        assert isinstance(connection, QuoteConnection)
        return connection

    @strawberry.field(description="A quote by the id of its CRM quote or of its ERP quote.")
    async def quote(
        self, info: Info, crm_id: strawberry.ID | None = None, erp_id: strawberry.ID | None = None
    ) -> Quote | None:
        found = await one_document(info, DocumentKind.QUOTE, crm_id=crm_id, erp_id=erp_id)
        return None if found is None else Quote.of(found)

    @strawberry.field(description="Sales orders of an account, of a customer, or all of them.")
    async def sales_orders(
        self,
        info: Info,
        *,
        account_id: strawberry.ID | None = None,
        customer_id: strawberry.ID | None = None,
        state: Annotated[str | None, strawberry.argument(description=_STATE)] = None,
        search: str | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> SalesOrderConnection:
        keep = document_filter(
            DocumentKind.SALES_ORDER,
            state=state,
            search=search,
            date_from=date_from,
            date_to=date_to,
        )
        connection = await document_connection(
            info,
            DocumentKind.SALES_ORDER,
            keep,
            account_id=account_id,
            customer_id=customer_id,
            first=first,
            after=after,
            make=SalesOrder.of,
            connection_type=SalesOrderConnection,
        )
        assert isinstance(connection, SalesOrderConnection)
        return connection

    @strawberry.field(description="A sales order by the id of its CRM order or of its ERP order.")
    async def sales_order(
        self, info: Info, crm_id: strawberry.ID | None = None, erp_id: strawberry.ID | None = None
    ) -> SalesOrder | None:
        found = await one_document(info, DocumentKind.SALES_ORDER, crm_id=crm_id, erp_id=erp_id)
        return None if found is None else SalesOrder.of(found)

    @strawberry.field(
        description="Invoices of an account, of a customer, or all of them (the ERP's first); "
        "`paymentStatus` keeps the UNPAID, PARTIAL or PAID ones."
    )
    async def invoices(
        self,
        info: Info,
        *,
        account_id: strawberry.ID | None = None,
        customer_id: strawberry.ID | None = None,
        payment_status: PaymentStatus | None = None,  # type: ignore[valid-type]
        state: Annotated[str | None, strawberry.argument(description=_STATE)] = None,
        search: str | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> InvoiceConnection:
        keep = document_filter(
            DocumentKind.INVOICE,
            state=state,
            payment=payment_status,
            search=search,
            date_from=date_from,
            date_to=date_to,
        )
        connection = await document_connection(
            info,
            DocumentKind.INVOICE,
            keep,
            account_id=account_id,
            customer_id=customer_id,
            first=first,
            after=after,
            make=Invoice.of,
            connection_type=InvoiceConnection,
        )
        assert isinstance(connection, InvoiceConnection)
        return connection

    @strawberry.field(description="An invoice by the id of its ERP invoice or of its CRM invoice.")
    async def invoice(
        self, info: Info, crm_id: strawberry.ID | None = None, erp_id: strawberry.ID | None = None
    ) -> Invoice | None:
        found = await one_document(info, DocumentKind.INVOICE, crm_id=crm_id, erp_id=erp_id)
        return None if found is None else Invoice.of(found)

    @strawberry.field(description="Projects of an account, of a customer, or all of them.")
    async def projects(
        self,
        info: Info,
        *,
        account_id: strawberry.ID | None = None,
        customer_id: strawberry.ID | None = None,
        state: Annotated[str | None, strawberry.argument(description=_STATE)] = None,
        search: str | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> ProjectConnection:
        keep = document_filter(
            DocumentKind.PROJECT,
            state=state,
            search=search,
            date_from=date_from,
            date_to=date_to,
        )
        connection = await document_connection(
            info,
            DocumentKind.PROJECT,
            keep,
            account_id=account_id,
            customer_id=customer_id,
            first=first,
            after=after,
            make=Project.of,
            connection_type=ProjectConnection,
        )
        assert isinstance(connection, ProjectConnection)
        return connection

    @strawberry.field(description="A project by the id of its ERP project or of its CRM project.")
    async def project(
        self, info: Info, crm_id: strawberry.ID | None = None, erp_id: strawberry.ID | None = None
    ) -> Project | None:
        found = await one_document(info, DocumentKind.PROJECT, crm_id=crm_id, erp_id=erp_id)
        return None if found is None else Project.of(found)

    @strawberry.field(description="Opportunities of an account, or all of them (CRM only).")
    async def opportunities(
        self,
        info: Info,
        *,
        account_id: strawberry.ID | None = None,
        state: Annotated[str | None, strawberry.argument(description=_STATE)] = None,
        search: str | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> OpportunityConnection:
        keep = document_filter(
            DocumentKind.OPPORTUNITY,
            state=state,
            search=search,
            date_from=date_from,
            date_to=date_to,
        )
        connection = await document_connection(
            info,
            DocumentKind.OPPORTUNITY,
            keep,
            account_id=account_id,
            customer_id=None,
            first=first,
            after=after,
            make=Opportunity.of,
            connection_type=OpportunityConnection,
        )
        assert isinstance(connection, OpportunityConnection)
        return connection

    @strawberry.field(description="An opportunity by its CRM id.")
    async def opportunity(self, info: Info, crm_id: strawberry.ID) -> Opportunity | None:
        found = await one_document(info, DocumentKind.OPPORTUNITY, crm_id=crm_id, erp_id=None)
        return None if found is None else Opportunity.of(found)

    @strawberry.field(
        description="Items of the ERP with their coupled CRM products (then CRM products coupled "
        "to no item); `search` looks in the number and name."
    )
    async def items(
        self,
        info: Info,
        search: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> ItemConnection:
        keep = document_filter(DocumentKind.ITEM, search=search)
        connection = await document_connection(
            info,
            DocumentKind.ITEM,
            keep,
            account_id=None,
            customer_id=None,
            first=first,
            after=after,
            make=Item.of,
            connection_type=ItemConnection,
        )
        assert isinstance(connection, ItemConnection)
        return connection

    @strawberry.field(description="An item by its ERP id, or by the id of its coupled product.")
    async def item(
        self, info: Info, erp_id: strawberry.ID | None = None, crm_id: strawberry.ID | None = None
    ) -> Item | None:
        found = await one_document(info, DocumentKind.ITEM, crm_id=crm_id, erp_id=erp_id)
        return None if found is None else Item.of(found)

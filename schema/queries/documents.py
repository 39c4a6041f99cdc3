"""Quotes, sales orders, invoices, projects, opportunities and items: pages and lookups.

A page is an account's (`accountId`), a customer's (`customerId`) or every document of the
kind; `state` is the common lifecycle state (see `LifecycleState`), `search` looks in the
number and name, `dateFrom`/`dateTo` bound the document's own date (both included). A lookup
takes the id of either system's record; an id that names nothing answers null.
"""

from __future__ import annotations

import strawberry

from adapters.documents import DocumentKind
from schema.context import Info
from schema.document_connections import (
    INVOICES,
    ITEMS,
    OPPORTUNITIES,
    PROJECTS,
    QUOTES,
    SALES_ORDERS,
    connection_field,
)
from schema.document_pages import one_document
from schema.types.documents_items import Item
from schema.types.documents_orders import Invoice, SalesOrder
from schema.types.documents_projects import Opportunity, Project
from schema.types.documents_quotes import Quote

ID = strawberry.ID


@strawberry.type
class DocumentQuery:
    quotes = connection_field(
        QUOTES,
        "query",
        "Quotes of an account, of a customer (newest first), or all of them (the CRM's "
        "first, then ERP quotes coupled to none).",
    )
    sales_orders = connection_field(
        SALES_ORDERS,
        "query",
        "Sales orders of an account, of a customer (newest first), or all of them (the "
        "CRM's first, then ERP orders coupled to none).",
    )
    invoices = connection_field(
        INVOICES,
        "query",
        "Invoices of an account, of a customer (newest first), or all of them (the ERP's "
        "first); `paymentStatus` keeps the UNPAID, PARTIAL or PAID ones.",
    )
    projects = connection_field(
        PROJECTS,
        "query",
        "Projects of an account, of a customer (newest first), or all of them (the ERP's first).",
    )
    opportunities = connection_field(
        OPPORTUNITIES, "query", "Opportunities of an account, or all of them (CRM only)."
    )
    items = connection_field(
        ITEMS,
        "query",
        "Items of the ERP with their coupled CRM products, then CRM products coupled to no "
        "item; `search` looks in the number and name.",
    )

    @strawberry.field(description="A quote by the id of its CRM quote or of its ERP quote.")
    async def quote(
        self, info: Info, crm_id: ID | None = None, erp_id: ID | None = None
    ) -> Quote | None:
        found = await one_document(info, DocumentKind.QUOTE, crm_id=crm_id, erp_id=erp_id)
        return None if found is None else Quote.of(found)

    @strawberry.field(description="A sales order by the id of its CRM order or of its ERP order.")
    async def sales_order(
        self, info: Info, crm_id: ID | None = None, erp_id: ID | None = None
    ) -> SalesOrder | None:
        found = await one_document(info, DocumentKind.SALES_ORDER, crm_id=crm_id, erp_id=erp_id)
        return None if found is None else SalesOrder.of(found)

    @strawberry.field(description="An invoice by the id of its ERP invoice or of its CRM invoice.")
    async def invoice(
        self, info: Info, crm_id: ID | None = None, erp_id: ID | None = None
    ) -> Invoice | None:
        found = await one_document(info, DocumentKind.INVOICE, crm_id=crm_id, erp_id=erp_id)
        return None if found is None else Invoice.of(found)

    @strawberry.field(description="A project by the id of its ERP project or of its CRM project.")
    async def project(
        self, info: Info, crm_id: ID | None = None, erp_id: ID | None = None
    ) -> Project | None:
        found = await one_document(info, DocumentKind.PROJECT, crm_id=crm_id, erp_id=erp_id)
        return None if found is None else Project.of(found)

    @strawberry.field(description="An opportunity by its CRM id.")
    async def opportunity(self, info: Info, crm_id: ID) -> Opportunity | None:
        found = await one_document(info, DocumentKind.OPPORTUNITY, crm_id=crm_id, erp_id=None)
        return None if found is None else Opportunity.of(found)

    @strawberry.field(description="An item by its ERP id, or by the id of its coupled product.")
    async def item(
        self, info: Info, erp_id: ID | None = None, crm_id: ID | None = None
    ) -> Item | None:
        found = await one_document(info, DocumentKind.ITEM, crm_id=crm_id, erp_id=erp_id)
        return None if found is None else Item.of(found)

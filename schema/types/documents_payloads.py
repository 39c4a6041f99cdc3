"""The full document a lifecycle mutation acted on, for its payload: read after the mutation,
from the ids its answer already names, so a client re-renders from the answer."""

from __future__ import annotations

from adapters.documents import DocumentKind
from gateway.documents.merged import Merged
from gateway.types import SideName
from schema.context import Info
from schema.types.documents_base import document_by_id
from schema.types.documents_orders import Invoice, SalesOrder
from schema.types.documents_projects import Project
from schema.types.documents_quotes import Quote
from schema.types.lifecycles import LifecycleDocument


async def _document(
    info: Info, kind: DocumentKind, *acted_on: LifecycleDocument | None
) -> Merged | None:
    crm = info.context.services.crm
    for document in acted_on:
        if document is None:
            continue
        side: SideName = "crm" if crm is not None and document.system == crm.system else "erp"
        found = await document_by_id(info, kind, side, str(document.id))
        if found is not None:
            return found
    return None


async def quote_of(info: Info, *acted_on: LifecycleDocument | None) -> Quote | None:
    found = await _document(info, DocumentKind.QUOTE, *acted_on)
    return None if found is None else Quote.of(found)


async def project_of(info: Info, *acted_on: LifecycleDocument | None) -> Project | None:
    found = await _document(info, DocumentKind.PROJECT, *acted_on)
    return None if found is None else Project.of(found)


async def sales_order_of(info: Info, *acted_on: LifecycleDocument | None) -> SalesOrder | None:
    found = await _document(info, DocumentKind.SALES_ORDER, *acted_on)
    return None if found is None else SalesOrder.of(found)


async def invoice_of(info: Info, *acted_on: LifecycleDocument | None) -> Invoice | None:
    found = await _document(info, DocumentKind.INVOICE, *acted_on)
    return None if found is None else Invoice.of(found)

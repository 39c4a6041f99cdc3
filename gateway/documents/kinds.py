"""The kinds of documents the read API shows, and how each is coupled across the systems.

A document's *origin* is the system it starts in: quotes and sales orders are written in the
CRM and sent to the ERP, invoices and projects are made in the ERP and sent to the CRM, items
are the ERP's. Where both records exist the document is named after its origin's record, and
a listing of every document reads the origin's first, then the other system's uncoupled ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from adapters.documents import DocumentKind
from gateway.types import SideName


@dataclass(frozen=True, slots=True)
class KindInfo:
    kind: DocumentKind
    mapping: str | None  # the table mapping whose couplings pair its records (None: one side)
    origin: SideName
    plural: str  # how errors and descriptions name them


KINDS = MappingProxyType(
    {
        DocumentKind.QUOTE: KindInfo(DocumentKind.QUOTE, "SALESQUOTE", "crm", "quotes"),
        DocumentKind.SALES_ORDER: KindInfo(
            DocumentKind.SALES_ORDER, "SALESORDER-ORDER", "crm", "sales orders"
        ),
        DocumentKind.INVOICE: KindInfo(
            DocumentKind.INVOICE, "POSTEDSALESINV-INV", "erp", "invoices"
        ),
        DocumentKind.PROJECT: KindInfo(DocumentKind.PROJECT, "PROJECT", "erp", "projects"),
        DocumentKind.OPPORTUNITY: KindInfo(DocumentKind.OPPORTUNITY, None, "crm", "opportunities"),
        DocumentKind.ITEM: KindInfo(DocumentKind.ITEM, "ITEM-PRODUCT", "erp", "items"),
    }
)


def other(side: SideName) -> SideName:
    return "crm" if side == "erp" else "erp"

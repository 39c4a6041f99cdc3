"""Sales orders (SALESORDER-ORDER) and invoices (POSTEDSALESINV-INV), merged across systems."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from adapters.documents import DocumentKind
from gateway.documents import lifecycle
from gateway.documents.merged import Merged
from schema.context import Info
from schema.types.document_links import back, first_linked
from schema.types.documents_base import (
    PaymentStatus,
    PricedDocument,
    document_lines,
    documents_by_keys,
    priced_facts,
)

if TYPE_CHECKING:
    from schema.types.documents_quotes import Quote


def _share(lines: list[tuple[float | None, float | None]]) -> float | None:
    """The part of the ordered quantity a figure covers, or None where the lines do not say."""
    if not lines or any(done is None for done, _ in lines):
        return None
    ordered = sum(quantity or 0.0 for _, quantity in lines)
    if ordered <= 0:
        return None
    return round(sum(done or 0.0 for done, _ in lines) / ordered, 4)


@strawberry.type(
    description="A sales order as both systems hold it: the CRM's order and the ERP's order "
    "coupled to it (either may be missing)."
)
class SalesOrder(PricedDocument, relay.Node):
    node_id: relay.NodeID[str]

    requested_delivery_date: date | None = strawberry.field(
        description="When the customer wants it delivered."
    )

    @classmethod
    def of(cls, doc: Merged) -> SalesOrder:
        return cls(
            node_id=doc.key,
            **priced_facts(doc),
            requested_delivery_date=doc.erp_first(
                lambda view: view.day(view.fields.requested_delivery)
            ),
        )

    @strawberry.field(
        description="The share of the ordered quantity shipped (0 to 1), from the ERP's lines; "
        "null where the ERP does not say."
    )
    async def shipped(self, info: Info) -> float | None:
        lines = await document_lines(info, self.doc)
        return _share([(line.shipped_quantity, line.quantity) for line in lines])

    @strawberry.field(
        description="The share of the ordered quantity invoiced (0 to 1), from the ERP's lines."
    )
    async def invoiced(self, info: Info) -> float | None:
        lines = await document_lines(info, self.doc)
        return _share([(line.invoiced_quantity, line.quantity) for line in lines])

    @strawberry.field(description="The invoices of the order, newest first.")
    async def invoices(self, info: Info) -> list[Invoice]:
        found = await back(info, self.doc, DocumentKind.INVOICE, "order")
        return [Invoice.of(doc) for doc in found]

    @strawberry.field(description="The quote the order was made from.")
    async def quote(
        self, info: Info
    ) -> Annotated[Quote, strawberry.lazy("schema.types.documents_quotes")] | None:
        from schema.types.documents_quotes import Quote

        found = await first_linked(info, self.doc, DocumentKind.QUOTE, "quote")
        return None if found is None else Quote.of(found)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        found = await documents_by_keys(info, DocumentKind.SALES_ORDER, node_ids)
        return [None if doc is None else cls.of(doc) for doc in found]


@strawberry.type(
    description="An invoice as both systems hold it: the ERP's posted invoice and the CRM's "
    "invoice coupled to it (either may be missing)."
)
class Invoice(PricedDocument, relay.Node):
    node_id: relay.NodeID[str]

    due_date: date | None = strawberry.field(description="When it is due.")
    remaining_amount: float | None = strawberry.field(
        description="What remains to be paid (the ERP's figure)."
    )
    amount_paid: float | None = strawberry.field(description="What was paid of it.")
    payment_status: PaymentStatus | None = strawberry.field(  # type: ignore[valid-type]
        description="UNPAID, PARTIAL or PAID: from what the ERP says remains, else from the "
        "CRM's Paid status; null for a canceled invoice."
    )
    overdue: bool = strawberry.field(description="Due before today and not paid in full.")

    @classmethod
    def of(cls, doc: Merged) -> Invoice:
        due = doc.erp_first(lambda view: view.day(view.fields.due_date))
        total = doc.erp_first(lambda view: view.amount(view.fields.gross))
        remaining = doc.erp_first(lambda view: view.amount(view.fields.remaining))
        if remaining is None and doc.payment is lifecycle.PaymentStatus.PAID:
            remaining = 0.0
        paid = None if total is None or remaining is None else round(total - remaining, 2)
        return cls(
            node_id=doc.key,
            **priced_facts(doc),
            due_date=due,
            remaining_amount=remaining,
            amount_paid=paid,
            payment_status=doc.payment,
            overdue=lifecycle.overdue(due, doc.payment, datetime.now(UTC).date()),
        )

    @strawberry.field(description="The sales order it invoices.")
    async def sales_order(self, info: Info) -> SalesOrder | None:
        found = await first_linked(info, self.doc, DocumentKind.SALES_ORDER, "order")
        return None if found is None else SalesOrder.of(found)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        found = await documents_by_keys(info, DocumentKind.INVOICE, node_ids)
        return [None if doc is None else cls.of(doc) for doc in found]


@strawberry.type(name="SalesOrderConnection")
class SalesOrderConnection(relay.Connection[SalesOrder]):
    """A page of sales orders."""


@strawberry.type(name="InvoiceConnection")
class InvoiceConnection(relay.Connection[Invoice]):
    """A page of invoices."""

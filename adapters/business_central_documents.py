"""The sales documents of Business Central: sales quotes (with the archive of their versions),
sales orders, posted sales invoices, projects and items, with their lines.

Business Central's filters cannot `or` different fields, so a text search is applied by the
gateway to what it read. A sales order names the quote it was made from by number
(`quoteNumber`, the "Quote No." of the sales header); an invoice names its order by id. Item
availability: `inventory` on hand, and on open sales orders the quantity of their lines not
shipped yet (a fully posted order leaves the API, so every order it lists is open).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from types import MappingProxyType

from adapters.base import Connector, Entity, Page
from adapters.documents import (
    ArchiveFields,
    DocumentFields,
    DocumentKind,
    Documents,
    ItemAvailability,
    LineFields,
    Link,
)
from adapters.filters import In

_LINES = LineFields(
    parent="documentId",
    sequence="sequence",
    product="itemId",
    product_number="lineObjectNumber",
    description="description",
    quantity="quantity",
    unit="unitOfMeasureCode",
    unit_price="unitPrice",
    discount_amount="discountAmount",
    discount_percent="discountPercent",
    amount="amountExcludingTax",
    line_type="lineType",
    text_types=frozenset({"Comment"}),
)

_DOCUMENT = DocumentFields(
    entities=(),
    party="customerId",
    number="number",
    name="externalDocumentNumber",
    salesperson="salesperson",
    currency="currencyCode",
    net="totalAmountExcludingTax",
    tax="totalTaxAmount",
    gross="totalAmountIncludingTax",
    search=("number", "externalDocumentNumber"),
)

BUSINESS_CENTRAL_DOCUMENTS = Documents(
    MappingProxyType(
        {
            DocumentKind.QUOTE: replace(
                _DOCUMENT,
                entities=(Entity.QUOTE,),
                date="documentDate",
                valid_until="validUntilDate",
                project=Link("projectId"),
                lines=replace(_LINES, entity=Entity.QUOTE_LINE),
                archives=ArchiveFields(
                    entity=Entity.QUOTE_ARCHIVE,
                    parent="quoteId",
                    version="versionNumber",
                    archived_at="archivedDateTime",
                    net="totalAmountExcludingTax",
                    gross="totalAmountIncludingTax",
                ),
            ),
            DocumentKind.SALES_ORDER: replace(
                _DOCUMENT,
                entities=(Entity.SALES_ORDER,),
                date="orderDate",
                requested_delivery="requestedDeliveryDate",
                quote=Link("quoteNumber", by="number"),
                lines=replace(
                    _LINES,
                    entity=Entity.SALES_ORDER_LINE,
                    shipped="shippedQuantity",
                    invoiced="invoicedQuantity",
                ),
            ),
            DocumentKind.INVOICE: replace(
                _DOCUMENT,
                entities=(Entity.INVOICE,),
                date="invoiceDate",
                due_date="dueDate",
                remaining="remainingAmount",
                order=Link("orderId"),
                lines=replace(_LINES, entity=Entity.INVOICE_LINE),
            ),
            DocumentKind.PROJECT: DocumentFields(
                entities=(Entity.PROJECT,),
                party="customerId",
                number="number",
                name="displayName",
                status="status",
                quote=Link("quoteId"),
                search=("number", "displayName"),
            ),
            DocumentKind.ITEM: DocumentFields(
                entities=(Entity.ITEM,),
                number="number",
                name="displayName",
                unit_price="unitPrice",
                search=("number", "displayName"),
            ),
        }
    )
)

_OPEN_ORDER_LINES_PAGE = 5000


async def item_availability(
    connector: Connector, item_ids: Sequence[str], *, ids_per_request: int
) -> dict[str, ItemAvailability]:
    """Inventory of each item and the quantity its open sales order lines have not shipped:
    one read of the items and one of the order lines per chunk of ids."""
    wanted = list(dict.fromkeys(item_ids))
    if not wanted:
        return {}
    items = await connector.get_many(Entity.ITEM, wanted, fields=("id", "inventory", "type"))
    outstanding: dict[str, float] = defaultdict(float)
    for start in range(0, len(wanted), ids_per_request):
        chunk = tuple(wanted[start : start + ids_per_request])
        cursor: str | None = None
        while True:
            page = await connector.query(
                Entity.SALES_ORDER_LINE,
                In("itemId", chunk),
                Page(size=_OPEN_ORDER_LINES_PAGE, cursor=cursor),
                fields=("id", "itemId", "quantity", "shippedQuantity"),
            )
            for line in page.records:
                left = float(line.get("quantity") or 0) - float(line.get("shippedQuantity") or 0)
                outstanding[str(line.get("itemId")).lower()] += max(left, 0.0)
            cursor = page.next_cursor
            if cursor is None:
                break
    return {
        item_id: ItemAvailability(
            inventory=float(item.get("inventory") or 0),
            on_open_sales_orders=round(outstanding.get(item_id.lower(), 0.0), 6),
        )
        for item_id, item in items.items()
    }

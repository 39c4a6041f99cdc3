"""The sales documents of Tryton: sales (`sale.sale`) as quotes and as orders, customer
invoices, projects (`project.work`) and products, with their lines.

A sale is a quote until it is confirmed and an order from then on, with the same id: the
order a quote became is the same record (`Link(by="self")`). A sale's lines come embedded in
it. An invoice names the sales whose lines it bills (`sales`). Tryton keeps no versions of a
sale and no approval state, and has no project made from a sale.

Item availability: the products' quantity in the company's warehouses today, and what the
outgoing moves of sale lines not done yet will take from them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from adapters.base import Entity
from adapters.documents import (
    DocumentFields,
    DocumentKind,
    Documents,
    ItemAvailability,
    LineFields,
    Link,
)
from adapters.tryton.fields import parse_id
from adapters.tryton.rpc import TrytonRPC

_LINES = LineFields(
    sequence="sequence",
    product="product",
    product_number="product_code",
    description="description",
    quantity="quantity",
    unit="unit_symbol",
    unit_price="unit_price",
    amount="amount",
    line_type="type",
    text_types=frozenset({"comment", "title", "subtotal"}),
)

_SALE = DocumentFields(
    entities=(Entity.QUOTE, Entity.SALES_ORDER),
    party="party",
    number="number",
    name="description",
    currency="currency_code",
    net="untaxed_amount",
    tax="tax_amount",
    gross="total_amount",
    date="created",
    date_is_datetime=True,
    lines=replace(_LINES, embedded="lines"),
    search=("number", "reference", "description"),
    search_any=True,
)

TRYTON_DOCUMENTS = Documents(
    MappingProxyType(
        {
            DocumentKind.QUOTE: replace(_SALE, valid_until="quotation_expire"),
            DocumentKind.SALES_ORDER: replace(
                _SALE,
                entities=(Entity.SALES_ORDER,),
                quote=Link(None, by="self"),
                requested_delivery="shipping_date",
            ),
            DocumentKind.INVOICE: DocumentFields(
                entities=(Entity.INVOICE,),
                party="party",
                number="number",
                name="description",
                currency="currency_code",
                net="untaxed_amount",
                tax="tax_amount",
                gross="total_amount",
                remaining="amount_to_pay",
                date="created",
                date_is_datetime=True,
                order=Link("sales", many=True),
                lines=replace(_LINES, entity=Entity.INVOICE_LINE, parent="invoice"),
                search=("number", "reference", "description"),
                search_any=True,
            ),
            DocumentKind.PROJECT: DocumentFields(
                entities=(Entity.PROJECT,),
                party="party",
                number="number",
                name="name",
                status="status_name",
                date="created",
                date_is_datetime=True,
                start="start",
                end="end",
                search=("number", "name"),
                search_any=True,
            ),
            DocumentKind.ITEM: DocumentFields(
                entities=(Entity.ITEM,),
                number="code",
                name="name",
                unit_price="list_price",
                search=("code", "name"),
                search_any=True,
            ),
        }
    )
)

# Moves of sale lines that have not left yet.
_PENDING_MOVES = ("draft", "assigned", "staging")


class TrytonAvailability:
    """Reads item availability; remembers the company's warehouses once read."""

    def __init__(self, rpc: TrytonRPC) -> None:
        self._rpc = rpc
        self._warehouses: list[int] | None = None

    async def warehouses(self) -> list[int]:
        if self._warehouses is None:
            found = await self._rpc.model(
                "stock.location", "search", [["type", "=", "warehouse"]], 0, None, None
            )
            self._warehouses = [int(item) for item in found]
        return self._warehouses

    async def read(self, item_ids: Sequence[str]) -> dict[str, ItemAvailability]:
        ids = []
        for raw in dict.fromkeys(item_ids):
            try:
                ids.append(parse_id(raw))
            except (TypeError, ValueError):
                continue  # not a Tryton id: no such product
        if not ids:
            return {}
        warehouses = await self.warehouses()
        products: list[dict[str, Any]] = await self._rpc.model(
            "product.product",
            "search_read",
            [["id", "in", ids]],
            0,
            None,
            None,
            ["quantity"],
            context={"locations": warehouses, "active_test": False},
        )
        moves: list[dict[str, Any]] = await self._rpc.model(
            "stock.move",
            "search_read",
            [
                ["product", "in", ids],
                ["state", "in", list(_PENDING_MOVES)],
                ["to_location.type", "=", "customer"],
                ["origin", "like", "sale.line,%"],
            ],
            0,
            None,
            None,
            ["product", "internal_quantity"],
        )
        pending: dict[int, float] = defaultdict(float)
        for move in moves:
            pending[int(move["product"])] += float(move.get("internal_quantity") or 0)
        return {
            str(product["id"]): ItemAvailability(
                inventory=float(product.get("quantity") or 0),
                on_open_sales_orders=pending.get(int(product["id"]), 0.0),
            )
            for product in products
        }

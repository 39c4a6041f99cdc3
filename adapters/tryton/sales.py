"""Sales (`sale.sale`) as quotes and sales orders, with their lines (`sale.line`).

One Tryton sale moves through draft → quotation → confirmed → processing → done (or cancelled
before confirmation). The gateway calls it a *quote* while it is draft, quotation or cancelled
and a *sales order* from confirmation on: the id stays the same, the entity changes, as a Business
Central quote becomes an order. A record always reports the entity it belongs to now.

A sale's `lines` are embedded as a list of objects (`id`, `product`, `description`, `quantity`,
`unit`, `unit_price`, `amount`, `type`, `sequence`). Writing `lines` makes the sale's lines be
exactly those given: a line with an `id` is updated, one without is created, and lines left
out are deleted. A line with a product but no `unit` or `unit_price` takes the product's sale
unit and list price (taxes are not added: give `taxes` ids when the sale needs them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from adapters.errors import ValidationError
from adapters.tryton.entities import EntityDef, Shape
from adapters.tryton.fields import FieldDef, Kind, Write, parse_id, read_value, to_tryton
from adapters.tryton.rpc import TrytonRPC

QUOTE_STATES = frozenset({"draft", "quotation", "cancelled"})
ORDER_STATES = frozenset({"confirmed", "processing", "done"})
SALE_ACTIONS = frozenset({"quote", "confirm", "process", "cancel", "draft"})

LINE_FIELDS: tuple[FieldDef, ...] = (
    FieldDef("sequence", Kind.INTEGER),
    FieldDef("type", choices=frozenset({"line", "subtotal", "title", "comment"})),
    FieldDef("product", Kind.REF, lookup="item"),
    FieldDef("product_code", source="product.code", write=Write.NONE),
    FieldDef("description"),
    FieldDef("quantity", Kind.FLOAT),
    FieldDef("unit", Kind.REF, lookup="unit_of_measure"),
    FieldDef("unit_symbol", source="unit.symbol", write=Write.NONE),
    FieldDef("unit_price", Kind.DECIMAL),
    FieldDef("amount", Kind.DECIMAL, write=Write.NONE),
)
_LINE_INDEX = {item.name: item for item in LINE_FIELDS}
_TAXES = FieldDef("taxes", Kind.REF)


def sale_entity(state: str | None) -> str:
    return "sales_order" if state in ORDER_STATES else "quote"


class SaleShape(Shape):
    extra_reads = ("state",)

    async def enrich(
        self,
        rpc: TrytonRPC,
        entity: EntityDef,
        rows: Sequence[Mapping[str, Any]],
        values: Sequence[dict[str, Any]],
        wanted: frozenset[str],
    ) -> None:
        if "lines" not in wanted or not rows:
            return
        lines = await rpc.model(
            "sale.line",
            "search_read",
            [["sale", "in", [row["id"] for row in rows]]],
            0,
            None,
            [["sale", "ASC"], ["sequence", "ASC"], ["id", "ASC"]],
            ["sale", *(item.tryton for item in LINE_FIELDS)],
        )
        by_sale: dict[int, list[dict[str, Any]]] = {row["id"]: [] for row in rows}
        for line in lines:
            shown = {"id": str(line["id"])}
            shown.update({item.name: read_value(item, line) for item in LINE_FIELDS})
            by_sale.setdefault(line["sale"], []).append(shown)
        for row, record_values in zip(rows, values, strict=True):
            record_values["lines"] = by_sale.get(row["id"], [])

    async def prepare_create(
        self, rpc: TrytonRPC, entity: EntityDef, shaped: Mapping[str, Any], tryton: dict[str, Any]
    ) -> None:
        party = tryton.get("party")
        addresses = ("invoice_address", "shipment_address")
        if party is not None and not all(tryton.get(key) for key in addresses):
            address = await _first_address(rpc, party)
            for key in addresses:
                if not tryton.get(key):
                    tryton[key] = address
        if "lines" in shaped:
            lines = _lines(entity, shaped["lines"], allow_ids=False)
            await fill_from_products(rpc, lines)
            if lines:
                tryton["lines"] = [["create", [values for _, values in lines]]]

    async def prepare_write(
        self,
        rpc: TrytonRPC,
        entity: EntityDef,
        record_id: int,
        shaped: Mapping[str, Any],
        tryton: dict[str, Any],
    ) -> None:
        if "lines" not in shaped:
            return
        lines = _lines(entity, shaped["lines"], allow_ids=True)
        await fill_from_products(rpc, [line for line in lines if line[0] is None])
        existing = set(
            await rpc.model("sale.line", "search", [["sale", "=", record_id]], 0, None, None)
        )
        operations: list[list[Any]] = []
        kept: set[int] = set()
        created: list[dict[str, Any]] = []
        for index, (line_id, values) in enumerate(lines):
            if line_id is None:
                created.append(values)
            elif line_id not in existing:
                raise ValidationError(
                    f"{entity.name}.lines[{index}].id: line {line_id} is not on this sale",
                    system="tryton",
                )
            else:
                kept.add(line_id)
                if values:
                    operations.append(["write", [line_id], values])
        removed = sorted(existing - kept)
        if removed:
            operations.insert(0, ["delete", removed])
        if created:
            operations.append(["create", created])
        tryton["lines"] = operations

    async def after_create(self, rpc: TrytonRPC, entity: EntityDef, record_id: int) -> None:
        if entity.states is not None and "draft" not in entity.states:
            # A sales order is a sale past confirmation.
            for button in ("quote", "confirm"):
                await rpc.model("sale.sale", button, [record_id])

    def entity_of(self, entity: EntityDef, row: Mapping[str, Any]) -> str:
        return sale_entity(row.get("state"))


class SaleLineShape(Shape):
    """Lines written one by one: a product fills the unit and the price left out."""

    async def prepare_create(
        self, rpc: TrytonRPC, entity: EntityDef, shaped: Mapping[str, Any], tryton: dict[str, Any]
    ) -> None:
        await fill_from_products(rpc, [(None, tryton)])


async def _first_address(rpc: TrytonRPC, party: int) -> int | None:
    found = await rpc.model(
        "party.address",
        "search",
        [["party", "=", party]],
        0,
        1,
        [["sequence", "ASC"], ["id", "ASC"]],
    )
    return int(found[0]) if found else None


def _lines(
    entity: EntityDef, given: Any, *, allow_ids: bool
) -> list[tuple[int | None, dict[str, Any]]]:
    """Validated lines as (id or None, Tryton values)."""
    if not isinstance(given, list | tuple):
        raise ValidationError(f"{entity.name}.lines: expected a list of lines", system="tryton")
    lines: list[tuple[int | None, dict[str, Any]]] = []
    for index, line in enumerate(given):
        where = f"{entity.name}.lines[{index}]"
        if not isinstance(line, Mapping):
            raise ValidationError(f"{where}: expected an object", system="tryton")
        line_id: int | None = None
        values: dict[str, Any] = {}
        taxes: list[Any] | None = None
        for name, value in line.items():
            if name == "id":
                if not allow_ids:
                    raise ValidationError(
                        f"{where}.id: a new sale has no lines yet", system="tryton"
                    )
                try:
                    line_id = parse_id(value)
                except (TypeError, ValueError) as exc:
                    raise ValidationError(f"{where}.id: {exc}", system="tryton") from None
            elif name == "taxes":
                if not isinstance(value, list | tuple):
                    raise ValidationError(f"{where}.taxes: expected a list of ids", system="tryton")
                taxes = [to_tryton(where, _TAXES, tax) for tax in value]
            else:
                item = _LINE_INDEX.get(name)
                if item is None or item.write is Write.NONE:
                    reason = "read-only" if item else "unknown field"
                    raise ValidationError(f"{where}.{name}: {reason}", system="tryton")
                values[name] = to_tryton(where, item, value)
        if taxes is not None:
            values["taxes"] = [["add", taxes]] if line_id is None else [["set", taxes]]
        lines.append((line_id, values))
    return lines


async def fill_from_products(
    rpc: TrytonRPC, lines: Sequence[tuple[int | None, dict[str, Any]]]
) -> None:
    """Give lines with a product and no unit or price the product's sale unit and list price."""
    missing = {
        values["product"]
        for _, values in lines
        if values.get("product") and ("unit" not in values or "unit_price" not in values)
    }
    if not missing:
        return
    products = await rpc.model(
        "product.product",
        "search_read",
        [["id", "in", sorted(missing)]],
        0,
        None,
        None,
        ["sale_uom", "list_price_used"],
    )
    by_id = {product["id"]: product for product in products}
    for _, values in lines:
        product = by_id.get(values.get("product"))
        if product is None:
            continue
        values.setdefault("type", "line")
        values.setdefault("unit", product.get("sale_uom"))
        values.setdefault("unit_price", product.get("list_price_used"))

"""Items: the ERP's item coupled to a CRM product (ITEM-PRODUCT), with its availability."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import strawberry
from strawberry import relay

from adapters.documents import DocumentKind
from adapters.documents import ItemAvailability as CoreAvailability
from gateway.documents.merged import Merged
from schema.context import Info
from schema.types.couplings import Coupling
from schema.types.documents_base import documents_by_keys, id_of


@strawberry.type(description="How much of an item the ERP has for a sales person to sell.")
class ItemAvailability:
    inventory: float = strawberry.field(description="On hand.")
    on_open_sales_orders: float | None = strawberry.field(
        description="Ordered by customers on open sales orders and not shipped yet; null "
        "where the ERP does not say."
    )
    available: float = strawberry.field(description="On hand, less what open orders hold.")

    @classmethod
    def of(cls, found: CoreAvailability) -> ItemAvailability:
        return cls(
            inventory=found.inventory,
            on_open_sales_orders=found.on_open_sales_orders,
            available=round(found.available, 6),
        )


@strawberry.type(
    description="An item as both systems hold it: the ERP's item and the CRM product coupled "
    "to it (either may be missing)."
)
class Item(relay.Node):
    node_id: relay.NodeID[str]
    doc: strawberry.Private[Merged]

    erp_id: strawberry.ID | None = strawberry.field(description="Its id in the ERP.")
    crm_id: strawberry.ID | None = strawberry.field(description="The coupled CRM product's id.")
    number: str | None = strawberry.field(description="Its number (the ERP's item number or code).")
    name: str | None
    unit_price: float | None = strawberry.field(
        description="Its sales price (the ERP's, else the CRM product's)."
    )

    @classmethod
    def of(cls, doc: Merged) -> Item:
        return cls(
            node_id=doc.key,
            doc=doc,
            erp_id=id_of(doc, "erp"),
            crm_id=id_of(doc, "crm"),
            number=doc.number,
            name=doc.name,
            unit_price=doc.erp_first(lambda view: view.amount(view.fields.unit_price)),
        )

    @strawberry.field(description="The coupling of item and product, if they are coupled.")
    def coupling(self) -> Coupling | None:
        return None if self.doc.coupling is None else Coupling.of(self.doc.coupling)

    @strawberry.field(description="Inventory and open orders in the ERP; null without an item.")
    async def availability(self, info: Info) -> ItemAvailability | None:
        erp_id = self.doc.side_id("erp")
        if erp_id is None:
            return None
        documents = info.context.loaders.documents
        found = await documents.attempt(
            info, "erp", "item availability", documents.availability.load(erp_id), None
        )
        return None if found is None else ItemAvailability.of(found)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        found = await documents_by_keys(info, DocumentKind.ITEM, node_ids)
        return [None if doc is None else cls.of(doc) for doc in found]


@strawberry.type(name="ItemConnection")
class ItemConnection(relay.Connection[Item]):
    """A page of items."""

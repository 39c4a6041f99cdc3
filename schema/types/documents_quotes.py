"""Quotes: the CRM's quote merged with the ERP's sales quote coupled to it (SALESQUOTE)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from adapters.documents import DocumentKind
from gateway.documents.merged import Merged
from schema.context import Info
from schema.types.document_links import first_linked
from schema.types.documents_base import (
    ArchivedVersion,
    PricedDocument,
    archived_versions,
    documents_by_keys,
    priced_facts,
)

if TYPE_CHECKING:
    from schema.types.documents_orders import SalesOrder
    from schema.types.documents_projects import Opportunity, Project


@strawberry.type(
    description="A quote as both systems hold it: the CRM's quote and the ERP's sales quote "
    "coupled to it (either may be missing)."
)
class Quote(PricedDocument, relay.Node):
    node_id: relay.NodeID[str]

    revision: int | None = strawberry.field(description="The CRM quote's revision number.")
    valid_until: date | None = strawberry.field(description="Until when the quote is valid.")

    @classmethod
    def of(cls, doc: Merged) -> Quote:
        crm = doc.crm
        revision = crm.amount(crm.fields.revision) if crm is not None else None
        return cls(
            node_id=doc.key,
            **priced_facts(doc),
            revision=None if revision is None else int(revision),
            valid_until=doc.first(lambda view: view.day(view.fields.valid_until)),
        )

    @strawberry.field(description="The versions the ERP archived before each change, oldest first.")
    async def archived_versions(self, info: Info) -> list[ArchivedVersion]:
        return await archived_versions(info, self.doc)

    @strawberry.field(description="The CRM opportunity the quote is for.")
    async def opportunity(
        self, info: Info
    ) -> Annotated[Opportunity, strawberry.lazy("schema.types.documents_projects")] | None:
        from schema.types.documents_projects import Opportunity

        found = await first_linked(info, self.doc, DocumentKind.OPPORTUNITY, "opportunity")
        return None if found is None else Opportunity.of(found)

    @strawberry.field(description="The project the won quote was transferred to.")
    async def project(
        self, info: Info
    ) -> Annotated[Project, strawberry.lazy("schema.types.documents_projects")] | None:
        from schema.types.documents_projects import Project

        found = await first_linked(info, self.doc, DocumentKind.PROJECT, "project")
        if found is None:
            found = await first_linked(
                info, self.doc, DocumentKind.PROJECT, "quote", backwards=True
            )
        return None if found is None else Project.of(found)

    @strawberry.field(description="The sales order the quote became.")
    async def sales_order(
        self, info: Info
    ) -> Annotated[SalesOrder, strawberry.lazy("schema.types.documents_orders")] | None:
        from schema.types.documents_orders import SalesOrder

        found = await first_linked(
            info, self.doc, DocumentKind.SALES_ORDER, "quote", backwards=True
        )
        return None if found is None else SalesOrder.of(found)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        found = await documents_by_keys(info, DocumentKind.QUOTE, node_ids)
        return [None if doc is None else cls.of(doc) for doc in found]


@strawberry.type(name="QuoteConnection")
class QuoteConnection(relay.Connection[Quote]):
    """A page of quotes."""

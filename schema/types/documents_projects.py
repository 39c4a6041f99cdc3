"""Projects (the ERP's project coupled to the CRM's through PROJECT) and CRM opportunities."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from adapters.documents import DocumentKind
from gateway.documents.merged import Merged
from schema.context import Info
from schema.types.document_links import back, first_linked
from schema.types.documents_base import DocumentBase, documents_by_keys, referenced

if TYPE_CHECKING:
    from schema.types.documents_quotes import Quote


@strawberry.type(
    description="A project as both systems hold it: the ERP's project and the CRM's project "
    "coupled to it (either may be missing). Tasks, resources and costs come from the "
    "project-management system."
)
class Project(DocumentBase, relay.Node):
    node_id: relay.NodeID[str]

    @classmethod
    def of(cls, doc: Merged) -> Project:
        return cls(node_id=doc.key, doc=doc)

    @strawberry.field(description="Its status in the ERP's words (the CRM's when it has none).")
    def status(self) -> str | None:
        if self.doc.erp is not None:
            return self.doc.erp_state
        return self.doc.crm_state

    @strawberry.field(description="When it starts.")
    def start_date(self) -> date | None:
        return self.doc.first(lambda view: view.day(view.fields.start))

    @strawberry.field(description="When it ends.")
    def end_date(self) -> date | None:
        return self.doc.first(lambda view: view.day(view.fields.end))

    @strawberry.field(description="The quote it was made from.")
    async def quote(
        self, info: Info
    ) -> Annotated[Quote, strawberry.lazy("schema.types.documents_quotes")] | None:
        from schema.types.documents_quotes import Quote

        found = await first_linked(info, self.doc, DocumentKind.QUOTE, "quote")
        if found is None:
            found = await first_linked(
                info, self.doc, DocumentKind.QUOTE, "project", backwards=True
            )
        return None if found is None else Quote.of(found)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        found = await documents_by_keys(info, DocumentKind.PROJECT, node_ids)
        return [None if doc is None else cls.of(doc) for doc in found]


@strawberry.type(description="An opportunity in the CRM, with its quotes.")
class Opportunity(DocumentBase, relay.Node):
    node_id: relay.NodeID[str]

    @classmethod
    def of(cls, doc: Merged) -> Opportunity:
        return cls(node_id=doc.key, doc=doc)

    @strawberry.field(description="The value it is expected to bring.")
    def estimated_value(self) -> float | None:
        return self.doc.first(lambda view: view.amount(view.fields.gross))

    @strawberry.field(description="How likely it is to be won, in percent.")
    def close_probability(self) -> float | None:
        return self.doc.first(lambda view: view.amount(view.fields.probability))

    @strawberry.field(description="When it is expected to close.")
    def estimated_close_date(self) -> date | None:
        return self.doc.first(lambda view: view.day(view.fields.end))

    @strawberry.field(description="Its currency's ISO code.")
    async def currency_code(self, info: Info) -> str | None:
        crm = self.doc.crm
        ref = crm.fields.currency if crm is not None else None
        if crm is None or ref is None or isinstance(ref, str):
            return crm.text(ref) if crm is not None and isinstance(ref, str) else None
        value = crm.text(ref.field)
        return None if value is None else await referenced(info, "crm", ref, value)

    @strawberry.field(description="Its quotes, newest first.")
    async def quotes(
        self, info: Info
    ) -> list[Annotated[Quote, strawberry.lazy("schema.types.documents_quotes")]]:
        from schema.types.documents_quotes import Quote

        found = await back(info, self.doc, DocumentKind.QUOTE, "opportunity")
        return [Quote.of(doc) for doc in found]

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        found = await documents_by_keys(info, DocumentKind.OPPORTUNITY, node_ids)
        return [None if doc is None else cls.of(doc) for doc in found]


@strawberry.type(name="ProjectConnection")
class ProjectConnection(relay.Connection[Project]):
    """A page of projects."""


@strawberry.type(name="OpportunityConnection")
class OpportunityConnection(relay.Connection[Opportunity]):
    """A page of opportunities."""

"""Projects (the ERP's project coupled to the CRM's through PROJECT) and CRM opportunities."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from adapters.documents import DocumentKind, Ref
from gateway.documents.merged import Merged
from schema.context import Info
from schema.types.document_links import back, first_linked
from schema.types.documents_base import (
    DocumentBase,
    document_facts,
    documents_by_keys,
    referenced,
)

if TYPE_CHECKING:
    from schema.types.documents_quotes import Quote


@strawberry.type(
    description="A project as both systems hold it: the ERP's project and the CRM's project "
    "coupled to it (either may be missing). Tasks, resources and costs come from the "
    "project-management system."
)
class Project(DocumentBase, relay.Node):
    node_id: relay.NodeID[str]

    status: str | None = strawberry.field(
        description="Its status in the ERP's words (the CRM's when it has none)."
    )
    start_date: date | None = strawberry.field(description="When it starts.")
    end_date: date | None = strawberry.field(description="When it ends.")

    @classmethod
    def of(cls, doc: Merged) -> Project:
        return cls(
            node_id=doc.key,
            **document_facts(doc),
            status=doc.erp_state if doc.erp is not None else doc.crm_state,
            start_date=doc.first(lambda view: view.day(view.fields.start)),
            end_date=doc.first(lambda view: view.day(view.fields.end)),
        )

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

    estimated_value: float | None = strawberry.field(
        description="The value it is expected to bring."
    )
    close_probability: float | None = strawberry.field(
        description="How likely it is to be won, in percent."
    )
    estimated_close_date: date | None = strawberry.field(
        description="When it is expected to close."
    )

    @classmethod
    def of(cls, doc: Merged) -> Opportunity:
        return cls(
            node_id=doc.key,
            **document_facts(doc),
            estimated_value=doc.first(lambda view: view.amount(view.fields.gross)),
            close_probability=doc.first(lambda view: view.amount(view.fields.probability)),
            estimated_close_date=doc.first(lambda view: view.day(view.fields.end)),
        )

    @strawberry.field(description="Its currency's ISO code.")
    async def currency_code(self, info: Info) -> str | None:
        crm = self.doc.crm
        ref = crm.fields.currency if crm is not None else None
        if crm is None or not isinstance(ref, Ref):
            return None
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

"""CRM accounts, each with its coupled ERP customer and both systems' figures.

The account's own fields and its coupling are plain values, filled when the page is read;
each hop to another system (`customer`, `statistics`, `crmStatistics`, `owner`, `contacts`)
goes through the request's DataLoaders, so a page costs one batched call per hop.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from gateway.couplings.views import AccountView
from gateway.store.couplings import Coupling as StoredCoupling
from schema.context import Info
from schema.loaders import (
    CRM_ACCOUNTS,
    CRM_CONTACTS,
    CRM_STATISTICS,
    CRM_USERS,
    ERP_CUSTOMERS,
    ERP_STATISTICS,
    load,
    load_many_required,
    load_required,
)
from schema.pagination import page_request
from schema.types.contacts import ContactConnection, contacts_page
from schema.types.couplings import Coupling
from schema.types.statistics import CrmStatistics, CustomerStatistics
from schema.types.users import CrmUser

if TYPE_CHECKING:
    from schema.types.customers import Customer


@strawberry.type(description="An account in the CRM (Dynamics 365 Sales).")
class Account(relay.Node):
    node_id: relay.NodeID[str]
    crm_id: strawberry.ID = strawberry.field(description="The account's id in the CRM.")
    name: str
    account_number: str | None
    email: str | None
    phone: str | None
    website: str | None
    city: str | None
    coupled: bool = strawberry.field(description="Whether an ERP customer is coupled to it.")
    coupling: Coupling | None
    owner_id: strawberry.Private[str | None]
    stored_coupling: strawberry.Private[StoredCoupling | None]

    @classmethod
    def of(cls, view: AccountView, coupling: StoredCoupling | None) -> Account:
        return cls(
            node_id=view.id,
            crm_id=strawberry.ID(view.id),
            name=view.name,
            account_number=view.account_number,
            email=view.email,
            phone=view.phone,
            website=view.website,
            city=view.city,
            coupled=coupling is not None,
            coupling=Coupling.of(coupling) if coupling is not None else None,
            owner_id=view.owner_id,
            stored_coupling=coupling,
        )

    @strawberry.field(description="The account's owner in the CRM.")
    async def owner(self, info: Info) -> CrmUser | None:
        if self.owner_id is None:
            return None
        loaders = info.context.loaders
        view = await load(loaders, loaders.users, self.owner_id, CRM_USERS)
        return None if view is None else CrmUser.of(view)

    @strawberry.field(description="The coupled ERP customer.")
    async def customer(
        self, info: Info
    ) -> Annotated[Customer, strawberry.lazy("schema.types.customers")] | None:
        from schema.types.customers import Customer

        coupling = self.stored_coupling
        if coupling is None:
            return None
        loaders = info.context.loaders
        view = await load(loaders, loaders.customers, coupling.erp.id, ERP_CUSTOMERS)
        return None if view is None else Customer.of(view, coupling)

    @strawberry.field(description="The ERP's figures of the coupled customer.")
    async def statistics(self, info: Info) -> CustomerStatistics | None:
        coupling = self.stored_coupling
        if coupling is None:
            return None
        loaders = info.context.loaders
        figures = await load(loaders, loaders.customer_statistics, coupling.erp.id, ERP_STATISTICS)
        return None if figures is None else CustomerStatistics.of(figures)

    @strawberry.field(description="Open opportunities, quotes and cases of the account.")
    async def crm_statistics(self, info: Info) -> CrmStatistics:
        loaders = info.context.loaders
        figures = await load_required(loaders, loaders.crm_statistics, self.node_id, CRM_STATISTICS)
        return CrmStatistics.of(figures)

    @strawberry.field(description="The account's contacts (whose parent customer it is).")
    async def contacts(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> ContactConnection:
        settings = info.context.services.settings
        page = page_request(first, after, maximum=settings.graphql_max_page_size)
        loaders = info.context.loaders
        views = await load_required(loaders, loaders.contacts, self.node_id, CRM_CONTACTS)
        return contacts_page(views or [], page)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        ids = list(node_ids)
        loaders = info.context.loaders
        views = await load_many_required(loaders, loaders.accounts, ids, CRM_ACCOUNTS)
        couplings = await loaders.account_couplings.load_many(ids)
        return [
            None if view is None else cls.of(view, coupling)
            for view, coupling in zip(views, couplings, strict=True)
        ]


@strawberry.type(name="AccountConnection")
class AccountConnection(relay.Connection[Account]):
    """A page of CRM accounts."""

"""CRM accounts, each with its coupled ERP customer and both systems' figures.

The account's own fields and its coupling are plain values, filled when the page is read.
Each hop to another system (`owner`, `customer`, `statistics`, `crmStatistics`) is read for
the whole page at once when the page is built (`prefetch`, from what the query selects), or
else through the request's DataLoaders; either way a page costs one batched call per hop.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from adapters.statistics import ErpCustomerStatistics
from gateway.couplings.views import AccountView, CustomerView
from gateway.store.couplings import Coupling as StoredCoupling
from schema.context import Info
from schema.document_connections import (
    INVOICES,
    OPPORTUNITIES,
    PROJECTS,
    QUOTES,
    SALES_ORDERS,
    connection_field,
)
from schema.loaders import (
    CRM_ACCOUNTS,
    CRM_CONTACTS,
    CRM_STATISTICS,
    CRM_USERS,
    ERP_CUSTOMERS,
    ERP_STATISTICS,
    gather_hops,
    load,
    load_many_required,
    load_required,
)
from schema.pagination import page_request
from schema.selection import Tree, deferred
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
    # Hops read for the whole page, by field name (see `prefetch`).
    prefetched: strawberry.Private[dict[str, Any]]

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
            prefetched={},
        )

    @strawberry.field(description="The account's owner in the CRM.")
    def owner(self, info: Info) -> CrmUser | None:
        if "owner" in self.prefetched:
            return self.prefetched["owner"]  # type: ignore[no-any-return]
        return deferred(self._owner(info))

    async def _owner(self, info: Info) -> CrmUser | None:
        if self.owner_id is None:
            return None
        loaders = info.context.loaders
        view = await load(loaders, loaders.users, self.owner_id, CRM_USERS)
        return None if view is None else CrmUser.of(view)

    @strawberry.field(description="The coupled ERP customer.")
    def customer(
        self, info: Info
    ) -> Annotated[Customer, strawberry.lazy("schema.types.customers")] | None:
        if "customer" in self.prefetched:
            return self.prefetched["customer"]  # type: ignore[no-any-return]
        return deferred(self._customer(info))

    async def _customer(self, info: Info) -> Customer | None:
        from schema.types.customers import Customer

        coupling = self.stored_coupling
        if coupling is None:
            return None
        loaders = info.context.loaders
        view = await load(loaders, loaders.customers, coupling.erp.id, ERP_CUSTOMERS)
        return None if view is None else Customer.of(view, coupling)

    @strawberry.field(description="The ERP's figures of the coupled customer.")
    def statistics(self, info: Info) -> CustomerStatistics | None:
        if "statistics" in self.prefetched:
            return self.prefetched["statistics"]  # type: ignore[no-any-return]
        return deferred(self._statistics(info))

    async def _statistics(self, info: Info) -> CustomerStatistics | None:
        coupling = self.stored_coupling
        if coupling is None:
            return None
        loaders = info.context.loaders
        figures = await load(loaders, loaders.customer_statistics, coupling.erp.id, ERP_STATISTICS)
        return None if figures is None else CustomerStatistics.of(figures)

    @strawberry.field(description="Open opportunities, quotes and cases of the account.")
    def crm_statistics(self, info: Info) -> CrmStatistics:
        if "crmStatistics" in self.prefetched:
            return self.prefetched["crmStatistics"]  # type: ignore[no-any-return]
        return deferred(self._crm_statistics(info))

    async def _crm_statistics(self, info: Info) -> CrmStatistics:
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

    # The account's documents, both systems' merged (see schema.document_connections).
    quotes = connection_field(QUOTES, "account", "Its quotes, newest first.")
    sales_orders = connection_field(SALES_ORDERS, "account", "Its sales orders, newest first.")
    invoices = connection_field(INVOICES, "account", "Its invoices, newest first.")
    projects = connection_field(PROJECTS, "account", "Its projects, newest first.")
    opportunities = connection_field(
        OPPORTUNITIES, "account", "Its CRM opportunities, newest first."
    )

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


async def prefetch(info: Info, accounts: Sequence[Account], wanted: Tree) -> None:
    """Read the hops `wanted` selects for every account of a page at once, and for the
    customers under them, so that their fields are plain values."""
    loaders = info.context.loaders
    below = wanted.get("customer", {})
    erp_ids = [a.stored_coupling.erp.id for a in accounts if a.stored_coupling is not None]
    owner_ids = list(dict.fromkeys(a.owner_id for a in accounts if a.owner_id is not None))
    jobs: dict[str, Any] = {}
    if "owner" in wanted:
        jobs["owner"] = loaders.users.load_many(owner_ids)
    if "customer" in wanted:
        jobs["customer"] = loaders.customers.load_many(erp_ids)
    if "statistics" in wanted or "statistics" in below:
        jobs["statistics"] = loaders.customer_statistics.load_many(erp_ids)
    if "crmStatistics" in wanted or "crmStatistics" in below:
        jobs["crmStatistics"] = loaders.crm_statistics.load_many([a.node_id for a in accounts])
    if not jobs:
        return
    found = await gather_hops(jobs)
    owners = dict(zip(owner_ids, found.get("owner", []), strict=False))
    pipeline = dict(
        zip((a.node_id for a in accounts), found.get("crmStatistics", []), strict=False)
    )
    for account in accounts:
        shown = account.prefetched
        if "owner" in found:
            view = owners.get(account.owner_id) if account.owner_id else None
            shown["owner"] = None if view is None else CrmUser.of(view)
        if "crmStatistics" in found:
            shown["crmStatistics"] = CrmStatistics.of(pipeline.get(account.node_id))
    _fill_erp_side(
        accounts,
        customers=dict(zip(erp_ids, found["customer"], strict=True))
        if "customer" in found
        else None,
        figures=dict(zip(erp_ids, found["statistics"], strict=True))
        if "statistics" in found
        else None,
    )


def _fill_erp_side(
    accounts: Sequence[Account],
    *,
    customers: dict[str, CustomerView | None] | None,
    figures: dict[str, ErpCustomerStatistics | None] | None,
) -> None:
    """The coupled customers and their figures, for accounts whose hops were read."""
    from schema.types.customers import Customer

    for account in accounts:
        shown, coupling = account.prefetched, account.stored_coupling
        if coupling is None:
            shown["customer"] = shown["statistics"] = None
            continue
        erp_id = coupling.erp.id
        if figures is not None:
            stats = figures.get(erp_id)
            shown["statistics"] = None if stats is None else CustomerStatistics.of(stats)
        if customers is None:
            continue
        view = customers.get(erp_id)
        customer = None if view is None else Customer.of(view, coupling)
        if customer is not None:
            customer.prefetched["account"] = account
            if figures is not None:
                customer.prefetched["statistics"] = CustomerStatistics.of(figures.get(erp_id))
            if "crmStatistics" in shown:
                customer.prefetched["crmStatistics"] = shown["crmStatistics"]
        shown["customer"] = customer

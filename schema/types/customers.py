"""ERP customers (Business Central or Tryton), each with its coupled CRM account and figures.

Fields are read through the fields the ERP's connector declares (`capabilities.customer_fields`), so
the type is the same whichever ERP answers. Hops to other systems are prefetched for a whole
page (`prefetch`) or read through the request's DataLoaders, as for accounts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import strawberry
from strawberry import relay

from gateway.couplings.views import CustomerView
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
    CRM_STATISTICS,
    ERP_CUSTOMERS,
    ERP_STATISTICS,
    gather_hops,
    load,
    load_many_required,
    load_required,
)
from schema.selection import Tree, deferred
from schema.types.accounts import Account
from schema.types.couplings import Coupling
from schema.types.statistics import CrmStatistics, CustomerStatistics


@strawberry.type(description="A customer in the ERP (Business Central or Tryton).")
class Customer(relay.Node):
    node_id: relay.NodeID[str]
    erp_id: strawberry.ID = strawberry.field(description="The customer's id in the ERP.")
    number: str = strawberry.field(description="The customer number (Tryton: its code).")
    name: str
    email: str | None
    phone: str | None
    website: str | None
    city: str | None
    salesperson_code: str | None = strawberry.field(
        description="The salesperson's code (null where the ERP keeps none, e.g. Tryton)."
    )
    coupled: bool = strawberry.field(description="Whether a CRM account is coupled to it.")
    coupling: Coupling | None
    stored_coupling: strawberry.Private[StoredCoupling | None]
    prefetched: strawberry.Private[dict[str, Any]]

    @classmethod
    def of(cls, view: CustomerView, coupling: StoredCoupling | None) -> Customer:
        return cls(
            node_id=view.id,
            erp_id=strawberry.ID(view.id),
            number=view.number,
            name=view.name,
            email=view.email,
            phone=view.phone,
            website=view.website,
            city=view.city,
            salesperson_code=view.salesperson_code,
            coupled=coupling is not None,
            coupling=Coupling.of(coupling) if coupling is not None else None,
            stored_coupling=coupling,
            prefetched={},
        )

    @strawberry.field(description="The coupled CRM account.")
    def account(self, info: Info) -> Account | None:
        if "account" in self.prefetched:
            return self.prefetched["account"]  # type: ignore[no-any-return]
        return deferred(self._account(info))

    async def _account(self, info: Info) -> Account | None:
        coupling = self.stored_coupling
        if coupling is None:
            return None
        loaders = info.context.loaders
        view = await load(loaders, loaders.accounts, coupling.crm.id, CRM_ACCOUNTS)
        return None if view is None else Account.of(view, coupling)

    @strawberry.field(description="Balance, sales and overdue amount in the ERP.")
    def statistics(self, info: Info) -> CustomerStatistics:
        if "statistics" in self.prefetched:
            return self.prefetched["statistics"]  # type: ignore[no-any-return]
        return deferred(self._statistics(info))

    async def _statistics(self, info: Info) -> CustomerStatistics:
        loaders = info.context.loaders
        figures = await load_required(
            loaders, loaders.customer_statistics, self.node_id, ERP_STATISTICS
        )
        return CustomerStatistics.of(figures)

    @strawberry.field(description="The CRM's open pipeline of the coupled account.")
    def crm_statistics(self, info: Info) -> CrmStatistics | None:
        if "crmStatistics" in self.prefetched:
            return self.prefetched["crmStatistics"]  # type: ignore[no-any-return]
        return deferred(self._crm_statistics(info))

    async def _crm_statistics(self, info: Info) -> CrmStatistics | None:
        coupling = self.stored_coupling
        if coupling is None:
            return None
        loaders = info.context.loaders
        figures = await load(loaders, loaders.crm_statistics, coupling.crm.id, CRM_STATISTICS)
        return None if figures is None else CrmStatistics.of(figures)

    # The customer's documents, both systems' merged (see schema.document_connections).
    quotes = connection_field(QUOTES, "customer", "Its quotes, newest first.")
    sales_orders = connection_field(SALES_ORDERS, "customer", "Its sales orders, newest first.")
    invoices = connection_field(INVOICES, "customer", "Its invoices, newest first.")
    projects = connection_field(PROJECTS, "customer", "Its projects, newest first.")
    opportunities = connection_field(
        OPPORTUNITIES, "customer", "Its CRM opportunities, newest first."
    )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        ids = list(node_ids)
        loaders = info.context.loaders
        views = await load_many_required(loaders, loaders.customers, ids, ERP_CUSTOMERS)
        couplings = await loaders.customer_couplings.load_many(ids)
        return [
            None if view is None else cls.of(view, coupling)
            for view, coupling in zip(views, couplings, strict=True)
        ]


@strawberry.type(name="CustomerConnection")
class CustomerConnection(relay.Connection[Customer]):
    """A page of ERP customers."""


async def prefetch(info: Info, customers: Sequence[Customer], wanted: Tree) -> None:
    """Read the hops `wanted` selects for every customer of a page at once."""
    loaders = info.context.loaders
    coupled = [c for c in customers if c.stored_coupling is not None]
    crm_ids = [c.stored_coupling.crm.id for c in coupled if c.stored_coupling is not None]
    jobs: dict[str, Any] = {}
    if "account" in wanted:
        jobs["account"] = loaders.accounts.load_many(crm_ids)
    if "statistics" in wanted:
        jobs["statistics"] = loaders.customer_statistics.load_many([c.node_id for c in customers])
    if "crmStatistics" in wanted:
        jobs["crmStatistics"] = loaders.crm_statistics.load_many(crm_ids)
    if not jobs:
        return
    found = await gather_hops(jobs)
    accounts = dict(zip(crm_ids, found.get("account", []), strict=False))
    figures = dict(zip((c.node_id for c in customers), found.get("statistics", []), strict=False))
    pipeline = dict(zip(crm_ids, found.get("crmStatistics", []), strict=False))
    for customer in customers:
        shown = customer.prefetched
        coupling = customer.stored_coupling
        if "statistics" in found:
            shown["statistics"] = CustomerStatistics.of(figures.get(customer.node_id))
        if coupling is None:
            shown["account"] = shown["crmStatistics"] = None
            continue
        if "account" in found:
            view = accounts.get(coupling.crm.id)
            shown["account"] = None if view is None else Account.of(view, coupling)
        if "crmStatistics" in found:
            figures_of = pipeline.get(coupling.crm.id)
            shown["crmStatistics"] = None if figures_of is None else CrmStatistics.of(figures_of)

"""ERP customers (Business Central or Tryton), each with its coupled CRM account and figures.

Fields are read through the ERP's field table (`gateway.couplings.views.CUSTOMER_FIELDS`), so
the type is the same whichever ERP answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import strawberry
from strawberry import relay

from gateway.couplings.views import CustomerView
from gateway.store.couplings import Coupling as StoredCoupling
from schema.context import Info
from schema.loaders import (
    CRM_ACCOUNTS,
    CRM_STATISTICS,
    ERP_CUSTOMERS,
    ERP_STATISTICS,
    load,
    load_many_required,
    load_required,
)
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
        )

    @strawberry.field(description="The coupled CRM account.")
    async def account(self, info: Info) -> Account | None:
        coupling = self.stored_coupling
        if coupling is None:
            return None
        loaders = info.context.loaders
        view = await load(loaders, loaders.accounts, coupling.crm.id, CRM_ACCOUNTS)
        return None if view is None else Account.of(view, coupling)

    @strawberry.field(description="Balance, sales and overdue amount in the ERP.")
    async def statistics(self, info: Info) -> CustomerStatistics:
        loaders = info.context.loaders
        figures = await load_required(
            loaders, loaders.customer_statistics, self.node_id, ERP_STATISTICS
        )
        return CustomerStatistics.of(figures)

    @strawberry.field(description="The CRM's open pipeline of the coupled account.")
    async def crm_statistics(self, info: Info) -> CrmStatistics | None:
        coupling = self.stored_coupling
        if coupling is None:
            return None
        loaders = info.context.loaders
        figures = await load(loaders, loaders.crm_statistics, coupling.crm.id, CRM_STATISTICS)
        return None if figures is None else CrmStatistics.of(figures)

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

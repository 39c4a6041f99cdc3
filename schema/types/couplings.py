"""Couplings: one ERP record and one CRM record known to be the same thing, per table mapping."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from gateway.couplings.views import ACCOUNT_ENTITY, CUSTOMER_ENTITY, CUSTOMER_MAPPING
from gateway.mappings.model import Direction as CoreDirection
from gateway.store.couplings import Coupling as StoredCoupling
from gateway.store.couplings import CouplingState as CoreCouplingState
from schema.context import Info
from schema.loaders import CRM_ACCOUNTS, ERP_CUSTOMERS, load
from schema.types.enums import CouplingState, Direction

if TYPE_CHECKING:
    from schema.types.accounts import Account
    from schema.types.customers import Customer
    from schema.types.documents_fields import CoupledField


def _direction(value: str | None) -> CoreDirection | None:
    try:
        return CoreDirection(value) if value else None
    except ValueError:
        return None


@strawberry.type(description="One ERP record and one CRM record coupled through a table mapping.")
class Coupling(relay.Node):
    node_id: relay.NodeID[str]
    mapping: str = strawberry.field(description="The table mapping, e.g. CUSTOMER.")
    erp_id: strawberry.ID
    crm_id: strawberry.ID
    state: CouplingState
    last_synced_at: datetime | None
    last_direction: Direction | None
    erp_entity: str
    crm_entity: str
    erp_key: str | None = strawberry.field(
        description="The ERP record's natural key (number, code) when the mapping has one."
    )
    crm_key: str | None
    error_count: int = strawberry.field(description="Failed synchronizations in a row.")
    last_error: str | None
    created_at: datetime | None
    stored: strawberry.Private[StoredCoupling]

    @classmethod
    def of(cls, coupling: StoredCoupling) -> Coupling:
        return cls(
            node_id=coupling.id,
            mapping=coupling.mapping,
            erp_id=strawberry.ID(coupling.erp.id),
            crm_id=strawberry.ID(coupling.crm.id),
            state=CoreCouplingState(coupling.state),
            last_synced_at=coupling.last_synced_at,
            last_direction=_direction(coupling.last_direction),
            erp_entity=coupling.erp.entity,
            crm_entity=coupling.crm.entity,
            erp_key=coupling.erp.key,
            crm_key=coupling.crm.key,
            error_count=coupling.error_count,
            last_error=coupling.last_error,
            created_at=coupling.created_at,
            stored=coupling,
        )

    @strawberry.field(
        description="The Project Server record's id, when the mapping couples the ERP with "
        "Project Server (crmId then holds it too)."
    )
    def project_server_id(self, info: Info) -> strawberry.ID | None:
        projects = info.context.services.projects
        if projects is None or self.stored.crm.system != projects.system:
            return None
        return strawberry.ID(self.stored.crm.id)

    @strawberry.field(description="The CRM account, when the coupled CRM record is one.")
    async def account(
        self, info: Info
    ) -> Annotated[Account, strawberry.lazy("schema.types.accounts")] | None:
        from schema.types.accounts import Account

        if self.crm_entity != ACCOUNT_ENTITY:
            return None
        loaders = info.context.loaders
        view = await load(loaders, loaders.accounts, self.stored.crm.id, CRM_ACCOUNTS)
        return None if view is None else Account.of(view, self._same_mapping_coupling())

    @strawberry.field(description="The ERP customer, when the coupled ERP record is one.")
    async def customer(
        self, info: Info
    ) -> Annotated[Customer, strawberry.lazy("schema.types.customers")] | None:
        from schema.types.customers import Customer

        if self.erp_entity != CUSTOMER_ENTITY:
            return None
        loaders = info.context.loaders
        view = await load(loaders, loaders.customers, self.stored.erp.id, ERP_CUSTOMERS)
        return None if view is None else Customer.of(view, self._same_mapping_coupling())

    @strawberry.field(
        description="Each mapped field of the pair: both systems' values now, the value at the "
        "last synchronization, and whether they differ (choose a direction for "
        "synchronizeNow from it)."
    )
    async def fields(
        self, info: Info
    ) -> list[Annotated[CoupledField, strawberry.lazy("schema.types.documents_fields")]]:
        from schema.types.documents_fields import fields_of

        return await fields_of(info, self.stored)

    def _same_mapping_coupling(self) -> StoredCoupling | None:
        """The account ↔ customer coupling the record views show, if this is one."""
        return self.stored if self.mapping == CUSTOMER_MAPPING else None

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        found = await info.context.loaders.couplings_by_id.load_many(list(node_ids))
        return [None if coupling is None else cls.of(coupling) for coupling in found]


@strawberry.type(name="CouplingConnection")
class CouplingConnection(relay.Connection[Coupling]):
    """A page of couplings, oldest first."""

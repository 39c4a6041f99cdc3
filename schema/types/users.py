"""CRM users: the owners of accounts (and, coupled, the ERP's salespeople)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import strawberry
from strawberry import relay

from gateway.couplings.views import UserView
from schema.context import Info
from schema.loaders import CRM_USERS, load_many_required


@strawberry.type(description="A user of the CRM (Dynamics 365 Sales), e.g. an account's owner.")
class CrmUser(relay.Node):
    node_id: relay.NodeID[str]
    crm_id: strawberry.ID = strawberry.field(description="The user's id in the CRM.")
    full_name: str
    email: str | None
    disabled: bool

    @classmethod
    def of(cls, view: UserView) -> CrmUser:
        return cls(
            node_id=view.id,
            crm_id=strawberry.ID(view.id),
            full_name=view.full_name,
            email=view.email,
            disabled=view.disabled,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        loaders = info.context.loaders
        views = await load_many_required(loaders, loaders.users, list(node_ids), CRM_USERS)
        return [None if view is None else cls.of(view) for view in views]

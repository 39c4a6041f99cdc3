"""`node(id)`: any object of the API that implements Node, by its global id."""

from __future__ import annotations

import strawberry
from strawberry import relay


@strawberry.type
class NodeQuery:
    node: relay.Node | None = relay.node(
        description="Any object that implements Node (Account, Customer, Coupling, Contact, "
        "CrmUser, Quote, SalesOrder, Invoice, Project, Opportunity, Item, IntegrationLogEntry, "
        "...) by the global id it was given."
    )

"""CRM contacts: the people of an account (contacts whose parent customer is the account)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import strawberry
from strawberry import relay

from gateway.couplings.views import ContactView
from schema.context import Info
from schema.errors import InvalidArgumentError
from schema.loaders import CRM_CONTACTS, load_many_required
from schema.pagination import PageRequest, build_connection


@strawberry.type(description="A contact in the CRM (Dynamics 365 Sales).")
class Contact(relay.Node):
    node_id: relay.NodeID[str]
    crm_id: strawberry.ID = strawberry.field(description="The contact's id in the CRM.")
    account_id: strawberry.ID | None = strawberry.field(
        description="The CRM id of the account the contact belongs to."
    )
    full_name: str
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    mobile_phone: str | None
    job_title: str | None
    city: str | None
    sort_key: strawberry.Private[str]

    @classmethod
    def of(cls, view: ContactView) -> Contact:
        return cls(
            node_id=view.id,
            crm_id=strawberry.ID(view.id),
            account_id=strawberry.ID(view.account_id) if view.account_id else None,
            full_name=view.full_name,
            first_name=view.first_name,
            last_name=view.last_name,
            email=view.email,
            phone=view.phone,
            mobile_phone=view.mobile_phone,
            job_title=view.job_title,
            city=view.city,
            sort_key=view.full_name.casefold(),
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        loaders = info.context.loaders
        views = await load_many_required(
            loaders, loaders.contacts_by_id, list(node_ids), CRM_CONTACTS
        )
        return [None if view is None else cls.of(view) for view in views]


@strawberry.type(name="ContactConnection")
class ContactConnection(relay.Connection[Contact]):
    """A page of an account's contacts, by name."""


def contacts_page(views: Sequence[ContactView], page: PageRequest) -> ContactConnection:
    """One page of an account's contacts (all read in one batch, sorted by name and id)."""
    contacts = [Contact.of(view) for view in views]
    start = 0
    if page.after is not None:
        name, key = page.after.get("n"), page.after.get("k")
        if not isinstance(name, str) or not isinstance(key, str):
            raise InvalidArgumentError("after", "not a cursor this API returned")
        start = next(
            (i for i, c in enumerate(contacts) if (c.sort_key, c.crm_id) > (name, key)),
            len(contacts),
        )
    chosen = contacts[start : start + page.size]
    connection = build_connection(
        ContactConnection,
        chosen,
        cursor_of=lambda node: {"n": node.sort_key, "k": str(node.crm_id)},
        has_next_page=start + page.size < len(contacts),
        has_previous_page=start > 0,
    )
    assert isinstance(connection, ContactConnection)
    return connection


__all__ = ["Contact", "ContactConnection", "contacts_page"]

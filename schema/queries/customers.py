"""`customers` and `customer`: ERP customers with their coupled accounts and figures."""

from __future__ import annotations

import strawberry

from adapters.base import Record
from gateway.couplings.views import CustomerView, contains_text, customer_search
from gateway.security.inputs import record_id
from schema.context import Info
from schema.loaders import ERP_CUSTOMERS, HOP_ERRORS
from schema.pagination import page_request
from schema.queries.listing import after_key, listing_connection, search_text
from schema.selection import selected
from schema.types.customers import Customer, CustomerConnection, prefetch


@strawberry.type
class CustomerQuery:
    @strawberry.field(
        description="ERP customers by id. `search` finds text in the name, number or e-mail "
        "(Business Central cannot combine fields in one filter: it searches the e-mail when "
        "the text has an @, the number when it is one word with a digit, else the name); "
        "`coupled` keeps only coupled (true) or uncoupled (false) ones."
    )
    async def customers(
        self,
        info: Info,
        search: str | None = None,
        coupled: bool | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> CustomerConnection:
        settings = info.context.services.settings
        page = page_request(first, after, maximum=settings.graphql_max_page_size)
        text = search_text(search)
        loaders = info.context.loaders
        try:
            listing = loaders.directory.customer_listing()
            fields = loaders.directory.customer_fields()
            resume = after_key(page, coupled, listing.source.connector.system)

            def matches(record: Record) -> bool:
                view = CustomerView.of(record, fields)
                return text is None or contains_text(view.searchable(), text)

            result = await listing.page(
                size=page.size,
                after=resume,
                coupled=coupled,
                search=customer_search(fields, text) if text else None,
                matches=matches,
            )
        except HOP_ERRORS as exc:
            raise loaders.hop_error(ERP_CUSTOMERS, exc) from None
        loaders.prime_couplings("erp", {row.record.id: row.coupling for row in result.rows})
        nodes = [
            Customer.of(CustomerView.of(row.record, fields), row.coupling) for row in result.rows
        ]
        await prefetch(info, nodes, selected(info, "edges", "node"))
        connection = listing_connection(
            CustomerConnection,
            nodes,
            key_of=lambda node: node.node_id,
            coupled=coupled,
            has_next=result.has_next,
            end_key=result.end_key,
            resumed=resume is not None,
        )
        assert isinstance(connection, CustomerConnection)
        return connection

    @strawberry.field(description="One ERP customer by its ERP id; null if there is none.")
    async def customer(self, info: Info, erp_id: strawberry.ID) -> Customer | None:
        loaders = info.context.loaders
        try:
            system = loaders.directory.erp().system
        except HOP_ERRORS as exc:
            raise loaders.hop_error(ERP_CUSTOMERS, exc) from None
        key = str(record_id(system, erp_id, "erpId"))
        (node,) = await Customer.resolve_nodes(info=info, node_ids=[key])
        if node is not None:
            await prefetch(info, [node], selected(info))
        return node  # type: ignore[no-any-return]

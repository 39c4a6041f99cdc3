"""`customers` and `customer`: ERP customers with their coupled accounts and figures."""

from __future__ import annotations

import strawberry

from adapters.base import Record
from gateway.couplings.views import CustomerView, contains_text, customer_search
from schema.context import Info
from schema.loaders import ERP_CUSTOMERS, HOP_ERRORS
from schema.pagination import page_request
from schema.queries.listing import listing_connection, one_node, read_page, search_text
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
            fields = loaders.directory.customer_fields()
        except HOP_ERRORS as exc:
            raise loaders.hop_error(ERP_CUSTOMERS, exc) from None

        def matches(record: Record) -> bool:
            view = CustomerView.of(record, fields)
            return text is None or contains_text(view.searchable(), text)

        result, resume = await read_page(
            loaders,
            loaders.directory.customer_listing,
            ERP_CUSTOMERS,
            page=page,
            coupled=coupled,
            search=customer_search(fields, text) if text else None,
            matches=matches,
        )
        loaders.prime_couplings("erp", {row.record.id: row.coupling for row in result.rows})
        nodes = [
            Customer.of(CustomerView.of(row.record, fields), row.coupling) for row in result.rows
        ]
        await prefetch(info, nodes, selected(info, "edges", "node"))
        connection = listing_connection(
            CustomerConnection, nodes, result, coupled=coupled, resumed=resume is not None
        )
        assert isinstance(connection, CustomerConnection)
        return connection

    @strawberry.field(description="One ERP customer by its ERP id; null if there is none.")
    async def customer(self, info: Info, erp_id: strawberry.ID) -> Customer | None:
        node: Customer | None = await one_node(
            info,
            erp_id,
            side="erp",
            field="erpId",
            hop=ERP_CUSTOMERS,
            resolve=Customer.resolve_nodes,
            prefetch=prefetch,
        )
        return node

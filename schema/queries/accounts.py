"""`accounts` and `account`: CRM accounts with their coupled customers and figures."""

from __future__ import annotations

import strawberry

from adapters.base import Record
from gateway.couplings.views import AccountView, account_search, contains_text
from schema.context import Info
from schema.loaders import CRM_ACCOUNTS
from schema.pagination import page_request
from schema.queries.listing import listing_connection, one_node, read_page, search_text
from schema.selection import selected
from schema.types.accounts import Account, AccountConnection, prefetch


@strawberry.type
class AccountQuery:
    @strawberry.field(
        description="CRM accounts by id. `search` finds text in the name, account number or "
        "e-mail (ignoring case); `coupled` keeps only coupled (true) or uncoupled (false) ones."
    )
    async def accounts(
        self,
        info: Info,
        search: str | None = None,
        coupled: bool | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> AccountConnection:
        settings = info.context.services.settings
        page = page_request(first, after, maximum=settings.graphql_max_page_size)
        text = search_text(search)
        loaders = info.context.loaders

        def matches(record: Record) -> bool:
            return text is None or contains_text(AccountView.of(record).searchable(), text)

        result, resume = await read_page(
            loaders,
            loaders.directory.account_listing,
            CRM_ACCOUNTS,
            page=page,
            coupled=coupled,
            search=account_search(text) if text else None,
            matches=matches,
        )
        loaders.prime_couplings("crm", {row.record.id: row.coupling for row in result.rows})
        nodes = [Account.of(AccountView.of(row.record), row.coupling) for row in result.rows]
        await prefetch(info, nodes, selected(info, "edges", "node"))
        connection = listing_connection(
            AccountConnection, nodes, result, coupled=coupled, resumed=resume is not None
        )
        assert isinstance(connection, AccountConnection)
        return connection

    @strawberry.field(description="One CRM account by its CRM id; null if there is none.")
    async def account(self, info: Info, crm_id: strawberry.ID) -> Account | None:
        node: Account | None = await one_node(
            info,
            crm_id,
            side="crm",
            field="crmId",
            hop=CRM_ACCOUNTS,
            resolve=Account.resolve_nodes,
            prefetch=prefetch,
        )
        return node

"""`couplings(mapping, state)`: the coupled pairs, oldest first."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError

from gateway.security.inputs import require_plain_text, search_pattern
from gateway.store.couplings import CouplingState as CoreCouplingState
from gateway.store.couplings import parse_coupling_id
from schema.context import Info
from schema.errors import InvalidArgumentError
from schema.pagination import build_connection, page_request
from schema.types.couplings import Coupling, CouplingConnection


@strawberry.type
class CouplingQuery:
    @strawberry.field(
        description="Couplings, oldest first; `mapping` (e.g. CUSTOMER) and `state` narrow "
        "them, `search` finds a record's id (either side, exactly) or natural key (number, "
        "code: any part, ignoring case)."
    )
    async def couplings(
        self,
        info: Info,
        mapping: str | None = None,
        state: CoreCouplingState | None = None,
        first: int | None = None,
        after: str | None = None,
        *,
        search: str | None = None,
    ) -> CouplingConnection:
        services = info.context.services
        page = page_request(first, after, maximum=services.settings.graphql_max_page_size)
        after_id: str | None = None
        if page.after is not None:
            after_id = page.after.get("id")
            if not isinstance(after_id, str) or parse_coupling_id(after_id) is None:
                raise InvalidArgumentError("after", "not a cursor this API returned")
        if mapping is not None:
            name = require_plain_text(mapping, "mapping", max_length=64)
            if await services.mappings.get(name) is None:
                raise GraphQLError(
                    f"mapping: no table mapping is named {name!r}",
                    extensions={"code": "NOT_FOUND", "field": ["mapping"]},
                )
        record = None
        if search is not None:
            record = {
                "id": require_plain_text(search, "search", max_length=200),
                "key": search_pattern(search),
            }
        found, more = await services.couplings.page(
            mapping=mapping, state=state, after_id=after_id, size=page.size, record=record
        )
        connection = build_connection(
            CouplingConnection,
            [Coupling.of(coupling) for coupling in found],
            cursor_of=lambda node: {"id": node.node_id},
            has_next_page=more,
            has_previous_page=after_id is not None,
        )
        assert isinstance(connection, CouplingConnection)
        return connection

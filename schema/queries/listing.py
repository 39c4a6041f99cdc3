"""What the `accounts` and `customers` listings share: their arguments and their cursors.

A cursor carries the position right after a row (see `gateway.couplings.listing`) and which
`coupled` filter produced it: the filters walk different orders, so a cursor is only good for
the listing that made it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal, TypeVar

from strawberry import relay

from adapters.base import Record
from adapters.errors import ValidationError
from adapters.filters import Filter
from gateway.couplings.listing import Listing, ListingPage, PositionError, parse_cursor_position
from gateway.security.inputs import (
    MAX_SEARCH_LENGTH,
    InputRejectedError,
    record_id,
    require_plain_text,
)
from schema.context import Info
from schema.errors import InvalidArgumentError
from schema.loaders import HOP_ERRORS, Hop, Loaders
from schema.pagination import PageRequest, encode_cursor
from schema.selection import Tree, selected

N = TypeVar("N", bound=relay.Node)
NOT_OURS = "not a cursor this API returned"


def search_text(search: str | None) -> str | None:
    """The search text, or None for no search; refused when it is not plain text."""
    if search is None:
        return None
    text = require_plain_text(search, "search", max_length=MAX_SEARCH_LENGTH)
    return text if text.strip() else None


def mode(coupled: bool | None) -> str:
    return "all" if coupled is None else ("coupled" if coupled else "uncoupled")


def after_position(page: PageRequest, coupled: bool | None, listing: Listing) -> str | None:
    """The position a page resumes after, from a cursor of the same listing."""
    if page.after is None:
        return None
    position, made_by = page.after.get("k"), page.after.get("c")
    if made_by != mode(coupled):
        raise InvalidArgumentError("after", "comes from a listing with another `coupled` filter")
    if not isinstance(position, str):
        raise InvalidArgumentError("after", NOT_OURS)
    try:
        if coupled is True or listing.source.keyed:
            return str(record_id(listing.source.connector.capabilities.id_kind, position, "after"))
        parse_cursor_position(position)
    except (InputRejectedError, PositionError):
        raise InvalidArgumentError("after", NOT_OURS) from None
    return position


def listing_connection(
    connection_type: type[relay.Connection[N]],
    nodes: Sequence[N],
    result: ListingPage,
    *,
    coupled: bool | None,
    resumed: bool,
) -> relay.Connection[N]:
    """The page's connection: each edge's cursor resumes right after its row, the end cursor
    after the last row read (which may lie beyond the last node)."""
    listing = mode(coupled)
    edges = [
        relay.Edge(node=node, cursor=encode_cursor({"k": row.position, "c": listing}))
        for node, row in zip(nodes, result.rows, strict=True)
    ]
    end = result.end if result.has_next else (result.rows[-1].position if result.rows else None)
    return connection_type(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=result.has_next,
            has_previous_page=resumed,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=encode_cursor({"k": end, "c": listing}) if end is not None else None,
        ),
    )


async def read_page(
    loaders: Loaders,
    listing_of: Callable[[], Listing],
    hop: Hop,
    *,
    page: PageRequest,
    coupled: bool | None,
    search: Filter | None,
    matches: Callable[[Record], bool],
) -> tuple[ListingPage, str | None]:
    """One page of the listing and the position it resumed after; a system that fails is
    the hop's error, a connector cursor the connector refuses is the client's."""
    try:
        listing = listing_of()
    except HOP_ERRORS as exc:
        raise loaders.hop_error(hop, exc) from None
    resume = after_position(page, coupled, listing)
    try:
        result = await listing.page(
            size=page.size, after=resume, coupled=coupled, search=search, matches=matches
        )
    except ValidationError as exc:
        if resume is not None and coupled is not True and not listing.source.keyed:
            raise InvalidArgumentError("after", NOT_OURS) from None
        raise loaders.hop_error(hop, exc) from None
    except HOP_ERRORS as exc:
        raise loaders.hop_error(hop, exc) from None
    return result, resume


async def one_node(
    info: Info,
    raw_id: str,
    *,
    side: Literal["crm", "erp"],
    field: str,
    hop: Hop,
    resolve: Callable[..., Awaitable[list[Any]]],
    prefetch: Callable[[Info, Sequence[Any], Tree], Awaitable[None]],
) -> Any:
    """One account or customer by its id in its own system (`resolve` is its node type's
    `resolve_nodes`), with the hops the query selects read as for a page; None if none."""
    loaders = info.context.loaders
    try:
        connector = loaders.directory.crm() if side == "crm" else loaders.directory.erp()
    except HOP_ERRORS as exc:
        raise loaders.hop_error(hop, exc) from None
    key = str(record_id(connector.capabilities.id_kind, raw_id, field))
    (node,) = await resolve(info=info, node_ids=[key])
    if node is not None:
        await prefetch(info, [node], selected(info))
    return node

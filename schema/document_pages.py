"""Pages of documents: an account's or a customer's (read whole for the page's parties at
once, then filtered and cut), or every document of a kind (`gateway.documents.listing`).

Arguments are checked before any system is read: a state the kind cannot be in, a search that
is not plain text, a date range backwards, an id of the wrong shape or a cursor of another
listing are `INVALID_INPUT` naming the argument.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Literal, TypeVar

from strawberry import relay

from adapters.documents import DocumentKind
from gateway.documents.filters import DocumentFilter
from gateway.documents.graph import Failures
from gateway.documents.lifecycle import STATES_OF, LifecycleState, PaymentStatus
from gateway.documents.listing import DocumentListing, ListingPositionError
from gateway.documents.merged import Merged
from gateway.security.inputs import record_id, require_plain_text
from gateway.types import SideName
from schema.context import Info
from schema.errors import InvalidArgumentError
from schema.pagination import PageRequest, encode_cursor, page_request
from schema.queries.listing import NOT_OURS, search_text

N = TypeVar("N", bound=relay.Node)
MakeNode = Callable[[Merged], Any]


def document_filter(
    kind: DocumentKind,
    *,
    state: str | None = None,
    payment: PaymentStatus | None = None,
    search: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> DocumentFilter:
    states = None
    if state is not None:
        allowed = STATES_OF[kind]
        name = require_plain_text(state, "state", max_length=40).strip().upper()
        if name not in {item.value for item in allowed}:
            names = ", ".join(item.value for item in allowed)
            raise InvalidArgumentError("state", f"{state!r} is not one of {names}")
        states = frozenset({LifecycleState(name)})
    if date_from is not None and date_to is not None and date_to < date_from:
        raise InvalidArgumentError("dateTo", "must not be before dateFrom")
    return DocumentFilter(
        states=states,
        payment=payment,
        text=search_text(search),
        date_from=date_from,
        date_to=date_to,
    )


def party_key(info: Info, side: SideName, value: str, argument: str) -> str:
    """An account's (CRM) or customer's (ERP) id, in the shape its system gives ids."""
    services = info.context.services
    connector = services.crm if side == "crm" else services.erp
    if connector is None:
        raise InvalidArgumentError(argument, f"the {side.upper()} connection is not configured")
    return str(record_id(connector.capabilities.id_kind, value, argument))


def _page(info: Info, first: int | None, after: str | None) -> PageRequest:
    maximum = info.context.services.settings.graphql_max_page_size
    return page_request(first, after, maximum=maximum)


def connection_of(
    connection_type: type[relay.Connection[N]],
    nodes: list[N],
    cursors: list[dict[str, Any]],
    *,
    has_next: bool,
    has_previous: bool,
    end: dict[str, Any] | None = None,
) -> relay.Connection[N]:
    edges = [
        relay.Edge(node=node, cursor=encode_cursor(cursor))
        for node, cursor in zip(nodes, cursors, strict=True)
    ]
    end_cursor = encode_cursor(end) if end is not None else None
    return connection_type(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=has_next,
            has_previous_page=has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=end_cursor or (edges[-1].cursor if edges else None),
        ),
    )


async def party_connection(
    info: Info,
    kind: DocumentKind,
    side: Literal["crm", "erp"],
    party: str,
    keep: DocumentFilter,
    *,
    first: int | None,
    after: str | None,
    make: MakeNode,
    connection_type: type[relay.Connection[N]],
) -> relay.Connection[N]:
    """One page of a party's documents, newest first; the cursor is the position after a
    document and its key (so that a page resumes after that document even if one before it
    went away)."""
    page = _page(info, first, after)
    documents = info.context.loaders.documents
    found = await documents.found(info, documents.of_parties(kind, side).load(party))
    kept = found if keep.empty else [document for document in found if keep.matches(document)]
    start = _resume(page, kept)
    chosen = kept[start : start + page.size]
    cursors = [{"o": start + index + 1, "i": doc.key} for index, doc in enumerate(chosen)]
    return connection_of(
        connection_type,
        [make(document) for document in chosen],
        cursors,
        has_next=start + len(chosen) < len(kept),
        has_previous=start > 0,
    )


def _resume(page: PageRequest, kept: list[Merged]) -> int:
    if page.after is None:
        return 0
    offset, key = page.after.get("o"), page.after.get("i")
    if not isinstance(offset, int) or not isinstance(key, str) or offset < 0:
        raise InvalidArgumentError("after", NOT_OURS)
    for index, document in enumerate(kept):
        if document.key == key:
            return index + 1
    return min(offset, len(kept))


async def listing_connection(
    info: Info,
    kind: DocumentKind,
    keep: DocumentFilter,
    *,
    first: int | None,
    after: str | None,
    make: MakeNode,
    connection_type: type[relay.Connection[N]],
) -> relay.Connection[N]:
    """One page of every document of `kind`: its origin's, then the other system's uncoupled."""
    page = _page(info, first, after)
    documents = info.context.loaders.documents
    listing = DocumentListing(documents.graph, kind)
    failures = Failures()
    try:
        if page.after is not None:
            listing.check(page.after)
        result = await listing.page(size=page.size, after=page.after, keep=keep, failures=failures)
    except ListingPositionError:
        raise InvalidArgumentError("after", NOT_OURS) from None
    documents.note(failures.found, info)
    return connection_of(
        connection_type,
        [make(row.document) for row in result.rows],
        [row.position for row in result.rows],
        has_next=result.has_next,
        has_previous=page.after is not None,
        end=result.end if result.has_next else None,
    )


async def document_connection(
    info: Info,
    kind: DocumentKind,
    keep: DocumentFilter,
    *,
    account_id: str | None,
    customer_id: str | None,
    first: int | None,
    after: str | None,
    make: MakeNode,
    connection_type: type[relay.Connection[N]],
) -> relay.Connection[N]:
    """The documents of an account, of a customer, or all of them."""
    account = party_key(info, "crm", account_id, "accountId") if account_id else None
    customer = party_key(info, "erp", customer_id, "customerId") if customer_id else None
    if account is not None and customer is not None:
        coupled = await info.context.loaders.account_couplings.load(account)
        if coupled is None or coupled.erp.id.lower() != customer.lower():
            return connection_of(connection_type, [], [], has_next=False, has_previous=False)
    party: tuple[Literal["crm", "erp"], str] | None = None
    if account is not None:
        party = ("crm", account)
    elif customer is not None:
        party = ("erp", customer)
    if party is not None:
        return await party_connection(
            info,
            kind,
            party[0],
            party[1],
            keep,
            first=first,
            after=after,
            make=make,
            connection_type=connection_type,
        )
    return await listing_connection(
        info, kind, keep, first=first, after=after, make=make, connection_type=connection_type
    )


async def one_document(
    info: Info, kind: DocumentKind, *, crm_id: str | None, erp_id: str | None
) -> Merged | None:
    """A document by the id of its CRM or ERP record (both: they must be of one document)."""
    if crm_id is None and erp_id is None:
        raise InvalidArgumentError("crmId", "give crmId or erpId")
    crm = party_key(info, "crm", crm_id, "crmId") if crm_id else None
    erp = party_key(info, "erp", erp_id, "erpId") if erp_id else None
    documents = info.context.loaders.documents
    side: SideName = "crm" if crm is not None else "erp"
    key = crm if crm is not None else erp
    assert key is not None
    found = await documents.found(info, documents.by_id(kind, side).load(key))
    if found is None or erp is None or crm is None:
        return found
    matches = (found.side_id("erp") or "").lower() == erp.lower()
    return found if matches else None

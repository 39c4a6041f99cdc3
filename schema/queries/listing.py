"""What the `accounts` and `customers` listings share: their arguments and their cursors.

A cursor carries the key of the last record read and which `coupled` filter produced it (the
filters walk different orders, so a cursor is only good for the listing that made it)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from strawberry import relay

from gateway.security.inputs import (
    MAX_SEARCH_LENGTH,
    InputRejectedError,
    record_id,
    require_plain_text,
)
from schema.errors import InvalidArgumentError
from schema.pagination import PageRequest, build_connection, encode_cursor

N = TypeVar("N", bound=relay.Node)


def search_text(search: str | None) -> str | None:
    """The search text, or None for no search; refused when it is not plain text."""
    if search is None:
        return None
    text = require_plain_text(search, "search", max_length=MAX_SEARCH_LENGTH)
    return text if text.strip() else None


def mode(coupled: bool | None) -> str:
    return "all" if coupled is None else ("coupled" if coupled else "uncoupled")


def after_key(page: PageRequest, coupled: bool | None, system: str) -> str | None:
    """The key a page resumes after, from a cursor of the same listing."""
    if page.after is None:
        return None
    key, made_by = page.after.get("k"), page.after.get("c")
    if made_by != mode(coupled):
        raise InvalidArgumentError("after", "comes from a listing with another `coupled` filter")
    try:
        return str(record_id(system, key, "after"))
    except InputRejectedError:
        raise InvalidArgumentError("after", "not a cursor this API returned") from None


def listing_connection(
    connection_type: type[relay.Connection[N]],
    nodes: Sequence[N],
    *,
    key_of: Callable[[N], str],
    coupled: bool | None,
    has_next: bool,
    end_key: str | None,
    resumed: bool,
) -> relay.Connection[N]:
    """The page's connection; its end cursor resumes after `end_key`, which may lie beyond
    the last node when rows were read and left out."""
    listing = mode(coupled)

    def cursor_of(node: N) -> dict[str, Any]:
        return {"k": key_of(node), "c": listing}

    connection = build_connection(
        connection_type,
        nodes,
        cursor_of=cursor_of,
        has_next_page=has_next,
        has_previous_page=resumed,
    )
    if has_next and end_key is not None:
        connection.page_info.end_cursor = encode_cursor({"k": end_key, "c": listing})
    return connection

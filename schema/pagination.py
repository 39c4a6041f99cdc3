"""Relay connections with opaque cursors and a maximum page size.

A cursor is our own opaque token (base64 of a small JSON document): clients pass it back as
`after` and never look inside. `first` above the maximum is refused, not silently clamped.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from strawberry import relay

from schema.errors import InvalidArgumentError

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200

T = TypeVar("T", bound=relay.Node)


@dataclass(frozen=True, slots=True)
class PageRequest:
    size: int
    after: dict[str, Any] | None


def encode_cursor(position: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(position)).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise InvalidArgumentError("after", "not a cursor this API returned") from None
    if not isinstance(decoded, dict):
        raise InvalidArgumentError("after", "not a cursor this API returned")
    return decoded


def page_request(
    first: int | None, after: str | None, *, maximum: int = MAX_PAGE_SIZE
) -> PageRequest:
    """Validate `first`/`after` before any backend is touched."""
    size = DEFAULT_PAGE_SIZE if first is None else first
    if size < 0:
        raise InvalidArgumentError("first", "must not be negative")
    if size > maximum:
        raise InvalidArgumentError("first", f"must be at most {maximum}")
    return PageRequest(size=size, after=decode_cursor(after) if after else None)


def build_connection(
    connection_type: type[relay.Connection[T]],
    nodes: Sequence[T],
    *,
    cursor_of: Callable[[T], dict[str, Any]],
    has_next_page: bool,
    has_previous_page: bool = False,
) -> relay.Connection[T]:
    """A connection over one page of nodes, each edge carrying its opaque cursor."""
    edges = [relay.Edge(node=node, cursor=encode_cursor(cursor_of(node))) for node in nodes]
    return connection_type(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=has_next_page,
            has_previous_page=has_previous_page,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )

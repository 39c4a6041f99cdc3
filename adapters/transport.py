"""A hook on every connector's HTTP traffic: the deployment may wrap the transport a connector
builds (to count, time or trace its requests) without the connector knowing what it does."""

from __future__ import annotations

from collections.abc import Callable

import httpx

TransportWrapper = Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport]


def client_transport(
    wrap: TransportWrapper | None, limits: httpx.Limits | None = None
) -> httpx.AsyncBaseTransport | None:
    """The transport for a connector's own client: httpx's default one (with `limits`),
    wrapped; None (httpx builds its default) when there is no wrapper."""
    if wrap is None:
        return None
    inner = httpx.AsyncHTTPTransport(limits=limits) if limits else httpx.AsyncHTTPTransport()
    return wrap(inner)

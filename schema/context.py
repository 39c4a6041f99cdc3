"""The per-request context every resolver receives as `info.context`."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.types import Info as StrawberryInfo

from gateway.auth.roles import Caller
from gateway.services import Services
from schema.loaders import Loaders


@dataclass
class Context:
    """Built fresh for each request (over WebSocket, for each connection): the caller's
    request, the shared services, and the request's DataLoaders, which must never outlive
    it."""

    request: Request | WebSocket
    response: Response | WebSocket
    services: Services
    caller: Caller | None = field(default=None)
    # What a WebSocket client sent in `connection_init` (None over HTTP).
    connection_params: dict[str, object] | None = field(default=None)

    @cached_property
    def loaders(self) -> Loaders:
        """The request's DataLoaders, made on first use."""
        return Loaders(self.services)

    def forget_loaded(self) -> None:
        """Drop what the DataLoaders cached: a subscription lives as long as its connection,
        and each of its answers must be read afresh."""
        self.__dict__.pop("loaders", None)


Info = StrawberryInfo[Context, None]

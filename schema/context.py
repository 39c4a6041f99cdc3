"""The per-request context every resolver receives as `info.context`."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from starlette.requests import Request
from starlette.responses import Response
from strawberry.types import Info as StrawberryInfo

from gateway.auth.roles import Caller
from gateway.services import Services
from schema.loaders import Loaders


@dataclass
class Context:
    """Built fresh for each request: the caller's request, the shared services, and (later)
    the request's DataLoaders, which must never outlive it."""

    request: Request
    response: Response
    services: Services
    caller: Caller | None = field(default=None)

    @cached_property
    def loaders(self) -> Loaders:
        """The request's DataLoaders, made on first use."""
        return Loaders(self.services)


Info = StrawberryInfo[Context, None]

"""A notification receiver served over TCP for sandbox tests: it records every request, echoes
Business Central's validation token when told to, and answers the status it is given."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from gateway.asgi_server import running_server


@dataclass(frozen=True)
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)


@dataclass
class Receiver:
    url: str = ""
    status: int = 200
    echo: bool = True
    requests: list[Received] = field(default_factory=list)

    @property
    def handshakes(self) -> list[Received]:
        return [r for r in self.requests if "validationToken" in r.query]

    @property
    def deliveries(self) -> list[Received]:
        return [r for r in self.requests if "validationToken" not in r.query]

    async def endpoint(self, request: Request) -> Response:
        received = Received(
            path=request.url.path,
            query=dict(request.query_params),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=await request.body(),
        )
        self.requests.append(received)
        token = received.query.get("validationToken")
        if token is not None:
            return PlainTextResponse(token if self.echo else "no", 200)
        return Response(status_code=self.status)


@contextlib.asynccontextmanager
async def serving_receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    app = Starlette(routes=[Route("/{path:path}", receiver.endpoint, methods=["POST"])])
    async with running_server(app) as url:
        receiver.url = f"{url}/hook"
        yield receiver

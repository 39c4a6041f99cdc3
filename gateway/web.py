"""The gateway's pages and their files: the operations console at /console, GraphiQL's page
(served by the GraphQL view at /graphql) and /static/, all from the package itself.

No page loads anything from elsewhere (the Content-Security-Policy allows only this origin): a
gateway on a network without internet serves them whole. The files are revalidated by ETag
(`no-cache`) rather than stored, and compressed when the browser accepts it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC = Path(__file__).parent / "static"
COMPRESS_FROM_BYTES = 1024


@cache
def graphiql_page() -> str:
    return (STATIC / "graphiql" / "index.html").read_text(encoding="utf-8")


async def console_page(request: Request) -> Response:
    return FileResponse(STATIC / "console" / "index.html", media_type="text/html")


class _Revalidated:
    """Static files may be kept by the browser, provided it asks again each time (a 304 costs
    no body): the default on our answers is `no-store`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_cached(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"cache-control", b"no-cache"),
                ]
            await send(message)

        await self.app(scope, receive, send_cached)


def web_routes() -> list[Route | Mount]:
    files = GZipMiddleware(
        _Revalidated(StaticFiles(directory=STATIC, follow_symlink=False)),
        minimum_size=COMPRESS_FROM_BYTES,
    )
    return [
        Route("/console", console_page, methods=["GET"]),
        Route("/console/", console_page, methods=["GET"]),
        Mount("/static", app=files, name="static"),
    ]

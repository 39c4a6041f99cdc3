"""Run an ASGI app with uvicorn inside the current event loop, for tests and benchmarks."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator

import uvicorn
from starlette.types import ASGIApp

from gateway.processes import free_port


class _EmbeddedServer(uvicorn.Server):
    """Leaves signal handling to the host process (pytest, the benchmark runner)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def running_server(
    app: ASGIApp, *, host: str = "127.0.0.1", port: int | None = None
) -> AsyncIterator[str]:
    """Serve `app` over real TCP until the block ends; yields its base URL."""
    port = port or free_port(host)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    server = _EmbeddedServer(config)
    task = asyncio.create_task(server.serve(), name=f"uvicorn:{port}")
    while not server.started:
        if task.done():
            task.result()  # re-raise why it stopped
            raise RuntimeError(f"server on port {port} stopped before it started")
        await asyncio.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        await task

"""The HTTP servers a scenario measures, each in a child process of its own: the gateway's API
(`python -m gateway serve`) and the hand-written baseline (`python -m bench.page_baseline`).
Both run one uvicorn process with the same settings, so they compete for the same cores."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Mapping

import httpx

from bench.environment import Environment, settings_env
from gateway.processes import ChildProcess, free_port


class NotReadyError(RuntimeError):
    """A server did not answer its health check in time."""


async def poll_until_ready(url: str, child: ChildProcess, *, timeout: float = 90.0) -> None:
    """Poll `url` until it answers 200, failing early if the child exited."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=5) as client:
        while True:
            if not child.running:
                raise NotReadyError(f"{child.name} exited:\n{child.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(url)).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise NotReadyError(f"{child.name} was not ready within {timeout}s")
            await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def served(
    environment: Environment,
    name: str,
    args: list[str],
    values: Mapping[str, str],
    health: str,
    *,
    port: int | None = None,
) -> AsyncIterator[str]:
    """Run `python <args> --port <port>` (a free one unless given) with the settings in its
    environment; yield its base URL once `health` answers."""
    port = port or free_port()
    child = environment.spawn_python(
        name, [*args, "--port", str(port)], env=settings_env(values), port=port
    )
    try:
        child.wait_listening(timeout=90)
        url = f"http://127.0.0.1:{port}"
        await poll_until_ready(f"{url}{health}", child)
        yield url
    finally:
        environment.stop(child)


def gateway_api(environment: Environment, values: Mapping[str, str]) -> AsyncIteratorContext:
    return served(environment, "gateway-api", ["-m", "gateway", "serve"], values, "/readyz")


def page_baseline(environment: Environment, values: Mapping[str, str]) -> AsyncIteratorContext:
    return served(environment, "page-baseline", ["-m", "bench.page_baseline"], values, "/healthz")


AsyncIteratorContext = contextlib.AbstractAsyncContextManager[str]

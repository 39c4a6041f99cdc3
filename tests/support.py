"""Helpers shared by tests: polling with deadlines instead of sleeping."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx
import pytest

T = TypeVar("T")


async def eventually(
    check: Callable[[], Awaitable[T | None]],
    *,
    timeout: float = 120.0,
    what: str = "it",
    interval: float = 0.05,
) -> T:
    """Poll `check` until it returns something truthy and return that, or fail the test."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout}s")
        await asyncio.sleep(interval)


def eventually_sync(
    check: Callable[[], T | None], *, timeout: float = 120.0, what: str = "it"
) -> T:
    """`eventually` for code outside an event loop (child processes started by the test)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout}s")
        time.sleep(0.1)


async def poll_readiness(
    url: str, *, until: str = "ready", timeout: float = 30.0
) -> httpx.Response:
    """Poll /readyz until its check `until` is ok ("ready": every check), or fail the test."""
    async with httpx.AsyncClient() as client:

        async def answered() -> httpx.Response | None:
            response = await client.get(f"{url}/readyz")
            body = response.json()
            done = body["status"] == "ready" if until == "ready" else body["checks"][until] == "ok"
            return response if done else None

        return await eventually(answered, timeout=timeout, what=f"/readyz reporting {until}")

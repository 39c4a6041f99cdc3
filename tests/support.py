"""Helpers shared by tests: polling with deadlines instead of sleeping."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest


async def poll_readiness(
    url: str, *, until: str = "ready", timeout: float = 30.0
) -> httpx.Response:
    """Poll /readyz until its check `until` is ok ("ready": every check), or fail the test."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as client:
        while True:
            response = await client.get(f"{url}/readyz")
            body = response.json()
            done = body["status"] == "ready" if until == "ready" else body["checks"][until] == "ok"
            if done:
                return response
            if time.monotonic() > deadline:
                pytest.fail(f"/readyz did not report {until} within {timeout}s: {body}")
            await asyncio.sleep(0.05)

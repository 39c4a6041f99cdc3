"""Liveness and readiness: is the process alive, and can it do its work right now."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from starlette.requests import Request
from starlette.responses import JSONResponse

from gateway.services import Services
from gateway.store import ping_mongo

CHECK_TIMEOUT_SECONDS = 2.0


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def _check(name: str, probe: Awaitable[object]) -> tuple[str, str]:
    try:
        await asyncio.wait_for(probe, CHECK_TIMEOUT_SECONDS)
    except TimeoutError:
        return name, f"no answer within {CHECK_TIMEOUT_SECONDS:g}s"
    except Exception as exc:  # a readiness probe reports every failure, it never raises
        return name, f"unreachable ({type(exc).__name__})"
    return name, "ok"


async def readyz(request: Request) -> JSONResponse:
    services: Services = request.state.services
    results = dict(
        await asyncio.gather(
            _check("mongodb", ping_mongo(services.db)),
            _check("redis", services.redis.ping()),
        )
    )
    if results["mongodb"] == "ok" and not services.store_ready.is_set():
        results["mongodb"] = "indexes not yet created"
    ready = all(state == "ok" for state in results.values())
    failing = [name for name, state in results.items() if state != "ok"]
    body: dict[str, object] = {"status": "ready" if ready else "unavailable", "checks": results}
    if failing:
        body["failing"] = failing
    return JSONResponse(body, status_code=200 if ready else 503)

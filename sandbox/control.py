"""The control plane under `/_sandbox/`: not part of Microsoft's APIs, no bearer token, and
answered only to clients on this machine. Shapes are documented in `sandbox/README.md`."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.bc.context import DEFAULT_COMPANY_ID
from sandbox.faults import FaultSettingsError, parse_settings
from sandbox.notify.settings import NotificationSettingsError, parse_notification_settings
from sandbox.seed.plan import SeedPlan, SeedPlanError
from sandbox.service import Sandbox

_LOCAL = frozenset({"127.0.0.1", "::1", "localhost", "testclient"})


def _json(status: int, body: Any) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


def _problem(status: int, message: str) -> Response:
    return _json(status, {"error": {"message": message}})


def _sandbox(request: Request) -> Sandbox:
    sandbox: Sandbox = request.app.state.sandbox
    return sandbox


async def _body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"the body is not valid JSON: {exc}") from None


def _guarded(handler: Any) -> Any:
    async def endpoint(request: Request) -> Response:
        client = request.client.host if request.client else ""
        if client not in _LOCAL:
            return _problem(403, "the sandbox control plane answers local clients only")
        try:
            result: Response = await handler(request)
        except (ValueError, FaultSettingsError, NotificationSettingsError, SeedPlanError) as exc:
            return _problem(400, str(exc))
        return result

    return endpoint


async def info(request: Request) -> Response:
    base = str(request.base_url)
    return _json(
        200,
        {
            "dataverse_url": f"{base}dataverse/",
            "dataverse_api": f"{base}dataverse/api/data/v9.2/",
            "bc_url": f"{base}bc/",
            "bc_api": f"{base}bc/api/v2.0/",
            "token_url": f"{base}oauth2/token",
            "company_id": DEFAULT_COMPANY_ID,
        },
    )


async def reset(request: Request) -> Response:
    await _sandbox(request).reset()
    return _json(200, {"status": "reset", "company_id": DEFAULT_COMPANY_ID})


async def seed(request: Request) -> Response:
    plan = SeedPlan.from_json(await _body(request))
    counts = await _sandbox(request).seed(plan)
    return _json(200, {"seed": plan.seed, "sizes": plan.sizes(), "written": counts})


async def faults(request: Request) -> Response:
    sandbox = _sandbox(request)
    if request.method == "PUT":
        sandbox.faults.configure(parse_settings(await _body(request)))
    elif request.method == "DELETE":
        sandbox.faults.clear()
    return _json(200, sandbox.faults.settings.to_json())


async def tokens(request: Request) -> Response:
    issuer = _sandbox(request).issuer
    if request.method == "PUT":
        body = await _body(request)
        if not isinstance(body, dict) or set(body) - {"lifetime_seconds", "expire_all"}:
            raise ValueError("the body may hold 'lifetime_seconds' and 'expire_all' only")
        lifetime = body.get("lifetime_seconds")
        if lifetime is not None:
            if isinstance(lifetime, bool) or not isinstance(lifetime, int) or lifetime < 1:
                raise ValueError("'lifetime_seconds' must be a positive integer")
            issuer.lifetime_seconds = lifetime
        if body.get("expire_all"):
            issuer.expire_all()
    return _json(200, {"lifetime_seconds": issuer.lifetime_seconds})


async def notifications(request: Request) -> Response:
    """The delivery switches (PUT replaces them, DELETE restores the defaults), what deliveries
    did since the last reset, and the live Business Central subscriptions."""
    sandbox = _sandbox(request)
    if request.method == "PUT":
        sandbox.configure_notifications(parse_notification_settings(await _body(request)))
    elif request.method == "DELETE":
        sandbox.configure_notifications(parse_notification_settings({}))
    return _json(
        200,
        {
            "settings": sandbox.notification_settings.to_json(),
            "deliveries": sandbox.outbox.stats.snapshot(),
            "pending": sandbox.outbox.pending,
            "bc_subscriptions": len(sandbox.bc_webhooks.subscriptions),
        },
    )


async def stats(request: Request) -> Response:
    return _json(200, _sandbox(request).stats.snapshot())


async def stats_reset(request: Request) -> Response:
    sandbox = _sandbox(request)
    sandbox.stats.reset()
    return _json(200, sandbox.stats.snapshot())


routes = [
    Route("/", _guarded(info), methods=["GET"]),
    Route("/reset", _guarded(reset), methods=["POST"]),
    Route("/seed", _guarded(seed), methods=["POST"]),
    Route("/faults", _guarded(faults), methods=["GET", "PUT", "DELETE"]),
    Route("/tokens", _guarded(tokens), methods=["GET", "PUT"]),
    Route("/notifications", _guarded(notifications), methods=["GET", "PUT", "DELETE"]),
    Route("/stats", _guarded(stats), methods=["GET"]),
    Route("/stats/reset", _guarded(stats_reset), methods=["POST"]),
]

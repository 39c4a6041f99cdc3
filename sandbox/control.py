"""The control plane under `/_sandbox/`: not part of Microsoft's APIs, no bearer token, and
answered only to clients on this machine. Shapes are documented in `sandbox/README.md`."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.bc import projects as bc_projects
from sandbox.bc.context import DEFAULT_COMPANY_ID, BusinessCentral
from sandbox.errors import ErrorKind, SandboxError
from sandbox.faults import FaultSettingsError, parse_settings
from sandbox.notify.settings import NotificationSettingsError, parse_notification_settings
from sandbox.projectserver.demo import DemoPlan
from sandbox.projectserver.state import User
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
        except SandboxError as exc:  # e.g. a project that does not exist or is checked out
            return _problem(404 if exc.kind is ErrorKind.NOT_FOUND else 409, exc.message)
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
            "projectserver_url": f"{base}projectserver/",
            "projectserver_api": f"{base}projectserver/_api/ProjectServer/",
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
        if not isinstance(body, dict) or set(body) - {"lifetime_seconds", "expire_all", "clients"}:
            raise ValueError(
                "the body may hold 'lifetime_seconds', 'expire_all' and 'clients' only"
            )
        clients = body.get("clients", {})
        if not isinstance(clients, dict) or not all(
            isinstance(key, str) and key and isinstance(value, str) and value
            for key, value in clients.items()
        ):
            raise ValueError("'clients' must map client ids to their secrets")
        lifetime = body.get("lifetime_seconds")
        if lifetime is not None:
            if isinstance(lifetime, bool) or not isinstance(lifetime, int) or lifetime < 1:
                raise ValueError("'lifetime_seconds' must be a positive integer")
            issuer.lifetime_seconds = lifetime
        if body.get("expire_all"):
            issuer.expire_all()
        issuer.more_clients.update(clients)
    return _json(
        200,
        {
            "lifetime_seconds": issuer.lifetime_seconds,
            "clients": sorted([issuer.client_id, *issuer.more_clients]),
        },
    )


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


async def bc_project_journal(request: Request) -> Response:
    """Post a project journal in Business Central: hours and expenses become ledger entries."""
    body = await _body(request)
    company = DEFAULT_COMPANY_ID
    if isinstance(body, dict) and body.get("companyId"):
        company = str(body.pop("companyId"))
    entries = await bc_projects.post_journal(
        BusinessCentral(_sandbox(request).bc_db), company, body
    )
    return _json(
        200,
        {
            "posted": [
                {
                    k: v
                    for k, v in entry.items()
                    if not k.startswith("_") and k != "lastModifiedDateTime"
                }
                | {"id": entry["_id"]}
                for entry in entries
            ]
        },
    )


async def projectserver_seed(request: Request) -> Response:
    body = await _body(request)
    known = {"projects", "tasks", "resources", "seed"}
    if not isinstance(body, dict) or set(body) - known:
        raise ValueError(f"the body may hold {', '.join(sorted(known))} only")
    for name, value in body.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"'{name}' must be a non-negative integer")
    if body.get("tasks", 3) < 3:
        raise ValueError("'tasks' must be at least 3 (a phase, a work package and a task)")
    written = await _sandbox(request).seed_projectserver(DemoPlan(**body))
    return _json(200, {"written": written})


async def projectserver_checkout(request: Request) -> Response:
    """Check a project out as a person in Project Server (not the API's client)."""
    body = await _body(request)
    email = body.get("user") if isinstance(body, dict) else None
    if not isinstance(email, str) or "@" not in email:
        raise ValueError("'user' must be the e-mail address of the person checking out")
    name = body.get("name")
    person = User.person(email, name if isinstance(name, str) and name else None)
    state = _sandbox(request).projectserver_state
    project = await state.check_out(request.path_params["project_id"].lower(), person)
    return _json(200, {"project": project["_id"], "checked_out_by": person.to_json()})


async def projectserver_checkin(request: Request) -> Response:
    """The person checks the project in again, dropping what they did not save."""
    state = _sandbox(request).projectserver_state
    project_id = request.path_params["project_id"].lower()
    await state.project(project_id)
    await state.release(project_id)
    return _json(200, {"project": project_id, "checked_out_by": None})


async def projectserver_queue(request: Request) -> Response:
    queue = _sandbox(request).projectserver_queue
    if request.method == "PUT":
        body = await _body(request)
        if not isinstance(body, dict) or not isinstance(body.get("paused"), bool):
            raise ValueError('the body must be {"paused": true|false}')
        queue.pause(body["paused"])
    return _json(200, {"paused": queue.paused})


routes = [
    Route("/", _guarded(info), methods=["GET"]),
    Route("/reset", _guarded(reset), methods=["POST"]),
    Route("/seed", _guarded(seed), methods=["POST"]),
    Route("/faults", _guarded(faults), methods=["GET", "PUT", "DELETE"]),
    Route("/tokens", _guarded(tokens), methods=["GET", "PUT"]),
    Route("/notifications", _guarded(notifications), methods=["GET", "PUT", "DELETE"]),
    Route("/stats", _guarded(stats), methods=["GET"]),
    Route("/stats/reset", _guarded(stats_reset), methods=["POST"]),
    Route("/bc/projectJournal", _guarded(bc_project_journal), methods=["POST"]),
    Route("/projectserver/seed", _guarded(projectserver_seed), methods=["POST"]),
    Route(
        "/projectserver/projects/{project_id}/checkout",
        _guarded(projectserver_checkout),
        methods=["POST"],
    ),
    Route(
        "/projectserver/projects/{project_id}/checkin",
        _guarded(projectserver_checkin),
        methods=["POST"],
    ),
    Route("/projectserver/queue", _guarded(projectserver_queue), methods=["GET", "PUT"]),
]

"""The sandbox as an ASGI application: `create_app(config)`.

Routes: `POST /oauth2/token`, `/dataverse/api/data/v9.2/…`, `/bc/api/v2.0/…`,
`/projectserver/_api/…` and the control plane under `/_sandbox/`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from sandbox import control
from sandbox.auth import token_endpoint
from sandbox.config import SandboxConfig
from sandbox.service import Sandbox

_METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE"]
_SHAREPOINT_METHODS = [*_METHODS, "MERGE"]


def create_app(config: SandboxConfig) -> Starlette:
    sandbox = Sandbox(config)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await sandbox.start()
        try:
            yield
        finally:
            await sandbox.close()

    async def token(request: Request) -> Response:
        fault = sandbox.faults.decide("token", request.client.host if request.client else "")
        sandbox.stats.record("token", "oauth2/token", request.method)
        if fault is not None:
            sandbox.stats.record_fault("token", fault.status)
            return Response(
                status_code=fault.status,
                headers=({"Retry-After": str(fault.retry_after)} if fault.retry_after else {}),
            )
        return await token_endpoint(request, sandbox.issuer)

    async def dataverse(request: Request) -> Response:
        return await sandbox.pipeline.serve(sandbox.dataverse, request)

    async def bc(request: Request) -> Response:
        return await sandbox.pipeline.serve(sandbox.bc, request)

    async def projectserver(request: Request) -> Response:
        return await sandbox.pipeline.serve(sandbox.projectserver, request)

    app = Starlette(
        routes=[
            Route("/oauth2/token", token, methods=["POST"]),
            Route("/{tenant}/oauth2/v2.0/token", token, methods=["POST"]),
            Route("/dataverse/api/data/v9.2/{path:path}", dataverse, methods=_METHODS),
            Route("/bc/api/v2.0/{path:path}", bc, methods=_METHODS),
            Route("/projectserver/_api/{path:path}", projectserver, methods=_SHAREPOINT_METHODS),
            Mount("/_sandbox", routes=control.routes),
        ],
        lifespan=lifespan,
    )
    app.state.sandbox = sandbox
    return app

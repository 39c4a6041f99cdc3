"""What every API request goes through before its handler: latency, bearer token, request
statistics, throttling and injected failures; then the handler, then the HTTP response."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from sandbox.auth import TokenIssuer
from sandbox.faults import Fault, Faults
from sandbox.http import ApiRequest, ApiResponse
from sandbox.stats import RequestStats


class ApiFlavour(Protocol):
    name: str  # "dataverse" / "bc": the key in faults and statistics
    prefix: str  # the API root below the sandbox's base URL, ending with "/"

    def unauthorized(self, base: str, reason: str) -> ApiResponse: ...

    def fault(self, fault: Fault) -> ApiResponse: ...

    def entity_set_of(self, path: str) -> str: ...

    async def handle(self, request: ApiRequest) -> ApiResponse: ...


@dataclass
class Pipeline:
    issuer: TokenIssuer
    faults: Faults
    stats: RequestStats

    async def serve(self, api: ApiFlavour, request: Request) -> Response:
        arrived = self.stats.started(api.name)
        status = 500
        try:
            response = await self._serve(api, request)
            status = response.status_code
            return response
        finally:
            self.stats.finished(api.name, arrived, status)

    async def _serve(self, api: ApiFlavour, request: Request) -> Response:
        delay = self.faults.latency(api.name)
        if delay:
            await asyncio.sleep(delay)
        base = str(request.base_url)
        path = request.path_params.get("path", "")
        self.stats.record(api.name, api.entity_set_of(path), request.method)
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return to_starlette(api.unauthorized(base, "missing"))
        claims, reason = self.issuer.verify(token.strip())
        if claims is None:
            return to_starlette(api.unauthorized(base, reason))
        client = str(claims.get("appid", ""))
        with self.stats.serving(api.name, client):
            return await self._handle(api, request, base, path, client)

    async def _handle(
        self, api: ApiFlavour, request: Request, base: str, path: str, client: str
    ) -> Response:
        fault = self.faults.decide(api.name, client)
        if fault is not None:
            self.stats.record_fault(api.name, fault.status)
            return to_starlette(api.fault(fault))
        api_request = ApiRequest(
            method=request.method,
            path=path,
            query=parse_qsl(request.url.query, keep_blank_values=True),
            headers=request.headers,
            body=await request.body(),
            root=base + api.prefix,
            client_id=client,
            operation_delay=self.faults.operation_latency(api.name),
        )
        return to_starlette(await api.handle(api_request))


def to_starlette(response: ApiResponse) -> Response:
    return Response(
        content=response.content(),
        status_code=response.status,
        headers=response.headers,
        media_type=response.media_type,
    )

"""Every HTTP request to an external system, counted, timed and traced.

The connectors (in `adapters/`, which know nothing of the gateway) accept a transport wrapper;
`gateway.connectors` passes this one. It sees each attempt, retries included, with the status
the system answered: 429 is throttling, `error` a request that got no answer (timeout, refused
connection).
"""

from __future__ import annotations

import time

import httpx
from opentelemetry import trace

from adapters.transport import TransportWrapper
from gateway.observability.metrics import BACKEND_DURATION, BACKEND_REQUESTS

tracer = trace.get_tracer("gateway.backend")
NO_ANSWER = "error"


class ObservedTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, *, system: str) -> None:
        self.inner = inner
        self.system = system

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        status = NO_ANSWER
        with tracer.start_as_current_span(
            f"{request.method} {self.system}",
            kind=trace.SpanKind.CLIENT,
            attributes={
                "http.request.method": request.method,
                "server.address": request.url.host,
                "url.path": request.url.path,
                "gateway.system": self.system,
            },
        ) as span:
            try:
                response = await self.inner.handle_async_request(request)
                status = str(response.status_code)
                span.set_attribute("http.response.status_code", response.status_code)
                if response.status_code >= 400:
                    span.set_status(trace.StatusCode.ERROR)
                return response
            finally:
                BACKEND_REQUESTS.labels(system=self.system, status=status).inc()
                BACKEND_DURATION.labels(system=self.system).observe(time.perf_counter() - started)

    async def aclose(self) -> None:
        await self.inner.aclose()


def observed(system: str) -> TransportWrapper:
    """The wrapper a connector's configuration takes: wraps its transport in ours."""

    def wrap(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        return ObservedTransport(inner, system=system)

    return wrap

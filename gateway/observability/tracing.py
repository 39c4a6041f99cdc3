"""OpenTelemetry traces: exported over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set,
and carried from the API into the arq jobs it queues.

One trace runs from a GraphQL mutation (its span: `schema.extensions.observability`) through
the job it queued to each backend request the job makes (`backend.ObservedTransport`). arq
passes a job only its arguments, and the job functions take no tracing argument, so the
context travels beside the job: `TracedArqRedis.enqueue_job` stores the W3C `traceparent` under
the job's id in Redis (for an hour) before queueing it, and the worker's `on_job_start` reads
it back and opens the job's span as its child. Without a configured SDK every span is a no-op
and nothing is written to Redis.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import uuid4

import orjson
from arq.connections import ArqRedis
from arq.jobs import Job
from opentelemetry import context, propagate, trace

from gateway.settings import Settings

log = logging.getLogger(__name__)

TRACE_KEY_SECONDS = 3600
tracer = trace.get_tracer("gateway.jobs")


def configure_tracing(settings: Settings, *, service: str) -> bool:
    """Install the OTLP exporter once per process when an endpoint is configured; True if
    traces are exported. The SDK is the optional `otel` extra."""
    endpoint = settings.otel_exporter_otlp_endpoint
    if sdk_installed():  # the tracer provider is process-wide by OpenTelemetry's design
        return True
    if endpoint is None:
        return False
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        log.warning(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set but the OpenTelemetry SDK is not installed: "
            "install the gateway with its `otel` extra"
        )
        return False
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    exporter = OTLPSpanExporter(endpoint=str(endpoint).rstrip("/") + "/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return True


def sdk_installed() -> bool:
    """Whether this process records spans (a provider of the SDK was set)."""
    return not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)


def trace_key(job_id: str) -> str:
    return f"gateway:trace:{job_id}"


class TracedArqRedis(ArqRedis):
    """arq's Redis client, leaving the caller's trace context for the job it queues."""

    async def enqueue_job(
        self, function: str, *args: Any, _job_id: str | None = None, **kwargs: Any
    ) -> Job | None:
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        if carrier:  # only when a span is being recorded
            _job_id = _job_id or uuid4().hex
            await self.set(trace_key(_job_id), orjson.dumps(carrier), ex=TRACE_KEY_SECONDS)
        return await super().enqueue_job(function, *args, _job_id=_job_id, **kwargs)


async def start_job_span(ctx: dict[str, Any]) -> None:
    """arq's `on_job_start`: the job's span, child of the span that queued it (if any)."""
    if not sdk_installed():
        return  # nothing to read, nothing to record
    parent = context.Context()
    stored = await ctx["redis"].get(trace_key(ctx["job_id"]))
    if stored:
        parent = propagate.extract(orjson.loads(stored))
    span = tracer.start_span(
        "arq job",
        context=parent,
        kind=trace.SpanKind.CONSUMER,
        attributes={"arq.job_id": ctx["job_id"], "arq.job_try": ctx.get("job_try") or 1},
    )
    ctx["_trace_span"] = span
    ctx["_trace_token"] = context.attach(trace.set_span_in_context(span))


async def end_job_span(ctx: dict[str, Any]) -> None:
    """arq's `on_job_end` (same task as `on_job_start`)."""
    token = ctx.pop("_trace_token", None)
    span = ctx.pop("_trace_span", None)
    if token is not None:
        context.detach(token)
    if span is not None:
        span.end()

"""Every operation counted, timed and traced: `gateway_graphql_requests_total` by operation
type and outcome, its duration, and a span that is the parent of whatever the operation does
(backend requests, the jobs it queues: see `gateway.observability.tracing`)."""

from __future__ import annotations

import time
from collections.abc import Iterator

from opentelemetry import trace
from strawberry.extensions import SchemaExtension

from gateway.observability.metrics import GRAPHQL_DURATION, GRAPHQL_REQUESTS

tracer = trace.get_tracer("gateway.graphql")
UNKNOWN = "unknown"  # the document did not parse: no operation type to tell


class OperationObserver(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        with tracer.start_as_current_span("graphql", kind=trace.SpanKind.SERVER) as span:
            yield
            context = self.execution_context
            try:
                operation_type = context.operation_type.value
            except Exception:  # no document: a parse failure
                operation_type = UNKNOWN
            result = context.result
            failed = bool(context.pre_execution_errors) or bool(result and result.errors)
            name = context.operation_name
            span.update_name(f"graphql {operation_type}" + (f" {name}" if name else ""))
            span.set_attribute("graphql.operation.type", operation_type)
            if name:
                span.set_attribute("graphql.operation.name", name)
            if failed:
                span.set_status(trace.StatusCode.ERROR)
        outcome = "error" if failed else "ok"
        GRAPHQL_REQUESTS.labels(operation_type=operation_type, outcome=outcome).inc()
        if operation_type != "subscription":  # a subscription lasts as long as its client
            GRAPHQL_DURATION.labels(operation_type=operation_type).observe(
                time.perf_counter() - started
            )

"""One trace from a GraphQL mutation through the arq job it queued to each backend request the
job made, with the mapping and the record counts on the job's span. Spans are collected by the
OpenTelemetry SDK's own in-memory exporter."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gateway.observability.tracing import sdk_installed
from gateway.settings import Settings
from tests.console.support import data
from tests.jobs.support import drain

START = """mutation Start($input: RunFullSynchronizationInput!) {
  runFullSynchronization(input: $input) { syncRun { id } userErrors { message } } }"""
EXPORTER = InMemorySpanExporter()


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """The process's tracer provider (set once: OpenTelemetry allows one per process)."""
    if not sdk_installed():
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
        trace.set_tracer_provider(provider)
    EXPORTER.clear()
    yield EXPORTER
    EXPORTER.clear()


def parent_chain(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[str]:
    names = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        names.append(span.name)
    return names


async def test_a_mutation_its_job_and_the_jobs_backend_requests_are_one_trace(
    spans: InMemorySpanExporter,
    console_settings: Settings,
    admin_api: httpx.AsyncClient,
) -> None:
    started = await data(admin_api, START, input={"mappings": ["CUSTOMER"]})
    assert started["runFullSynchronization"]["userErrors"] == []
    await drain(console_settings)

    finished = spans.get_finished_spans()
    mutation = next(s for s in finished if s.name == "graphql mutation Start")
    assert mutation.attributes is not None
    assert mutation.attributes["graphql.operation.type"] == "mutation"
    trace_id = mutation.context.trace_id
    in_trace = [s for s in finished if s.context.trace_id == trace_id]
    by_id = {s.context.span_id: s for s in in_trace}

    # The run's job, and any job it queued in turn (pages of a shared full synchronization).
    jobs = [s for s in in_trace if s.name == "arq job"]
    assert jobs
    assert [j for j in jobs if j.parent and j.parent.span_id == mutation.context.span_id]
    for job in jobs:
        assert "graphql mutation Start" in parent_chain(job, by_id)
    finished_run = next(j for j in jobs if j.attributes and "gateway.mapping" in j.attributes)
    attributes = finished_run.attributes
    assert attributes is not None
    assert attributes["gateway.mapping"] == "CUSTOMER"
    assert attributes["gateway.run.status"] == "SUCCEEDED"
    assert attributes["gateway.records.inserted"] + attributes["gateway.records.modified"] > 0

    requests = [s for s in in_trace if s.attributes and "gateway.system" in s.attributes]
    systems = {s.attributes["gateway.system"] for s in requests if s.attributes}
    assert systems == {"dataverse", "business_central"}
    for request in requests:
        assert "arq job" in parent_chain(request, by_id)
        assert request.attributes is not None
        assert "http.response.status_code" in request.attributes

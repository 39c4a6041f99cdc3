"""The gateway's Prometheus metrics.

Two kinds. What happens inside a process (GraphQL requests it answered, backend requests it
made, notifications it received) is counted in that process's registry. What the whole
deployment did (sync runs and their records, carried out by any worker) and where the job queue
stands are read at scrape time from Redis and MongoDB (see `run_metrics`), so that scraping any
one API replica shows them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from gateway.observability.run_metrics import labels_of

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

# Latencies from a cached query (a few ms) to a page that waits on a throttled backend.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

GRAPHQL_REQUESTS = Counter(
    "gateway_graphql_requests_total",
    "GraphQL operations answered, by operation type and outcome (ok, error).",
    ["operation_type", "outcome"],
    registry=REGISTRY,
)
GRAPHQL_DURATION = Histogram(
    "gateway_graphql_request_duration_seconds",
    "Time to answer one GraphQL operation, by operation type.",
    ["operation_type"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
BACKEND_REQUESTS = Counter(
    "gateway_backend_requests_total",
    "HTTP requests to the external systems, by system and status (429: throttled; error: "
    "no answer).",
    ["system", "status"],
    registry=REGISTRY,
)
BACKEND_DURATION = Histogram(
    "gateway_backend_request_duration_seconds",
    "Time to the response headers of one request to an external system.",
    ["system"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
NOTIFICATIONS_RECEIVED = Counter(
    "gateway_notifications_received_total",
    "Change notifications received from the external systems.",
    ["system"],
    registry=REGISTRY,
)


@dataclass(frozen=True, slots=True)
class QueueLag:
    mapping: str
    seconds: float


@dataclass(frozen=True, slots=True)
class DeploymentFigures:
    """What the scrape read from Redis and MongoDB."""

    runs: dict[bytes | str, bytes | str]
    records: dict[bytes | str, bytes | str]
    lags: Sequence[QueueLag]


class _Deployment(Collector):
    def __init__(self, figures: DeploymentFigures) -> None:
        self.figures = figures

    def collect(self) -> Iterable[Metric]:
        runs = CounterMetricFamily(
            "gateway_sync_runs",
            "Finished sync runs, by mapping, trigger and final status.",
            labels=["mapping", "trigger", "status"],
        )
        for field, value in self.figures.runs.items():
            runs.add_metric(labels_of(field), float(value))
        records = CounterMetricFamily(
            "gateway_sync_records",
            "Records of finished runs, by mapping, the mapping's direction and outcome "
            "(inserted, modified, unchanged, failed, ...).",
            labels=["mapping", "direction", "outcome"],
        )
        for field, value in self.figures.records.items():
            records.add_metric(labels_of(field), float(value))
        lag = GaugeMetricFamily(
            "gateway_job_queue_lag_seconds",
            "How long past its next run an active job queue entry is waiting (0: on time).",
            labels=["mapping"],
        )
        for item in self.figures.lags:
            lag.add_metric([item.mapping], item.seconds)
        return [runs, records, lag]


def queue_lag(mapping: str, next_run_at: datetime | None, now: datetime) -> QueueLag:
    if next_run_at is None:
        return QueueLag(mapping, 0.0)
    if next_run_at.tzinfo is None:
        next_run_at = next_run_at.replace(tzinfo=UTC)
    return QueueLag(mapping, max(0.0, (now - next_run_at).total_seconds()))


def serve_process_metrics(host: str, port: int) -> None:
    """This process's metrics over HTTP, from a thread (a worker has no web server of its
    own); the deployment's figures are the API's to serve."""
    start_http_server(port, addr=host, registry=REGISTRY)


def exposition(figures: DeploymentFigures) -> bytes:
    """The text format: this process's metrics, then the deployment's."""
    deployment = CollectorRegistry(auto_describe=True)
    deployment.register(_Deployment(figures))
    return generate_latest(REGISTRY) + generate_latest(deployment)

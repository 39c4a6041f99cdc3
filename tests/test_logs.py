"""Logs: one JSON object per line in production, a field per fact and the trace id of the
current span; human lines in dev."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from opentelemetry.sdk.trace import TracerProvider

from gateway.observability.logs import configure_logging
from gateway.settings import Settings


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_production_logs_are_json_lines_with_the_trace_id(
    restored_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(settings(gateway_env="production"))
    tracer = TracerProvider().get_tracer("test")  # a recording span, without a global provider
    with tracer.start_as_current_span("request") as span:
        logging.getLogger("gateway.test").warning(
            "run %s failed", "r1", extra={"mapping": "CUSTOMER", "failed": 3}
        )
        structlog.get_logger("gateway.test").info("run finished", mapping="CURRENCY", inserted=2)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line["event"] for line in lines] == ["run r1 failed", "run finished"]
    first, second = lines
    assert (first["level"], first["logger"], first["mapping"], first["failed"]) == (
        "warning",
        "gateway.test",
        "CUSTOMER",
        3,
    )
    assert (second["mapping"], second["inserted"]) == ("CURRENCY", 2)
    trace_id = format(span.get_span_context().trace_id, "032x")
    assert first["trace_id"] == second["trace_id"] == trace_id
    assert "timestamp" in first


def test_dev_logs_are_lines_for_people(
    restored_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(settings(gateway_env="dev"))
    logging.getLogger("gateway.test").info("worker started", extra={"queue": "arq"})
    line = capsys.readouterr().err.strip()
    assert "worker started" in line
    assert "queue" in line
    assert "arq" in line
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)

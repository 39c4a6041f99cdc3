"""Logs: JSON lines in production (one field per fact, the trace and span ids of the current
span included), human lines in dev, through structlog over the standard `logging` module, so
that the gateway's modules and its libraries (uvicorn, arq, httpx) come out alike.

Our modules keep logging with `logging.getLogger(__name__)`; facts passed as `extra={...}`
become fields of their own.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog
from opentelemetry import trace
from structlog.types import EventDict, Processor

from gateway.settings import Settings


def add_trace_ids(logger: Any, method: str, event: EventDict) -> EventDict:
    """`trace_id` and `span_id` of the span the line was written in, as OpenTelemetry
    prints them (hex), so that a line leads to its trace."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event["trace_id"] = format(context.trace_id, "032x")
        event["span_id"] = format(context.span_id, "016x")
    return event


def drop_duplicates(logger: Any, method: str, event: EventDict) -> EventDict:
    """uvicorn passes its message again, coloured, as an extra: one copy is enough."""
    event.pop("color_message", None)
    return event


def configure_logging(settings: Settings) -> None:
    level = settings.gateway_log_level.upper()
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        drop_duplicates,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_trace_ids,
    ]
    renderer: Processor
    if settings.log_format == "json":
        shared.append(structlog.processors.format_exc_info)
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )

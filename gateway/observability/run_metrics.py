"""What finished runs did, counted in Redis by the process that finished them.

Runs are carried out by workers, which are other processes (often other machines) than the API
that Prometheus scrapes. Rather than a metrics port per worker, the process that ends a run adds
its figures to two Redis hashes (one HINCRBY each, sent by the events publisher); every API
process reads both hashes at scrape time, so any replica reports the whole deployment's runs and
a worker that stops loses nothing it counted. Redis losing its data looks to Prometheus like a
counter reset, which it handles.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace

RUNS = "sync_runs"
RECORDS = "sync_records"
SEPARATOR = "\x1f"  # between label values in a hash field; never in a mapping's name


@dataclass(frozen=True, slots=True)
class Increment:
    """HINCRBY `<namespace>:metrics:<name>` `field` `amount`."""

    name: str
    field: str
    amount: int


SEVERAL = "(several)"  # a full synchronization of many mappings: its records are not split


def mapping_label(doc: Mapping[str, Any]) -> str:
    """The run's mapping; one label for runs over several, so that the combinations of
    mappings do not each make a series of their own."""
    mappings = doc.get("mappings") or [doc.get("mapping")]
    return str(mappings[0] or "") if len(mappings) == 1 else SEVERAL


def increments(doc: Mapping[str, Any]) -> list[Increment]:
    """What one finished run adds: one run, and its records by outcome."""
    mapping = mapping_label(doc)
    found = [Increment(RUNS, _field(mapping, str(doc.get("trigger")), str(doc.get("status"))), 1)]
    direction = str(doc.get("direction") or "")
    # A run over several mappings keeps each one's counters apart: count them under its name.
    by_mapping = doc.get("by_mapping") or {mapping: doc.get("counters") or {}}
    for name, counters in sorted(by_mapping.items()):
        for outcome, value in sorted((counters or {}).items()):
            amount = int(value or 0)
            if amount:
                found.append(Increment(RECORDS, _field(name, direction, outcome), amount))
    return found


def annotate_span(doc: Mapping[str, Any]) -> None:
    """The run's mapping and figures on the current span (the job's, in a worker)."""
    span = trace.get_current_span()
    if not span.is_recording():
        return
    counters = doc.get("counters") or {}
    span.set_attributes(
        {
            "gateway.run.id": str(doc.get("_id")),
            "gateway.mapping": str(doc.get("mapping") or ""),
            "gateway.run.status": str(doc.get("status")),
            **{f"gateway.records.{name}": int(value or 0) for name, value in counters.items()},
        }
    )


def _field(*labels: str) -> str:
    return SEPARATOR.join(labels)


def labels_of(field: bytes | str) -> list[str]:
    text = field.decode() if isinstance(field, bytes) else field
    return text.split(SEPARATOR)


def metrics_key(namespace: str, name: str) -> str:
    return f"{namespace}:metrics:{name}"

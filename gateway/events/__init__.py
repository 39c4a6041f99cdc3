"""Change events of sync runs, sync errors and job queue entries, published through Redis so
that an update made by any process (a worker, another API replica) reaches the subscriptions of
every API process.

The store calls the functions below right after its writes, one line each. They only hand the
event to this process's publisher, which sends it in the background: a store write never waits
on Redis, and a Redis outage costs live updates only (subscriptions re-read on a timer). A
database whose process registered no publisher (a script, a repository a test builds) publishes
nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from pymongo.asynchronous.database import AsyncDatabase

from gateway.events.model import JOB_QUEUE_ENTRY, SYNC_ERROR, SYNC_RUN, Event, channel_name
from gateway.events.publisher import EventPublisher
from gateway.observability import run_metrics

Document = dict[str, Any]

_PUBLISHERS: dict[int, EventPublisher] = {}


class _Failure(Protocol):
    @property
    def mapping(self) -> str: ...


def attach(db: AsyncDatabase[Document], publisher: EventPublisher) -> None:
    """Publish the events of `db`'s writes made in this process through `publisher`."""
    _PUBLISHERS[id(db)] = publisher


def detach(db: AsyncDatabase[Document]) -> None:
    _PUBLISHERS.pop(id(db), None)


def _post(db: AsyncDatabase[Document], event: Event) -> EventPublisher | None:
    publisher = _PUBLISHERS.get(id(db))
    if publisher is not None:
        publisher.post(event)
    return publisher


def sync_run_changed(db: AsyncDatabase[Document], run_id: str, mapping: str | None = None) -> None:
    _post(db, Event(SYNC_RUN, run_id, mapping))


def sync_run_finished(db: AsyncDatabase[Document], doc: Document | None) -> None:
    """A run ended: its event, what it did for the metrics, and its figures on the trace."""
    if doc is None:
        return
    run_metrics.annotate_span(doc)
    publisher = _post(db, Event(SYNC_RUN, str(doc["_id"]), doc.get("mapping")))
    if publisher is not None:
        publisher.count(run_metrics.increments(doc))


def sync_errors_added(
    db: AsyncDatabase[Document],
    failures: Sequence[_Failure],
    upserted: Mapping[int, Any] | None,
) -> None:
    """Errors of records that had none (`upserted`: position in `failures` → new id)."""
    for position, error_id in (upserted or {}).items():
        _post(db, Event(SYNC_ERROR, str(error_id), failures[position].mapping))


def job_queue_entry_changed(db: AsyncDatabase[Document], mapping: str) -> None:
    _post(db, Event(JOB_QUEUE_ENTRY, mapping, mapping))


__all__ = [
    "JOB_QUEUE_ENTRY",
    "SYNC_ERROR",
    "SYNC_RUN",
    "Event",
    "EventPublisher",
    "attach",
    "channel_name",
    "detach",
    "job_queue_entry_changed",
    "sync_errors_added",
    "sync_run_changed",
    "sync_run_finished",
]

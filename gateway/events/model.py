"""What travels on the events channel: which object changed, never the object itself.

A subscriber reads the object from MongoDB when told, so an event can never be stale or carry
more than the subscriber may see, and a burst of progress updates costs one read."""

from __future__ import annotations

from dataclasses import dataclass

import orjson

SYNC_RUN = "sync_run"
SYNC_ERROR = "sync_error"
JOB_QUEUE_ENTRY = "job_queue_entry"
KINDS = frozenset({SYNC_RUN, SYNC_ERROR, JOB_QUEUE_ENTRY})


def namespace(database: str) -> str:
    """Redis keys and channels per database: deployments (and tests) sharing a Redis stay
    apart."""
    return f"gateway:{database}"


def channel_name(database: str) -> str:
    return f"{namespace(database)}:events"


@dataclass(frozen=True, slots=True)
class Event:
    kind: str
    id: str  # a run's or an error's id; an entry's mapping
    mapping: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.id)

    def encode(self) -> bytes:
        return orjson.dumps({"kind": self.kind, "id": self.id, "mapping": self.mapping})

    @classmethod
    def decode(cls, data: bytes | str) -> Event | None:
        """The event, or None for anything that is not one of ours."""
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(value, dict) or value.get("kind") not in KINDS:
            return None
        ident, mapping = value.get("id"), value.get("mapping")
        if not isinstance(ident, str) or not (mapping is None or isinstance(mapping, str)):
            return None
        return cls(value["kind"], ident, mapping)

"""The integration log: an append-only record of every mutation call and of every write the
gateway makes on either side. This module is the one way in and out of its collection.

A document reads `{at, kind, actor, operation, target: {system, entity, id}, details, result:
{status, codes, message}, duration_ms}`: `kind` says what wrote it (a `mutation` call, a sync
`write`, ...), `actor` who (an API key's name, a job), `operation` what (`couple`, `update`),
`target` which record, `result` how it went. Entries are listed newest first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from gateway.types import Document

COLLECTION = "integration_log"
_OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")


def _now() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class EntryKind(StrEnum):
    MUTATION = "mutation"  # a GraphQL mutation call
    WRITE = "write"  # a record created, changed or deleted on either side
    NOTIFICATION = "notification"  # a change notification refused, or a subscription's fate


class ResultStatus(StrEnum):
    STARTED = "started"  # recorded before the call runs; the call has not answered (yet)
    OK = "ok"
    USER_ERRORS = "user_errors"  # refused as expected; `codes` says why
    ERROR = "error"  # failed; `codes` says how (FORBIDDEN, INTERNAL, a connector's class)


@dataclass(frozen=True, slots=True)
class Target:
    system: str | None = None
    entity: str | None = None
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    status: ResultStatus
    codes: tuple[str, ...] = ()
    message: str | None = None


@dataclass(frozen=True, slots=True)
class LogEntry:
    kind: str
    actor: str
    operation: str
    result: Outcome
    target: Target | None = None
    details: dict[str, Any] = field(default_factory=dict)
    duration_ms: float | None = None
    at: datetime = field(default_factory=_now)
    id: str | None = None  # given by the store

    def to_document(self) -> Document:
        return {
            "at": self.at,
            "kind": str(self.kind),
            "actor": self.actor,
            "operation": self.operation,
            "target": None
            if self.target is None
            else {"system": self.target.system, "entity": self.target.entity, "id": self.target.id},
            "details": self.details,
            "result": {
                "status": self.result.status.value,
                "codes": list(self.result.codes),
                "message": self.result.message,
            },
            "duration_ms": self.duration_ms,
        }

    @classmethod
    def from_document(cls, document: Document) -> LogEntry:
        target = document.get("target")
        result = document.get("result") or {}
        return cls(
            id=str(document["_id"]),
            at=document["at"],
            kind=document["kind"],
            actor=document.get("actor", ""),
            operation=document.get("operation", ""),
            target=None if target is None else Target(**target),
            details=document.get("details") or {},
            result=Outcome(
                status=ResultStatus(result.get("status", ResultStatus.OK)),
                codes=tuple(result.get("codes") or ()),
                message=result.get("message"),
            ),
            duration_ms=document.get("duration_ms"),
        )


@dataclass(frozen=True, slots=True)
class LogFilter:
    """Which entries to list; every condition given must hold. `record_id` finds a record's
    history: the writes to it, the couplings it was in, the calls that named it."""

    operation: str | None = None
    mapping: str | None = None
    record_id: str | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def query(self) -> Document:
        query: Document = {}
        if self.operation is not None:
            query["operation"] = self.operation
        if self.mapping is not None:
            query["details.mapping"] = self.mapping
        if self.actor is not None:
            query["actor"] = self.actor
        if self.record_id is not None:
            query["$or"] = [
                {"target.id": self.record_id},
                {"details.erp_id": self.record_id},
                {"details.crm_id": self.record_id},
            ]
        moments: Document = {}
        if self.since is not None:
            moments["$gte"] = self.since
        if self.until is not None:
            moments["$lt"] = self.until
        if moments:
            query["at"] = moments
        return query


class IntegrationLog:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection: AsyncCollection[Document] = db[COLLECTION]

    async def append(self, entry: LogEntry) -> str:
        """Store one entry; returns its id."""
        result = await self._collection.insert_one(entry.to_document())
        return str(result.inserted_id)

    async def finish(self, entry_id: str, result: Outcome, duration_ms: float) -> None:
        """Record how a call that was logged before it ran has ended."""
        await self._collection.update_one(
            {"_id": ObjectId(entry_id)},
            {
                "$set": {
                    "result": {
                        "status": result.status.value,
                        "codes": list(result.codes),
                        "message": result.message,
                    },
                    "duration_ms": duration_ms,
                }
            },
        )

    async def append_many(self, entries: Iterable[LogEntry]) -> list[str]:
        """Store entries in one round trip (a sync batch's writes), in their order."""
        documents = [entry.to_document() for entry in entries]
        if not documents:
            return []
        result = await self._collection.insert_many(documents, ordered=True)
        return [str(inserted) for inserted in result.inserted_ids]

    async def page(
        self, after: str | None, size: int, where: LogFilter | None = None
    ) -> tuple[list[LogEntry], bool]:
        """Up to `size` entries older than the entry `after` (newest first), and whether more
        follow. Ordered by id, which grows with insertion time, so that paging uses the
        collection's own `_id` index and never sorts."""
        query: Document = where.query() if where is not None else {}
        if after is not None:
            after_id = _object_id(after)
            if after_id is None:
                raise ValueError("after: not an integration log entry id")
            query["_id"] = {"$lt": after_id}
        cursor = self._collection.find(query).sort("_id", -1).limit(size + 1)
        documents = await cursor.to_list(size + 1)
        return [LogEntry.from_document(d) for d in documents[:size]], len(documents) > size

    async def get_many(self, ids: Sequence[str]) -> list[LogEntry | None]:
        """Entries by id, in the order asked; None where there is none."""
        valid = [oid for oid in map(_object_id, ids) if oid is not None]
        found = {
            str(document["_id"]): LogEntry.from_document(document)
            async for document in self._collection.find({"_id": {"$in": valid}})
        }
        return [found.get(i) for i in ids]


def _object_id(text: str) -> ObjectId | None:
    """Only the 24 hex digits we hand out; never bytes or other shapes `ObjectId` accepts."""
    return ObjectId(text) if _OBJECT_ID.fullmatch(text) else None

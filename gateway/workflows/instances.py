"""Workflow instances: the recorded run of one cross-system lifecycle operation.

A document of `workflow_instances` reads `{key, base_key, generation, operation, input, actor,
status, steps: [{name, status, result, started_at, ended_at, attempts, error}], created,
documents, message, code, owner, lease_until, created_at, updated_at, ended_at}`.

- `key` (unique) is `base_key#generation`; `base_key` is derived from the operation and its
  input, so a repeated call finds the instance instead of starting another. A transition that
  may legitimately happen again to the same document (a quote submitted, rejected, submitted
  again) starts the next generation.
- Each step is recorded as started, then as done with its result, before the next one starts;
  `created` holds the ids of what the steps created.
- `owner` and `lease_until` say which process runs the instance and until when; a RUNNING
  instance whose lease expired was interrupted and is resumed by the worker. Every write of a
  step is conditional on still owning the instance, so two processes never both run it.

This module is the one way in and out of the collection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from gateway.types import Document

COLLECTION = "workflow_instances"
_OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")


def _now() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class WorkflowStatus(StrEnum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class StepStatus(StrEnum):
    RUNNING = "RUNNING"  # started; a crash left it here if it is not the current owner's
    DONE = "DONE"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class StepRecord:
    name: str
    status: StepStatus
    result: dict[str, Any] | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    attempts: int = 1
    error: str | None = None

    def to_doc(self) -> Document:
        return {
            "name": self.name,
            "status": self.status.value,
            "result": self.result,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "attempts": self.attempts,
            "error": self.error,
        }

    @classmethod
    def from_doc(cls, doc: Document) -> StepRecord:
        return cls(
            name=doc["name"],
            status=StepStatus(doc["status"]),
            result=doc.get("result"),
            started_at=doc.get("started_at"),
            ended_at=doc.get("ended_at"),
            attempts=int(doc.get("attempts") or 1),
            error=doc.get("error"),
        )


@dataclass(frozen=True, slots=True)
class WorkflowInstance:
    key: str
    base_key: str
    generation: int
    operation: str
    input: dict[str, Any]
    actor: str
    status: WorkflowStatus = WorkflowStatus.RUNNING
    steps: list[StepRecord] = field(default_factory=list)
    created: dict[str, str] = field(default_factory=dict)
    documents: dict[str, Any] = field(default_factory=dict)
    message: str | None = None
    code: str | None = None
    owner: str | None = None
    lease_until: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    ended_at: datetime | None = None
    id: str | None = None

    def step(self, index: int) -> StepRecord | None:
        return self.steps[index] if index < len(self.steps) else None

    @property
    def lease_expired(self) -> bool:
        return self.lease_until is None or self.lease_until <= datetime.now(UTC)

    def to_doc(self) -> Document:
        return {
            "key": self.key,
            "base_key": self.base_key,
            "generation": self.generation,
            "operation": self.operation,
            "input": self.input,
            "actor": self.actor,
            "status": self.status.value,
            "steps": [step.to_doc() for step in self.steps],
            "created": self.created,
            "documents": self.documents,
            "message": self.message,
            "code": self.code,
            "owner": self.owner,
            "lease_until": self.lease_until,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "ended_at": self.ended_at,
        }

    @classmethod
    def from_doc(cls, doc: Document) -> WorkflowInstance:
        return cls(
            id=str(doc["_id"]),
            key=doc["key"],
            base_key=doc["base_key"],
            generation=int(doc["generation"]),
            operation=doc["operation"],
            input=doc.get("input") or {},
            actor=doc.get("actor") or "",
            status=WorkflowStatus(doc["status"]),
            steps=[StepRecord.from_doc(step) for step in doc.get("steps") or []],
            created=doc.get("created") or {},
            documents=doc.get("documents") or {},
            message=doc.get("message"),
            code=doc.get("code"),
            owner=doc.get("owner"),
            lease_until=_aware(doc.get("lease_until")),
            created_at=doc.get("created_at"),
            updated_at=doc.get("updated_at"),
            ended_at=doc.get("ended_at"),
        )


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


class LeaseLostError(Exception):
    """Another process took the instance over (our lease expired): stop at once."""


class WorkflowStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection: AsyncCollection[Document] = db[COLLECTION]

    async def insert(self, instance: WorkflowInstance) -> WorkflowInstance | None:
        """Store a new instance; None when one with the same key exists already."""
        now = _now()
        doc = instance.to_doc() | {"created_at": now, "updated_at": now}
        try:
            result = await self._collection.insert_one(doc)
        except DuplicateKeyError:
            return None
        doc["_id"] = result.inserted_id
        return WorkflowInstance.from_doc(doc)

    async def get(self, instance_id: str) -> WorkflowInstance | None:
        oid = _object_id(instance_id)
        if oid is None:
            return None
        doc = await self._collection.find_one({"_id": oid})
        return WorkflowInstance.from_doc(doc) if doc else None

    async def by_key(self, key: str) -> WorkflowInstance | None:
        doc = await self._collection.find_one({"key": key})
        return WorkflowInstance.from_doc(doc) if doc else None

    async def latest(self, base_key: str) -> WorkflowInstance | None:
        """The newest generation of an operation on its input."""
        doc = await self._collection.find_one({"base_key": base_key}, sort=[("generation", -1)])
        return WorkflowInstance.from_doc(doc) if doc else None

    async def claim(
        self, instance_id: str, owner: str, *, seconds: float, only_if_expired: bool = True
    ) -> WorkflowInstance | None:
        """Take over an unfinished instance (RUNNING with an expired lease, or FAILED);
        None when another process holds it or it has succeeded meanwhile."""
        now = datetime.now(UTC)
        free: list[Document] = [
            {"status": WorkflowStatus.RUNNING.value, "lease_until": {"$lte": now}},
            {"status": WorkflowStatus.FAILED.value},
            {"owner": owner, "status": WorkflowStatus.RUNNING.value},
        ]
        if not only_if_expired:
            free.append({"status": WorkflowStatus.RUNNING.value})
        doc = await self._collection.find_one_and_update(
            {"_id": ObjectId(instance_id), "$or": free},
            {
                "$set": {
                    "owner": owner,
                    "lease_until": now + timedelta(seconds=seconds),
                    "status": WorkflowStatus.RUNNING.value,
                    "message": None,
                    "code": None,
                    "ended_at": None,
                    "updated_at": _now(),
                }
            },
            return_document=ReturnDocument.AFTER,
        )
        return WorkflowInstance.from_doc(doc) if doc else None

    async def step_started(
        self, instance: WorkflowInstance, index: int, name: str, *, seconds: float
    ) -> None:
        """Record that step `index` begins (again, after a crash: one attempt more)."""
        previous = instance.step(index)
        record = StepRecord(
            name=name,
            status=StepStatus.RUNNING,
            started_at=_now(),
            attempts=(previous.attempts + 1) if previous is not None else 1,
        )
        await self._owned_update(
            instance,
            {
                "$set": {
                    f"steps.{index}": record.to_doc(),
                    "lease_until": datetime.now(UTC) + timedelta(seconds=seconds),
                    "updated_at": _now(),
                }
            },
        )
        if previous is None:
            instance.steps.append(record)
        else:
            instance.steps[index] = record

    async def step_done(
        self,
        instance: WorkflowInstance,
        index: int,
        result: dict[str, Any],
        *,
        created: dict[str, str] | None = None,
        seconds: float,
    ) -> None:
        step = instance.steps[index]
        done = StepRecord(
            name=step.name,
            status=StepStatus.DONE,
            result=result,
            started_at=step.started_at,
            ended_at=_now(),
            attempts=step.attempts,
        )
        changes: Document = {
            f"steps.{index}": done.to_doc(),
            "lease_until": datetime.now(UTC) + timedelta(seconds=seconds),
            "updated_at": _now(),
        }
        for name, made in (created or {}).items():
            changes[f"created.{name}"] = made
            instance.created[name] = made
        await self._owned_update(instance, {"$set": changes})
        instance.steps[index] = done

    async def step_failed(self, instance: WorkflowInstance, index: int, error: str) -> None:
        step = instance.steps[index]
        failed = StepRecord(
            name=step.name,
            status=StepStatus.FAILED,
            started_at=step.started_at,
            ended_at=_now(),
            attempts=step.attempts,
            error=error,
        )
        await self._owned_update(
            instance, {"$set": {f"steps.{index}": failed.to_doc(), "updated_at": _now()}}
        )
        instance.steps[index] = failed

    async def finish(
        self,
        instance: WorkflowInstance,
        status: WorkflowStatus,
        *,
        documents: dict[str, Any] | None = None,
        message: str | None = None,
        code: str | None = None,
    ) -> WorkflowInstance:
        now = _now()
        changes: Document = {
            "status": status.value,
            "message": message,
            "code": code,
            "owner": None,
            "lease_until": None,
            "updated_at": now,
            "ended_at": now,
        }
        if documents is not None:
            changes["documents"] = documents
        await self._owned_update(instance, {"$set": changes})
        found = await self.get(instance.id or "")
        assert found is not None
        return found

    async def release(
        self, instance: WorkflowInstance, *, message: str, code: str
    ) -> WorkflowInstance:
        """Leave the instance RUNNING for the worker to resume, lease expired at once."""
        await self._owned_update(
            instance,
            {
                "$set": {
                    "lease_until": datetime.now(UTC),
                    "message": message,
                    "code": code,
                    "updated_at": _now(),
                }
            },
        )
        found = await self.get(instance.id or "")
        assert found is not None
        return found

    async def stale(self, *, limit: int) -> list[WorkflowInstance]:
        """RUNNING instances whose lease expired, oldest first: interrupted runs to resume."""
        cursor = (
            self._collection.find(
                {
                    "status": WorkflowStatus.RUNNING.value,
                    "lease_until": {"$lte": datetime.now(UTC)},
                }
            )
            .sort("lease_until", 1)
            .limit(limit)
        )
        return [WorkflowInstance.from_doc(doc) async for doc in cursor]

    async def running_on(self, field: str, ids: list[str]) -> set[str]:
        """Of `ids`, those that the input of a RUNNING instance names in `field`: documents
        with work under way."""
        if not ids:
            return set()
        cursor = self._collection.find(
            {"status": WorkflowStatus.RUNNING.value, f"input.{field}": {"$in": ids}},
            {f"input.{field}": 1},
        )
        return {str(doc["input"][field]) async for doc in cursor}

    async def page(
        self,
        *,
        after: str | None,
        size: int,
        operation: str | None = None,
        status: WorkflowStatus | None = None,
    ) -> tuple[list[WorkflowInstance], bool]:
        """Newest first, by id; and whether more follow."""
        query: Document = {}
        if operation is not None:
            query["operation"] = operation
        if status is not None:
            query["status"] = status.value
        if after is not None:
            oid = _object_id(after)
            if oid is None:
                raise ValueError("after: not a workflow instance id")
            query["_id"] = {"$lt": oid}
        cursor = self._collection.find(query).sort("_id", -1).limit(size + 1)
        docs = await cursor.to_list(size + 1)
        return [WorkflowInstance.from_doc(d) for d in docs[:size]], len(docs) > size

    async def _owned_update(self, instance: WorkflowInstance, update: Document) -> None:
        result = await self._collection.update_one(
            {"_id": ObjectId(instance.id), "owner": instance.owner}, update
        )
        if result.matched_count != 1:
            raise LeaseLostError(f"workflow {instance.key} was taken over by another process")


def _object_id(text: str) -> ObjectId | None:
    return ObjectId(text) if _OBJECT_ID.fullmatch(text) else None

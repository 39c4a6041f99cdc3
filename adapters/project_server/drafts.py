"""Writing one project's tasks, assignments and header through its draft.

Per project and batch: one check-out, every change in the draft (only fields that differ
from the draft are sent), then one `Draft/publish(true)` whose queue job is polled to its
end. A project left checked out to us by a run that crashed is recovered with a forced
check-in first (what was not saved is dropped, and re-applied by this batch); one checked
out to someone else fails the batch's operations with `LockedError`.

Creating is idempotent: a task created with an `Id` that the draft already has (or, without
an `Id`, with an `ERP Activity Number` whose derived id it has) is updated instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters.base import Create, Delete, Operation, OperationResult, Record, Update
from adapters.errors import ConnectorError, NotFoundError, ValidationError
from adapters.odata.query import parse_datetime
from adapters.project_server.entities import ACTIVITY_KEY, ASSIGNMENT, PROJECT, TASK
from adapters.project_server.session import (
    CHECKED_OUT_IN_OTHER_SESSION,
    CHECKED_OUT_TO_OTHER,
    CustomField,
    Session,
    is_refusal,
    locked,
    values,
)

Json = dict[str, Any]
ID_NAMESPACE = uuid.UUID("8f0b7a52-3c1e-4f8e-9a55-6f0d2a7c1e01")
_TASK_PROPERTIES = (
    "Name",
    "Notes",
    "Start",
    "Finish",
    "Duration",
    "PercentComplete",
    "IsMilestone",
)


def derived_id(*parts: str) -> str:
    """A stable id from what identifies a record in the other system."""
    return str(uuid.uuid5(ID_NAMESPACE, "/".join(parts)))


def task_id(project_id: str, values: Mapping[str, Any]) -> str:
    if values.get("Id"):
        return str(values["Id"]).lower()
    if values.get(ACTIVITY_KEY):
        return derived_id(project_id, "task", str(values[ACTIVITY_KEY]))
    return str(uuid.uuid4())


def wire(name: str, value: Any) -> Any:
    """A record value as Project Server's REST API takes it."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat() if value.tzinfo is None else value.isoformat()
    if name == "Duration" and isinstance(value, int | float):
        return f"{value:g}d"
    if name == "Work" and isinstance(value, int | float):
        return f"{value:g}h"
    if name == "PercentComplete" and isinstance(value, float):
        return round(value)
    return value


def same(before: Any, after: Any) -> bool:
    if isinstance(before, str) and isinstance(after, str | datetime):
        left, right = (
            parse_datetime(before),
            (after if isinstance(after, datetime) else parse_datetime(after)),
        )
        if left is not None and right is not None:
            return left == right
    if isinstance(before, int | float) and isinstance(after, int | float):
        return abs(float(before) - float(after)) < 1e-9
    return bool(before == after)


@dataclass(frozen=True, slots=True)
class Item:
    index: int
    operation: Operation


class ProjectDraft:
    """The changes of one batch to one project."""

    def __init__(
        self, session: Session, project_id: str, fields: Mapping[str, CustomField], system: str
    ) -> None:
        self.session = session
        self.project_id = project_id
        self.fields = fields
        self.system = system
        self.base = f"ProjectServer/Projects('{project_id}')"
        self.tasks: dict[str, Json] = {}
        self.assignments: dict[tuple[str, str], Json] = {}
        self.wrote = False

    async def apply(self, items: Sequence[Item]) -> dict[int, OperationResult]:
        results: dict[int, OperationResult] = {}
        try:
            await self._check_out()
        except ConnectorError as error:
            return {i.index: OperationResult(i.operation, error=error) for i in items}
        await self._read_draft()
        for item in _ordered(items, self.tasks):
            try:
                record = await self._one(item.operation)
            except ConnectorError as error:
                results[item.index] = OperationResult(item.operation, error=error)
            else:
                results[item.index] = OperationResult(item.operation, record=record)
        try:
            await self._close()
        except ConnectorError as error:
            return {
                i: OperationResult(r.operation, error=r.error or error) for i, r in results.items()
            }
        return results

    async def _check_out(self) -> None:
        doing = f"check out project {self.project_id}"
        try:
            await self.session.write("POST", f"{self.base}/checkOut()", doing=doing)
        except ValidationError as error:
            if is_refusal(error, CHECKED_OUT_TO_OTHER):
                raise locked(error, self.project_id, doing) from None
            if not is_refusal(error, CHECKED_OUT_IN_OTHER_SESSION):
                raise
            # Checked out to us by a run that did not finish: release it, then start afresh.
            job = await self.session.write(
                "POST", f"{self.base}/Draft/checkIn(true)", doing=f"force check-in of {doing}"
            )
            await self.session.wait(self.project_id, job or {}, doing=f"force check-in of {doing}")
            await self.session.write("POST", f"{self.base}/checkOut()", doing=doing)

    async def _read_draft(self) -> None:
        doing = f"read the draft of project {self.project_id}"
        found = await self.session.get(f"{self.base}/Draft/Tasks?$expand=Parent", doing=doing)
        self.tasks = {str(t["Id"]).lower(): t for t in values(found)}
        found = await self.session.get(
            f"{self.base}/Draft/Assignments?$expand=Task,Resource", doing=doing
        )
        self.assignments = {
            (str(a["Task"]["Id"]).lower(), str(a["Resource"]["Id"]).lower()): a
            for a in values(found)
        }

    async def _close(self) -> None:
        doing = f"publish project {self.project_id}"
        action = "publish(true)" if self.wrote else "checkIn(false)"
        job = await self.session.write("POST", f"{self.base}/Draft/{action}", doing=doing)
        await self.session.wait(self.project_id, job or {}, doing=doing)

    async def _one(self, operation: Operation) -> Record:
        if operation.entity == PROJECT:
            assert isinstance(operation, Update)
            return await self._header(operation.values)
        if operation.entity == TASK:
            if isinstance(operation, Delete):
                return await self._delete_task(operation.id)
            if isinstance(operation, Create):
                return await self._save_task(
                    task_id(self.project_id, operation.values), operation.values
                )
            if operation.id.lower() not in self.tasks:
                raise NotFoundError(
                    f"update task {operation.id}: it is not in project {self.project_id}",
                    system=self.system,
                )
            return await self._save_task(operation.id.lower(), operation.values)
        if isinstance(operation, Delete):
            return await self._delete_assignment(operation.id)
        if isinstance(operation, Update):
            raise ValidationError(
                "assignment: an assignment is created or deleted, not changed", system=self.system
            )
        return await self._assign(operation.values)

    def _custom(self, entity: str, values: Mapping[str, Any]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name, value in values.items():
            field = self.fields.get(name)
            if field is not None:
                if field.entity != entity:
                    raise ValidationError(
                        f"{name!r} is a custom field of {field.entity}, not {entity}",
                        system=self.system,
                    )
                found[field.internal_name] = value
        return found

    async def _header(self, values: Mapping[str, Any]) -> Record:
        doing = f"update the draft of project {self.project_id}"
        current = await self.session.get(f"{self.base}/Draft", doing=doing)
        wanted = {
            n: wire(n, v) for n, v in values.items() if n in ("Name", "Description", "StartDate")
        }
        wanted.update(self._custom("Project", values))
        changes = {n: v for n, v in wanted.items() if not same(current.get(n), v)}
        if changes:
            await self.session.write(
                "PATCH", f"{self.base}/Draft", doing=doing, json=changes, replay_safe=True
            )
            self.wrote = True
        return Record(self.system, PROJECT, self.project_id, {**values, "Id": self.project_id})

    async def _save_task(self, task: str, values: Mapping[str, Any]) -> Record:
        doing = f"write task {task} of project {self.project_id}"
        parent = values.get("ParentId")
        parent = str(parent).lower() if parent else None
        if parent is not None and parent not in self.tasks:
            raise NotFoundError(
                f"{doing}: the parent task {parent} is not in the project (write it first)",
                system=self.system,
            )
        wanted = {n: wire(n, values[n]) for n in _TASK_PROPERTIES if n in values}
        if "Finish" in wanted and "Duration" in wanted:
            del wanted["Duration"]  # a finish date wins over a duration: both fix the end
        wanted.update(self._custom("Task", values))
        current = self.tasks.get(task)
        if current is None:
            creation: Json = {"Id": task}
            names = ("Name", "Notes", "Start", "Finish", "Duration")
            creation.update({n: wanted.pop(n) for n in names if n in wanted})
            if parent is not None:
                creation["ParentId"] = parent
            current = await self.session.write(
                "POST", f"{self.base}/Draft/Tasks/Add", doing=doing, json={"parameters": creation}
            ) or {"Id": task}
            current["Parent"] = {"Id": parent} if parent else None
            self.tasks[task] = current
            self.wrote = True
        else:
            before = ((current.get("Parent") or {}).get("Id") or "").lower() or None
            if "ParentId" in values and parent != before:
                wanted["ParentId"] = parent
        changes = {n: v for n, v in wanted.items() if not same(current.get(n), v)}
        if changes:
            await self.session.write(
                "PATCH",
                f"{self.base}/Draft/Tasks('{task}')",
                doing=doing,
                json=changes,
                replay_safe=True,
            )
            current.update(changes)
            self.wrote = True
        return Record(self.system, TASK, task, {**values, "Id": task, "ProjectId": self.project_id})

    async def _delete_task(self, task: str) -> Record:
        task = task.lower()
        if task in self.tasks:
            await self.session.write(
                "DELETE",
                f"{self.base}/Draft/Tasks('{task}')",
                doing=f"delete task {task}",
                replay_safe=True,
            )
            del self.tasks[task]
            self.wrote = True
        return Record(self.system, TASK, task, {"Id": task, "ProjectId": self.project_id})

    async def _assign(self, values: Mapping[str, Any]) -> Record:
        task = str(values.get("TaskId") or "").lower()
        resource = str(values.get("ResourceId") or "").lower()
        if not task or not resource:
            raise ValidationError(
                "assignment: TaskId and ResourceId are required", system=self.system
            )
        if task not in self.tasks:
            raise NotFoundError(
                f"assign task {task}: it is not in project {self.project_id} (write it first)",
                system=self.system,
            )
        existing = self.assignments.get((task, resource))
        if existing is None:
            assignment = str(values.get("Id") or derived_id(self.project_id, task, resource))
            params = {"Id": assignment, "TaskId": task, "ResourceId": resource}
            if values.get("Work") is not None:
                params["Work"] = wire("Work", values["Work"])
            existing = await self.session.write(
                "POST",
                f"{self.base}/Draft/Assignments/Add",
                doing=f"assign task {task}",
                json={"parameters": params},
            ) or {"Id": assignment}
            self.assignments[(task, resource)] = existing
            self.wrote = True
        found = str(existing["Id"]).lower()
        return Record(
            self.system,
            ASSIGNMENT,
            found,
            {
                **values,
                "Id": found,
                "ProjectId": self.project_id,
                "TaskId": task,
                "ResourceId": resource,
            },
        )

    async def _delete_assignment(self, assignment: str) -> Record:
        assignment = assignment.lower()
        for pair, found in list(self.assignments.items()):
            if str(found["Id"]).lower() == assignment:
                await self.session.write(
                    "DELETE",
                    f"{self.base}/Draft/Assignments('{assignment}')",
                    doing=f"delete assignment {assignment}",
                    replay_safe=True,
                )
                del self.assignments[pair]
                self.wrote = True
        return Record(self.system, ASSIGNMENT, assignment, {"Id": assignment})


def _ordered(items: Sequence[Item], existing: Mapping[str, Json]) -> list[Item]:
    """The header first, then new tasks with parents before children, then changed and
    deleted tasks in the order given, then assignments (whose tasks must exist)."""

    def rank(item: Item) -> int:
        op = item.operation
        if op.entity == PROJECT:
            return 0
        if op.entity == TASK:
            return 1 if isinstance(op, Create) else 2
        return 3

    ranked = sorted(items, key=rank)  # stable: the given order within a rank
    pending = [i for i in ranked if rank(i) == 1]
    placed: list[Item] = []
    known = set(existing)
    while pending:
        waiting = {_id(p) for p in pending}
        ready = [i for i in pending if _parent(i) in known or _parent(i) not in waiting]
        if not ready:  # a cycle: leave it to the server to refuse
            ready = pending
        placed += ready
        known.update(_id(i) for i in ready)
        pending = [i for i in pending if i not in ready]
    return [i for i in ranked if rank(i) == 0] + placed + [i for i in ranked if rank(i) > 1]


def _parent(item: Item) -> str | None:
    op = item.operation
    parent = op.values.get("ParentId") if isinstance(op, Create | Update) else None
    return str(parent).lower() if parent else None


def _id(item: Item) -> str:
    op = item.operation
    if isinstance(op, Create):
        project = str(op.values.get("ProjectId") or "").lower()
        return (
            task_id(project, op.values)
            if op.values.get("Id") or op.values.get(ACTIVITY_KEY)
            else ""
        )
    return op.id.lower()

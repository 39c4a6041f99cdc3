"""Editing projects: `Projects/Add` and everything under `Projects('id')/Draft` (header,
tasks, assignments, custom field values), always in the caller's checked-out working copy."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sandbox.errors import ErrorKind, SandboxError
from sandbox.odata.values import now
from sandbox.projectserver import enterprise
from sandbox.projectserver import values as bodies
from sandbox.projectserver.errors import refusal
from sandbox.projectserver.outline import (
    add_working_days,
    descendants,
    duration_days,
    format_days,
    working_days,
)
from sandbox.projectserver.state import (
    DRAFT,
    LAYER,
    PUBLISHED,
    SESSION,
    ProjectServerState,
    User,
    key,
)
from sandbox.projectserver.types import CREATION, CUSTOM, ORDER, PROJECT, PROJECTS, TASKS

Doc = dict[str, Any]


async def create_project(state: ProjectServerState, body: Doc) -> Doc:
    params = bodies.parameters(body, CREATION["Projects"], "ProjectCreationInformation")
    if not params.get("Name"):
        raise SandboxError(ErrorKind.BAD_PAYLOAD, "The parameter 'Name' is required.")
    if await state["headers"].find_one({"Name": params["Name"], "_layer": DRAFT}) is not None:
        raise refusal(
            "ProjectNameAlreadyExists",
            f"A project named '{params['Name']}' already exists.",
            ErrorKind.DUPLICATE,
        )
    project_id = bodies.new_id(params.get("Id"))
    if await state["projects"].find_one({"_id": project_id}, {"_id": 1}) is not None:
        raise refusal(
            "GeneralItemAlreadyExists",
            f"A project with the id '{project_id}' already exists.",
            ErrorKind.DUPLICATE,
        )
    stamp = now()
    start = params.get("Start") or stamp.replace(hour=8, minute=0, second=0, microsecond=0)
    header = {
        "Id": project_id,
        "Name": params["Name"],
        "Description": params.get("Description") or "",
        "StartDate": start,
        CUSTOM: {},
    }
    await state["projects"].insert_one(
        {
            "_id": project_id,
            "checkout": None,
            "CreatedDate": stamp,
            "LastSavedDate": stamp,
            "LastPublishedDate": stamp,
        }
    )
    await state["headers"].insert_many(
        [
            {**header, "_id": key(layer, project_id), PROJECT: project_id, LAYER: layer}
            for layer in (DRAFT, PUBLISHED)
        ]
    )
    return await state.project(project_id)


async def editable(state: ProjectServerState, project_id: str, user: User) -> Doc:
    """The project, if `user` has it checked out; otherwise Project Server's refusal."""
    project = await state.project(project_id)
    state.require_checkout(project, user)
    return project


async def update_header(state: ProjectServerState, project_id: str, user: User, body: Doc) -> Doc:
    await editable(state, project_id, user)
    changes, custom = bodies.properties(body, PROJECTS, "DraftProject")
    for name in custom:
        await enterprise.custom_field(state, name, "Project")
    header = await state.header(project_id, SESSION)
    header = await enterprise.set_custom_values(state, "headers", header, "Project", custom)
    return await state.set("headers", header, changes)


async def set_header_custom(
    state: ProjectServerState, project_id: str, user: User, body: Doc
) -> None:
    name, value = enterprise.set_custom_call(body)
    await update_header(state, project_id, user, {name: value})


async def add_task(state: ProjectServerState, project_id: str, user: User, body: Doc) -> Doc:
    await editable(state, project_id, user)
    params = bodies.parameters(body, CREATION["Tasks"], "TaskCreationInformation")
    if not params.get("Name"):
        raise SandboxError(ErrorKind.BAD_PAYLOAD, "The parameter 'Name' is required.")
    parent = params.get("ParentId")
    after = params.get("AddAfterId")
    found: dict[str, Doc] = {}
    for name, value in (("ParentId", parent), ("AddAfterId", after)):
        if value is None:
            continue
        task = await state["tasks"].find_one({"_id": key(SESSION, value), PROJECT: project_id})
        if task is None:
            raise refusal(
                "TaskNotFound" if name == "ParentId" else "TaskInvalidAddAfter",
                f"{name} '{value}' is not a task of this project.",
                ErrorKind.REFERENCE_NOT_FOUND,
            )
        found[name] = task
    if after is not None:
        parent = found["AddAfterId"].get("ParentId")
    # Only the new task's siblings matter for its place: read them, not the whole project.
    siblings = (
        await state["tasks"]
        .find({PROJECT: project_id, LAYER: SESSION, "ParentId": parent}, {ORDER: 1})
        .to_list()
    )
    if after is not None:
        mark = found["AddAfterId"].get(ORDER, 0.0)
        following = sorted(o for t in siblings if (o := t.get(ORDER, 0.0)) > mark)
        order = (mark + following[0]) / 2 if following else mark + 1.0
    else:
        order = max((t.get(ORDER, 0.0) for t in siblings), default=0.0) + 1.0
    header = await state.header(project_id, SESSION)
    doc = {
        "Id": bodies.new_id(params.get("Id")),
        "Name": params["Name"],
        "Notes": params.get("Notes") or "",
        "ParentId": parent,
        "PercentComplete": 0,
        "IsMilestone": False,
        "IsManual": bool(params.get("IsManual")),
        "Priority": 500,
        "Work": "0h",
        "ActualWork": "0h",
        "Cost": 0.0,
        "ActualCost": 0.0,
        "Created": now(),
        ORDER: order,
        CUSTOM: {},
    }
    doc.update(_schedule(params, header.get("StartDate") or now(), {}))
    return await state.insert("tasks", project_id, SESSION, doc)


async def update_task(
    state: ProjectServerState, project_id: str, task_id: str, user: User, body: Doc
) -> Doc:
    await editable(state, project_id, user)
    task = await state.record("tasks", project_id, SESSION, task_id)
    changes, custom = bodies.properties(body, TASKS, "DraftTask")
    for name in custom:
        await enterprise.custom_field(state, name, "Task")
    if "PercentComplete" in changes and not 0 <= int(changes["PercentComplete"] or 0) <= 100:
        raise SandboxError(ErrorKind.BAD_PAYLOAD, "PercentComplete must be between 0 and 100.")
    if "ParentId" in changes and changes["ParentId"] != task.get("ParentId"):
        tasks = await state.records("tasks", project_id, SESSION)
        parent = changes["ParentId"]
        if parent is not None and (
            parent == task_id
            or parent in descendants(tasks, task_id)
            or parent not in {t["Id"] for t in tasks}
        ):
            raise refusal(
                "TaskInvalidParent",
                f"'{parent}' cannot become the parent of task '{task_id}'.",
            )
        changes[ORDER] = _last_order(tasks, parent) + 1.0
    if {"Start", "Finish", "Duration"} & set(changes):
        changes.update(_schedule(changes, task.get("Start") or now(), task))
    task = await enterprise.set_custom_values(state, "tasks", task, "Task", custom)
    return await state.set("tasks", task, changes)


async def set_task_custom(
    state: ProjectServerState, project_id: str, task_id: str, user: User, body: Doc
) -> None:
    name, value = enterprise.set_custom_call(body)
    await update_task(state, project_id, task_id, user, {name: value})


async def delete_task(state: ProjectServerState, project_id: str, task_id: str, user: User) -> None:
    """Deleting a summary task deletes its subtasks, and their assignments go with them."""
    await editable(state, project_id, user)
    await state.record("tasks", project_id, SESSION, task_id)
    tasks = await state.records("tasks", project_id, SESSION)
    gone = [task_id, *descendants(tasks, task_id)]
    await state["tasks"].delete_many({"_id": {"$in": [f"{SESSION}:{i}" for i in gone]}})
    await state["assignments"].delete_many(
        {"_project": project_id, "_layer": SESSION, "TaskId": {"$in": gone}}
    )


async def add_assignment(state: ProjectServerState, project_id: str, user: User, body: Doc) -> Doc:
    await editable(state, project_id, user)
    params = bodies.parameters(body, CREATION["Assignments"], "AssignmentCreationInformation")
    for name in ("TaskId", "ResourceId"):
        if not params.get(name):
            raise SandboxError(ErrorKind.BAD_PAYLOAD, f"The parameter '{name}' is required.")
    task = await state.record("tasks", project_id, SESSION, params["TaskId"])
    resource = await enterprise.resource(state, params["ResourceId"])
    if not resource.get("IsActive", True):
        raise refusal(
            "ResourceInactive",
            f"The resource '{resource['Name']}' is inactive and cannot be assigned.",
        )
    clash = await state["assignments"].find_one(
        {
            "_project": project_id,
            "_layer": SESSION,
            "TaskId": task["Id"],
            "ResourceId": resource["Id"],
        }
    )
    if clash is not None:
        raise refusal(
            "AssignmentAlreadyExists",
            f"'{resource['Name']}' is already assigned to the task '{task['Name']}'.",
            ErrorKind.DUPLICATE,
        )
    doc = {
        "Id": bodies.new_id(params.get("Id")),
        "TaskId": task["Id"],
        "ResourceId": resource["Id"],
        "Notes": params.get("Notes") or "",
        "Work": params.get("Work") or "0h",
        "ActualWork": "0h",
        "PercentWorkComplete": 0,
        "Start": task.get("Start"),
        "Finish": task.get("Finish"),
    }
    return await state.insert("assignments", project_id, SESSION, doc)


async def delete_assignment(
    state: ProjectServerState, project_id: str, assignment_id: str, user: User
) -> None:
    await editable(state, project_id, user)
    found = await state.record("assignments", project_id, SESSION, assignment_id)
    await state["assignments"].delete_one({"_id": found["_id"]})


def _last_order(tasks: list[Doc], parent: str | None) -> float:
    return max((t.get(ORDER, 0.0) for t in tasks if t.get("ParentId") == parent), default=0.0)


def _schedule(values: Doc, default_start: dt.datetime, before: Doc) -> Doc:
    """Start, Finish and Duration made consistent: a duration sets the finish, a finish sets
    the duration; a task with neither lasts one day."""
    start = values.get("Start") or before.get("Start") or default_start
    days = duration_days(values.get("Duration"))
    if values.get("Duration") is not None and days is None:
        raise SandboxError(
            ErrorKind.BAD_PAYLOAD, f"'{values['Duration']}' is not a duration (such as '5d')."
        )
    finish = values.get("Finish")
    if days is not None:
        finish = add_working_days(start, days)
    elif finish is None:
        finish = before.get("Finish") or add_working_days(start, 1)
    if finish < start:
        raise SandboxError(ErrorKind.BAD_PAYLOAD, "Finish cannot be earlier than Start.")
    return {"Start": start, "Finish": finish, "Duration": format_days(working_days(start, finish))}

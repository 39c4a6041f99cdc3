"""The reporting feed, `_api/ProjectData/`: flat rows of published projects, tasks,
assignments and resources, written by the publish job (and by resource changes) the way
Project Server fills its reporting tables. A row's modified date moves only when the row
changed, so `$filter=TaskModifiedDate gt datetime'…'` reads what changed and nothing else.
Enterprise custom fields are columns named after the field with its spaces removed
(`ERP Actual Cost` → `ERPActualCost`).
"""

from __future__ import annotations

import re
from typing import Any

from pymongo import DeleteOne, ReplaceOne

from sandbox.model import Catalogue, EntitySet, Field, FieldType, fields
from sandbox.odata.options import QueryOptions, Schema, parse_options
from sandbox.odata.values import now
from sandbox.projectserver.outline import HOURS_PER_DAY, hours, place, working_days
from sandbox.projectserver.state import PUBLISHED, ProjectServerState
from sandbox.projectserver.types import CUSTOM, FIELD_TYPES, REPORT_CUSTOM, REPORTS

Doc = dict[str, Any]
PAGE_SIZE = 100  # rows per page; `odata.nextLink` reads on
_V3_LITERAL = re.compile(r"\b(datetime|guid|datetimeoffset)'([^']*)'")
_CUSTOM_TYPES = {
    "COST": FieldType.DECIMAL,
    "NUMBER": FieldType.DECIMAL,
    "FLAG": FieldType.BOOLEAN,
    "DATE": FieldType.DATETIME,
}


def column_name(field_name: str) -> str:
    return re.sub(r"\s+", "", field_name)


async def _columns(state: ProjectServerState, entity: str) -> dict[str, str]:
    """Internal name -> reporting column of the custom fields of `entity`."""
    found = await state["custom_fields"].find({"EntityType": entity}).to_list()
    return {field["InternalName"]: column_name(field["Name"]) for field in found}


def _custom(doc: Doc, columns: dict[str, str]) -> Doc:
    values = doc.get(CUSTOM) or {}
    return {column: values.get(internal) for internal, column in columns.items()}


async def _write(state: ProjectServerState, name: str, rows: dict[str, Doc], scope: Doc) -> int:
    """Replace the rows of `scope` by `rows`, stamping the modified date of those that changed."""
    entity_set = REPORTS[name]
    modified = entity_set.modified_field or ""
    collection = state[f"rpt_{name}"]
    existing = {doc["_id"]: doc for doc in await collection.find(scope).to_list()}
    stamp = now()
    writes: list[ReplaceOne[Doc] | DeleteOne] = []
    for row_id, row in rows.items():
        before = existing.pop(row_id, None)
        if before is not None and {k: v for k, v in before.items() if k != modified} == {
            "_id": row_id,
            **row,
        }:
            continue
        writes.append(
            ReplaceOne({"_id": row_id}, {"_id": row_id, **row, modified: stamp}, upsert=True)
        )
    writes += [DeleteOne({"_id": row_id}) for row_id in existing]
    if writes:
        await collection.bulk_write(writes, ordered=False)
    return len(writes)


async def refresh_project(state: ProjectServerState, project_id: str) -> None:
    """Rewrite the reporting rows of a project from its published layer."""
    header = await state.header(project_id, PUBLISHED)
    project = await state.project(project_id)
    tasks = place(await state.records("tasks", project_id, PUBLISHED))
    assignments = await state.records("assignments", project_id, PUBLISHED)
    task_columns = await _columns(state, "Task")
    task_rows: dict[str, Doc] = {}
    for placed in tasks:
        task = placed.doc
        task_rows[task["Id"]] = {
            "TaskId": task["Id"],
            "ProjectId": project_id,
            "TaskName": task["Name"],
            "TaskParentTaskId": task.get("ParentId"),
            "TaskOutlineLevel": placed.level,
            "TaskOutlineNumber": placed.position,
            "TaskIndex": placed.index,
            "TaskIsSummary": placed.is_summary,
            "TaskIsMilestone": bool(task.get("IsMilestone")),
            "TaskStartDate": placed.start,
            "TaskFinishDate": placed.finish,
            "TaskDuration": working_days(placed.start, placed.finish) * HOURS_PER_DAY,
            "TaskPercentCompleted": placed.percent,
            "TaskActualCost": float(task.get("ActualCost") or 0.0),
            "TaskActualWork": hours(task.get("ActualWork")),
            "TaskCost": float(task.get("Cost") or 0.0),
            "TaskWork": hours(task.get("Work")),
            **_custom(task, task_columns),
        }
    await _write(state, "Tasks", task_rows, {"ProjectId": project_id})
    await _write(
        state,
        "Assignments",
        {
            a["Id"]: {
                "AssignmentId": a["Id"],
                "ProjectId": project_id,
                "TaskId": a["TaskId"],
                "ResourceId": a["ResourceId"],
                "AssignmentWork": hours(a.get("Work")),
                "AssignmentActualWork": hours(a.get("ActualWork")),
                "AssignmentStartDate": a.get("Start"),
                "AssignmentFinishDate": a.get("Finish"),
            }
            for a in assignments
        },
        {"ProjectId": project_id},
    )
    top = [p for p in tasks if p.level == 1]
    starts = [p.start for p in top if p.start is not None]
    finishes = [p.finish for p in top if p.finish is not None]
    weights = [working_days(p.start, p.finish) or 1.0 for p in top]
    project_row = {
        "ProjectId": project_id,
        "ProjectName": header["Name"],
        "ProjectDescription": header.get("Description"),
        "ProjectStartDate": min(starts) if starts else header.get("StartDate"),
        "ProjectFinishDate": max(finishes) if finishes else header.get("StartDate"),
        "ProjectPercentCompleted": round(
            sum(p.percent * w for p, w in zip(top, weights, strict=True)) / sum(weights)
        )
        if top
        else 0,
        "ProjectActualCost": sum(r["TaskActualCost"] for r in task_rows.values()),
        "ProjectActualWork": sum(r["TaskActualWork"] for r in task_rows.values()),
        "ProjectCost": sum(r["TaskCost"] for r in task_rows.values()),
        "ProjectWork": sum(r["TaskWork"] for r in task_rows.values()),
        "ProjectLastPublishedDate": project.get("LastPublishedDate"),
        **_custom(header, await _columns(state, "Project")),
    }
    await _write(state, "Projects", {project_id: project_row}, {"_id": project_id})


async def refresh_resource(state: ProjectServerState, resource: Doc) -> None:
    row = {
        "ResourceId": resource["Id"],
        "ResourceName": resource["Name"],
        "ResourceCode": resource.get("Code"),
        "ResourceEmailAddress": resource.get("Email"),
        "ResourceType": resource.get("ResourceType"),
        "ResourceIsActive": bool(resource.get("IsActive", True)),
        **_custom(resource, await _columns(state, "Resource")),
    }
    await _write(state, "Resources", {resource["Id"]: row}, {"_id": resource["Id"]})


async def entity_set(state: ProjectServerState, name: str) -> EntitySet:
    """A reporting set with its custom field columns, as they are now."""
    base = REPORTS[name]
    entity = REPORT_CUSTOM.get(name)
    extra: list[Field] = []
    if entity is not None:
        for field in await state["custom_fields"].find({"EntityType": entity}).to_list():
            kind = _CUSTOM_TYPES.get(FIELD_TYPES.get(int(field["FieldType"]), ""), FieldType.STRING)
            extra.append(Field(column_name(field["Name"]), kind))
    return EntitySet(
        name=base.name,
        entity=base.entity,
        key=base.key,
        fields={**base.fields, **fields(*extra)},
        modified_field=base.modified_field,
        created_field=None,
    )


def options(query: list[tuple[str, str]], rows: EntitySet) -> QueryOptions:
    """Query options of a reporting request; OData v3 literals (`datetime'…'`, `guid'…'`) are
    read as their v4 equivalents, date-times without an offset as UTC."""
    converted = [
        (name, _V3_LITERAL.sub(_v4_literal, value) if name == "$filter" else value)
        for name, value in query
    ]
    return parse_options(
        converted, rows, Schema(Catalogue([rows]), "ReportingData"), allow_skip=True
    )


def _v4_literal(match: re.Match[str]) -> str:
    kind, text = match.group(1), match.group(2)
    if kind == "guid":
        return text
    has_offset = text.endswith("Z") or re.search(r"[+-]\d\d:\d\d$", text) is not None
    return text if has_offset else text + "Z"


async def read(
    state: ProjectServerState, rows: EntitySet, query: QueryOptions
) -> tuple[list[Doc], bool]:
    """One page of rows and whether more follow."""
    order = query.orderby or [(rows.key, 1)]
    if all(column != "_id" for column, _ in order):
        order = [*order, ("_id", 1)]
    size = min(query.top, PAGE_SIZE) if query.top is not None else PAGE_SIZE
    cursor = state[f"rpt_{rows.name}"].find(query.filter).sort(order).skip(query.skip or 0)
    found = await cursor.limit(size + 1).to_list()
    more = len(found) > size and (query.top is None or query.top > size)
    return found[:size], more

"""What the Project Server connector reads and writes, declared as data.

Records use Project Server's property names (`Name`, `ParentId`, `PercentComplete`, …) and
name enterprise custom fields by their display name (`ERP Actual Cost`). Reads come from the
reporting feed (`_api/ProjectData/`), whose columns are mapped back to these names here;
writes go through the CSOM REST endpoint (`_api/ProjectServer/`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from adapters.base import EntitySpec

PROJECT, TASK, ASSIGNMENT, RESOURCE = "project", "task", "assignment", "resource"
# The custom fields an ERP integration keeps in Project Server (see the seed document: the
# ERP's data shows up in Project Server as enterprise custom fields).
ERP_CUSTOM_FIELDS: dict[str, tuple[str, ...]] = {
    PROJECT: (
        "ERP Company",
        "ERP Project Number",
        "ERP Project Actual Cost",
        "ERP Project Actual Work",
    ),
    TASK: ("ERP Activity Number", "ERP Actual Cost", "ERP Actual Work"),
    RESOURCE: (),
}
# The task custom field whose value names the ERP activity: a task created with it and
# without an `Id` gets an id derived from it, so a repeated create finds the first one.
ACTIVITY_KEY = "ERP Activity Number"


@dataclass(frozen=True, slots=True)
class Feed:
    """One reporting set: its name, key and modified-date columns, and record field -> column."""

    entity_set: str
    key: str
    modified: str
    columns: Mapping[str, str]
    # Reporting columns in hours that records carry in days.
    days: frozenset[str] = frozenset()


FEEDS: dict[str, Feed] = {
    PROJECT: Feed(
        "Projects",
        "ProjectId",
        "ProjectModifiedDate",
        {
            "Id": "ProjectId",
            "Name": "ProjectName",
            "Description": "ProjectDescription",
            "StartDate": "ProjectStartDate",
            "FinishDate": "ProjectFinishDate",
            "PercentComplete": "ProjectPercentCompleted",
            "ActualCost": "ProjectActualCost",
            "ActualWork": "ProjectActualWork",
            "Cost": "ProjectCost",
            "Work": "ProjectWork",
            "LastPublishedDate": "ProjectLastPublishedDate",
            "ModifiedDate": "ProjectModifiedDate",
        },
    ),
    TASK: Feed(
        "Tasks",
        "TaskId",
        "TaskModifiedDate",
        {
            "Id": "TaskId",
            "ProjectId": "ProjectId",
            "Name": "TaskName",
            "ParentId": "TaskParentTaskId",
            "OutlineLevel": "TaskOutlineLevel",
            "OutlinePosition": "TaskOutlineNumber",
            "Index": "TaskIndex",
            "IsSummary": "TaskIsSummary",
            "IsMilestone": "TaskIsMilestone",
            "Start": "TaskStartDate",
            "Finish": "TaskFinishDate",
            "Duration": "TaskDuration",
            "PercentComplete": "TaskPercentCompleted",
            "ActualCost": "TaskActualCost",
            "ActualWork": "TaskActualWork",
            "Cost": "TaskCost",
            "Work": "TaskWork",
            "ModifiedDate": "TaskModifiedDate",
        },
        days=frozenset({"Duration"}),
    ),
    ASSIGNMENT: Feed(
        "Assignments",
        "AssignmentId",
        "AssignmentModifiedDate",
        {
            "Id": "AssignmentId",
            "ProjectId": "ProjectId",
            "TaskId": "TaskId",
            "ResourceId": "ResourceId",
            "Work": "AssignmentWork",
            "ActualWork": "AssignmentActualWork",
            "Start": "AssignmentStartDate",
            "Finish": "AssignmentFinishDate",
            "ModifiedDate": "AssignmentModifiedDate",
        },
    ),
    RESOURCE: Feed(
        "Resources",
        "ResourceId",
        "ResourceModifiedDate",
        {
            "Id": "ResourceId",
            "Name": "ResourceName",
            "Code": "ResourceCode",
            "Email": "ResourceEmailAddress",
            "ResourceType": "ResourceType",
            "IsActive": "ResourceIsActive",
            "ModifiedDate": "ResourceModifiedDate",
        },
    ),
}

# Fields a write may set, per entity (custom fields come on top).
WRITABLE: dict[str, frozenset[str]] = {
    PROJECT: frozenset({"Id", "Name", "Description", "StartDate"}),
    TASK: frozenset(
        {
            "Id",
            "ProjectId",
            "Name",
            "Notes",
            "ParentId",
            "Start",
            "Finish",
            "Duration",
            "PercentComplete",
            "IsMilestone",
        }
    ),
    ASSIGNMENT: frozenset({"Id", "ProjectId", "TaskId", "ResourceId", "Work"}),
    RESOURCE: frozenset({"Id", "Name", "Code", "Email", "IsActive", "ResourceType"}),
}
# A parent reference whose target must be coupled first.
LOOKUPS: dict[str, dict[str, str]] = {
    TASK: {"ProjectId": PROJECT, "ParentId": TASK},
    ASSIGNMENT: {"ProjectId": PROJECT, "TaskId": TASK, "ResourceId": RESOURCE},
}


def specs(custom_fields: Mapping[str, Iterable[str]] | None = None) -> dict[str, EntitySpec]:
    custom = ERP_CUSTOM_FIELDS if custom_fields is None else custom_fields
    return {
        name: EntitySpec(
            name=name,
            native_name=feed.entity_set,
            key_field="Id",
            fields=frozenset([*feed.columns, *WRITABLE[name], *custom.get(name, ())]),
            modified_field="ModifiedDate",
            lookups=LOOKUPS.get(name, {}),
        )
        for name, feed in FEEDS.items()
    }

"""The Project Server entity types the emulator serves, as data.

Property names follow the `PS.*` types of the CSOM REST reference (`PS.PublishedProject`,
`PS.DraftTask`, `PS.EnterpriseResource`, …) and the reporting feed's entity sets
(`ProjectData/Projects`, `Tasks`, `Assignments`, `Resources`). Stored documents keep the
properties under these names, plus bookkeeping that starts with an underscore: the project a
task belongs to (`_project`), its position among its siblings (`_order`) and enterprise
custom field values (`_custom`, by internal name).
"""

from __future__ import annotations

from typing import Any

from sandbox.model import EntitySet, Field, FieldType, fields

NAMESPACE = "PS"
PROJECT = "_project"
ORDER = "_order"
CUSTOM = "_custom"

# PS.CustomFieldType values of the field types the emulator knows.
FIELD_TYPES = {4: "DATE", 6: "DURATION", 9: "COST", 15: "NUMBER", 17: "FLAG", 21: "TEXT"}
# PS.QueueMsgType values of the jobs the emulator runs.
MESSAGE_TYPES = {"save": 22, "publish": 24, "checkin": 20}
# PS.EnterpriseResourceType: work, material and cost resources.
RESOURCE_TYPES = (2, 3, 4)
# The entity types a custom field can belong to (PS.EntityTypes), by the emulator's fixed ids.
ENTITY_TYPES = {
    "Project": "55b2fc2a-8a0c-4a33-b7d6-e5b1b0000001",
    "Task": "55b2fc2a-8a0c-4a33-b7d6-e5b1b0000002",
    "Resource": "55b2fc2a-8a0c-4a33-b7d6-e5b1b0000003",
}


def _f(name: str, kind: FieldType, **options: Any) -> Field:
    return Field(name, kind, **options)


STR, INT, DEC, BOOL, TIME, GUID = (
    FieldType.STRING,
    FieldType.INT,
    FieldType.DECIMAL,
    FieldType.BOOLEAN,
    FieldType.DATETIME,
    FieldType.GUID,
)


def _set(name: str, entity: str, *columns: Field, modified: str | None = None) -> EntitySet:
    return EntitySet(
        name=name,
        entity=entity,
        key=columns[0].name,
        fields=fields(*columns),
        modified_field=modified,
        created_field=None,
    )


PROJECTS = _set(
    "Projects",
    "PublishedProject",
    _f("Id", GUID, read_only=True),
    _f("Name", STR, max_length=255, required=True, selective=True),
    _f("Description", STR),
    _f("StartDate", TIME),
    _f("FinishDate", TIME, read_only=True),
    _f("PercentComplete", INT, read_only=True),
    _f("IsCheckedOut", BOOL, read_only=True),
    _f("CheckedOutDate", TIME, read_only=True),
    _f("CheckOutDescription", STR, read_only=True),
    _f("CreatedDate", TIME, read_only=True),
    _f("LastPublishedDate", TIME, read_only=True),
    _f("LastSavedDate", TIME, read_only=True),
    _f("ProjectType", INT, read_only=True),
)
TASKS = _set(
    "Tasks",
    "DraftTask",
    _f("Id", GUID, read_only=True),
    _f("Name", STR, max_length=255, required=True),
    _f("Notes", STR),
    _f("Start", TIME),
    _f("Finish", TIME),
    _f("Duration", STR),
    _f("PercentComplete", INT),
    _f("OutlineLevel", INT, read_only=True),
    _f("OutlinePosition", STR, read_only=True),
    _f("IsSummary", BOOL, read_only=True),
    _f("IsMilestone", BOOL),
    _f("IsManual", BOOL),
    _f("Priority", INT),
    _f("Work", STR),
    _f("ActualWork", STR, read_only=True),
    _f("Cost", DEC, read_only=True),
    _f("ActualCost", DEC, read_only=True),
    _f("Created", TIME, read_only=True),
    # Not a property of PS.DraftTask: the emulator's way to move a task under another one.
    _f("ParentId", GUID),
)
ASSIGNMENTS = _set(
    "Assignments",
    "DraftAssignment",
    _f("Id", GUID, read_only=True),
    _f("Notes", STR),
    _f("Work", STR),
    _f("ActualWork", STR, read_only=True),
    _f("PercentWorkComplete", INT),
    _f("Start", TIME, read_only=True),
    _f("Finish", TIME, read_only=True),
)
RESOURCES = _set(
    "EnterpriseResources",
    "EnterpriseResource",
    _f("Id", GUID, read_only=True),
    _f("Name", STR, max_length=255, required=True, selective=True),
    _f("Code", STR, selective=True),
    _f("Email", STR),
    _f("ResourceType", INT, read_only=True, choices=RESOURCE_TYPES),
    _f("IsActive", BOOL),
    _f("IsGeneric", BOOL, read_only=True),
    _f("IsBudget", BOOL, read_only=True),
    _f("CostCenter", STR),
    _f("Group", STR),
    _f("Created", TIME, read_only=True),
    _f("Modified", TIME, read_only=True, system_time=True),
    modified="Modified",
)
CUSTOM_FIELDS = _set(
    "CustomFields",
    "CustomField",
    _f("Id", GUID, read_only=True),
    _f("Name", STR, required=True, selective=True),
    _f("InternalName", STR, read_only=True),
    _f("FieldType", INT, choices=tuple(FIELD_TYPES)),
    _f("Description", STR),
    _f("IsRequired", BOOL),
)

# Properties a client may name in the parameters of the `Add` methods (the *CreationInformation
# types) that are not writable properties of the entity itself.
CREATION = {
    "Projects": fields(
        _f("Id", GUID),
        _f("Name", STR),
        _f("Description", STR),
        _f("Start", TIME),
        _f("EnterpriseProjectTypeId", GUID),
    ),
    "Tasks": fields(
        _f("Id", GUID),
        _f("Name", STR),
        _f("Notes", STR),
        _f("Start", TIME),
        _f("Finish", TIME),
        _f("Duration", STR),
        _f("IsManual", BOOL),
        _f("ParentId", GUID),
        _f("AddAfterId", GUID),
    ),
    "Assignments": fields(
        _f("Id", GUID),
        _f("TaskId", GUID),
        _f("ResourceId", GUID),
        _f("Notes", STR),
        _f("Work", STR),
    ),
    "EnterpriseResources": fields(
        _f("Id", GUID),
        _f("Name", STR),
        _f("ResourceType", INT, choices=RESOURCE_TYPES),
        _f("IsBudget", BOOL),
        _f("IsGeneric", BOOL),
        _f("IsInactive", BOOL),
        _f("Code", STR),
        _f("Email", STR),
    ),
    "CustomFields": fields(
        _f("Id", GUID),
        _f("Name", STR),
        _f("FieldType", INT, choices=tuple(FIELD_TYPES)),
        _f("EntityTypeId", GUID),
        _f("Description", STR),
        _f("IsRequired", BOOL),
    ),
}


# The reporting feed (`_api/ProjectData/`): flat rows written by the publish job.
def _rows(name: str, entity: str, modified: str, *columns: Field) -> EntitySet:
    return EntitySet(
        name=name,
        entity=entity,
        key=columns[0].name,
        fields=fields(*columns, Field(modified, TIME, read_only=True, system_time=True)),
        modified_field=modified,
        created_field=None,
    )


REPORT_PROJECTS = _rows(
    "Projects",
    "Project",
    "ProjectModifiedDate",
    _f("ProjectId", GUID),
    _f("ProjectName", STR, selective=True),
    _f("ProjectDescription", STR),
    _f("ProjectStartDate", TIME),
    _f("ProjectFinishDate", TIME),
    _f("ProjectPercentCompleted", INT),
    _f("ProjectActualCost", DEC),
    _f("ProjectActualWork", DEC),
    _f("ProjectCost", DEC),
    _f("ProjectWork", DEC),
    _f("ProjectLastPublishedDate", TIME),
)
REPORT_TASKS = _rows(
    "Tasks",
    "Task",
    "TaskModifiedDate",
    _f("TaskId", GUID),
    _f("ProjectId", GUID, selective=True),
    _f("TaskName", STR),
    _f("TaskParentTaskId", GUID),
    _f("TaskOutlineLevel", INT),
    _f("TaskOutlineNumber", STR),
    _f("TaskIndex", INT),
    _f("TaskIsSummary", BOOL),
    _f("TaskIsMilestone", BOOL),
    _f("TaskStartDate", TIME),
    _f("TaskFinishDate", TIME),
    _f("TaskDuration", DEC),
    _f("TaskPercentCompleted", INT),
    _f("TaskActualCost", DEC),
    _f("TaskActualWork", DEC),
    _f("TaskCost", DEC),
    _f("TaskWork", DEC),
)
REPORT_ASSIGNMENTS = _rows(
    "Assignments",
    "Assignment",
    "AssignmentModifiedDate",
    _f("AssignmentId", GUID),
    _f("ProjectId", GUID, selective=True),
    _f("TaskId", GUID, selective=True),
    _f("ResourceId", GUID, selective=True),
    _f("AssignmentWork", DEC),
    _f("AssignmentActualWork", DEC),
    _f("AssignmentStartDate", TIME),
    _f("AssignmentFinishDate", TIME),
)
REPORT_RESOURCES = _rows(
    "Resources",
    "Resource",
    "ResourceModifiedDate",
    _f("ResourceId", GUID),
    _f("ResourceName", STR, selective=True),
    _f("ResourceCode", STR),
    _f("ResourceEmailAddress", STR),
    _f("ResourceType", INT),
    _f("ResourceIsActive", BOOL),
)
REPORTS = {
    entity_set.name: entity_set
    for entity_set in (REPORT_PROJECTS, REPORT_TASKS, REPORT_ASSIGNMENTS, REPORT_RESOURCES)
}
# The entity type whose custom fields appear as columns of each reporting set.
REPORT_CUSTOM = {"Projects": "Project", "Tasks": "Task", "Resources": "Resource"}

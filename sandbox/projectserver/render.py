"""Answers in the JSON formats of SharePoint's OData v3 endpoint, chosen by `Accept`:
`odata=verbose` (`{"d": {"results": […], "__next": …}}`, `__metadata`, `__deferred` links),
`odata=nometadata` (`{"value": […]}`) or, by default, `odata=minimalmetadata` (the same with
`odata.metadata` and `odata.nextLink`). Date-times are UTC without an offset, as Project Server
writes them; navigation properties are rendered only when `$expand` names them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from sandbox.http import ApiRequest, ApiResponse
from sandbox.projectserver.outline import Placed, format_days, working_days
from sandbox.projectserver.state import User
from sandbox.projectserver.types import CUSTOM, MESSAGE_TYPES, NAMESPACE

Doc = dict[str, Any]
Expander = Callable[[], Doc | None]


def value(item: Any) -> Any:
    if isinstance(item, dt.datetime):
        return item.strftime("%Y-%m-%dT%H:%M:%S.") + f"{item.microsecond // 1000:03d}"
    return item


@dataclass
class Shape:
    """What one request asked for: format, `$select` and `$expand`."""

    root: str  # the `_api/` URL, ending with "/"
    verbose: bool = False
    metadata: bool = True
    select: list[str] | None = None
    expand: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, request: ApiRequest) -> Shape:
        accept = request.headers.get("accept", "").lower()
        params = dict(request.query)
        select = [s.strip() for s in params.get("$select", "").split(",") if s.strip()]
        expand = {s.strip() for s in params.get("$expand", "").split(",") if s.strip()}
        return cls(
            root=request.root,
            verbose="odata=verbose" in accept,
            metadata="odata=nometadata" not in accept,
            select=select or None,
            expand=expand,
        )

    @property
    def media_type(self) -> str:
        kind = "verbose" if self.verbose else "minimalmetadata" if self.metadata else "nometadata"
        return f"application/json;odata={kind};streaming=true;charset=utf-8"

    def entity(
        self,
        type_name: str,
        uri: str,
        props: Mapping[str, Any],
        navigations: Mapping[str, Expander] | None = None,
    ) -> Doc:
        chosen = {
            name: value(item)
            for name, item in props.items()
            if self.select is None or name in self.select or "*" in self.select
        }
        for name, expand in (navigations or {}).items():
            if name in self.expand:
                chosen[name] = _expanded(expand())
            elif self.verbose and (self.select is None or name in self.select):
                chosen[name] = {"__deferred": {"uri": f"{self.root}{uri}/{name}"}}
        if self.verbose:
            url = f"{self.root}{uri}"
            return {
                "__metadata": {"id": url, "uri": url, "type": f"{NAMESPACE}.{type_name}"},
                **chosen,
            }
        return chosen

    def one(self, entity: Doc, context: str) -> ApiResponse:
        if self.verbose:
            return self.respond(200, {"d": entity})
        if self.metadata:
            entity = {"odata.metadata": f"{self.root}$metadata#{context}/@Element", **entity}
        return self.respond(200, entity)

    def many(self, entities: list[Doc], context: str, next_link: str | None = None) -> ApiResponse:
        if self.verbose:
            body: Doc = {"results": entities}
            if next_link:
                body["__next"] = next_link
            return self.respond(200, {"d": body})
        page: Doc = {"value": entities}
        if self.metadata:
            page = {"odata.metadata": f"{self.root}$metadata#{context}", **page}
            if next_link:
                page["odata.nextLink"] = next_link
        elif next_link:
            page["odata.nextLink"] = next_link
        return self.respond(200, page)

    def respond(self, status: int, body: Any) -> ApiResponse:
        return ApiResponse(
            status, orjson.dumps(body), {"DataServiceVersion": "3.0"}, self.media_type
        )


def _expanded(found: Doc | None) -> Doc | None:
    return None if found is None else {k: value(v) for k, v in found.items()}


def custom(doc: Doc) -> Doc:
    return dict(doc.get(CUSTOM) or {})


def project(shape: Shape, header: Doc, state: Doc, figures: Doc, draft: bool) -> Doc:
    checkout = state.get("checkout")
    props = {
        "Id": header["Id"],
        "Name": header["Name"],
        "Description": header.get("Description"),
        "StartDate": figures.get("start") or header.get("StartDate"),
        "FinishDate": figures.get("finish") or header.get("StartDate"),
        "PercentComplete": figures.get("percent", 0),
        "IsCheckedOut": checkout is not None,
        "CheckedOutDate": checkout["since"] if checkout else None,
        "CheckOutDescription": checkout.get("description", "") if checkout else "",
        "CreatedDate": state.get("CreatedDate"),
        "LastPublishedDate": state.get("LastPublishedDate"),
        "LastSavedDate": state.get("LastSavedDate"),
        "ProjectType": 0,
        **custom(header),
    }
    uri = f"ProjectServer/Projects('{header['Id']}')" + ("/Draft" if draft else "")
    owner = User(checkout["login"], checkout["title"]).to_json() if checkout else None
    return shape.entity(
        "DraftProject" if draft else "PublishedProject",
        uri,
        props,
        {"CheckedOutBy": lambda: owner},
    )


def task(shape: Shape, placed: Placed, names: Mapping[str, str], base: str, *, draft: bool) -> Doc:
    doc = placed.doc
    parent = doc.get("ParentId") if doc.get("ParentId") in names else None
    props = {
        "Id": doc["Id"],
        "Name": doc["Name"],
        "Notes": doc.get("Notes"),
        "Start": placed.start,
        "Finish": placed.finish,
        "Duration": doc.get("Duration") if not placed.is_summary else _days(placed),
        "PercentComplete": placed.percent,
        "OutlineLevel": placed.level,
        "OutlinePosition": placed.position,
        "IsSummary": placed.is_summary,
        "IsMilestone": bool(doc.get("IsMilestone")),
        "IsManual": bool(doc.get("IsManual")),
        "Priority": doc.get("Priority", 500),
        "Work": doc.get("Work"),
        "ActualWork": doc.get("ActualWork"),
        "Cost": doc.get("Cost", 0.0),
        "ActualCost": doc.get("ActualCost", 0.0),
        "Created": doc.get("Created"),
        **custom(doc),
    }
    return shape.entity(
        "DraftTask" if draft else "PublishedTask",
        f"{base}/Tasks('{doc['Id']}')",
        props,
        {"Parent": lambda: {"Id": parent, "Name": names[parent]} if parent else None},
    )


def _days(placed: Placed) -> str:
    return format_days(working_days(placed.start, placed.finish))


def assignment(
    shape: Shape,
    doc: Doc,
    names: tuple[Mapping[str, str], Mapping[str, str]],
    base: str,
    *,
    draft: bool,
) -> Doc:
    """`names`: task and resource names by id, for `$expand=Task,Resource`."""
    tasks, resources = names
    props = {
        "Id": doc["Id"],
        "Notes": doc.get("Notes"),
        "Work": doc.get("Work"),
        "ActualWork": doc.get("ActualWork"),
        "PercentWorkComplete": doc.get("PercentWorkComplete", 0),
        "Start": doc.get("Start"),
        "Finish": doc.get("Finish"),
    }
    task_id, resource_id = doc["TaskId"], doc["ResourceId"]
    return shape.entity(
        "DraftAssignment" if draft else "PublishedAssignment",
        f"{base}/Assignments('{doc['Id']}')",
        props,
        {
            "Task": lambda: {"Id": task_id, "Name": tasks.get(task_id)},
            "Resource": lambda: {"Id": resource_id, "Name": resources.get(resource_id)},
        },
    )


def resource(shape: Shape, doc: Doc) -> Doc:
    props = {
        name: doc.get(name)
        for name in (
            "Id",
            "Name",
            "Code",
            "Email",
            "ResourceType",
            "IsActive",
            "IsGeneric",
            "IsBudget",
            "CostCenter",
            "Group",
            "Created",
            "Modified",
        )
    }
    return shape.entity(
        "EnterpriseResource",
        f"ProjectServer/EnterpriseResources('{doc['Id']}')",
        {**props, **custom(doc)},
    )


def custom_field(shape: Shape, doc: Doc, entity_type_ids: Mapping[str, str]) -> Doc:
    props = {
        name: doc.get(name)
        for name in ("Id", "Name", "InternalName", "FieldType", "Description", "IsRequired")
    }
    entity = doc["EntityType"]
    return shape.entity(
        "CustomField",
        f"ProjectServer/CustomFields('{doc['Id']}')",
        props,
        {"EntityType": lambda: {"ID": entity_type_ids[entity], "Name": entity}},
    )


def queue_job(shape: Shape, doc: Doc) -> Doc:
    props = {
        "Id": doc["_id"],
        "JobState": doc["JobState"],
        "MessageType": MESSAGE_TYPES.get(doc["kind"], 0),
        "PercentComplete": doc.get("PercentComplete", 0),
        "Submitted": doc.get("Submitted"),
        "Completed": doc.get("Completed"),
        "Errors": list(doc.get("Errors") or []),
    }
    return shape.entity(
        "QueueJob", f"ProjectServer/Projects('{doc['project']}')/QueueJobs('{doc['_id']}')", props
    )


def row(shape: Shape, doc: Doc, set_name: str, key: str) -> Doc:
    props = {name: item for name, item in doc.items() if not name.startswith("_")}
    entity = shape.entity(set_name.rstrip("s"), f"ProjectData/{set_name}(guid'{doc[key]}')", props)
    if shape.verbose:
        entity["__metadata"]["type"] = f"ReportingData.{set_name.rstrip('s')}"
    return entity

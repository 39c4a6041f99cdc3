"""Project accounting in the Business Central sandbox (extension pages, see `catalogue.py`).

- Project tasks form a tree the way job tasks do: ordered by task number, a Begin-Total task
  opens a group that the next End-Total closes, and `indentation` says how deep a task is.
  A task may instead name its parent (`parentTaskNumber`, which must be a Begin-Total or
  Heading task of the same project). Every write re-indents the project's tasks; only tasks
  whose indentation or parent changed get a new `lastModifiedDateTime`.
- Posting a project journal (control plane: `POST /_sandbox/bc/projectJournal`) writes
  `projectLedgerEntries`: usage of resources (hours), items and G/L accounts, valued at the
  line's unit cost or, for a resource, its unit cost. Entries are never changed afterwards.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sandbox.bc.catalogue import COMPANY_SETS, LEDGER_TYPES
from sandbox.bc.context import BusinessCentral
from sandbox.errors import ErrorKind, SandboxError
from sandbox.model import COMPANY
from sandbox.odata.values import now
from sandbox.store.database import Doc, Journal
from sandbox.store.reader import find_all

TASKS = COMPANY_SETS["projectTasks"]
LEDGER = COMPANY_SETS["projectLedgerEntries"]
_GROUPS = ("Begin-Total", "Heading")
# The parent a client named, as opposed to one implied by Begin-Total/End-Total ranges.
EXPLICIT_PARENT = "_explicitParent"


def _refused(message: str) -> SandboxError:
    return SandboxError(
        ErrorKind.BUSINESS_RULE, message, code="Application_FieldValidationException"
    )


async def prepare_task(
    ctx: BusinessCentral, company: str, values: dict[str, Any], before: Doc
) -> None:
    """Check a project task's project, number and parent before it is written."""
    project_id = values.get("projectId") or before.get("projectId")
    if not project_id:
        raise SandboxError(
            ErrorKind.BAD_PAYLOAD,
            "Field 'projectId' must not be blank or empty.",
            code="BadRequest_RequiredParamNotProvided",
        )
    if before and values.get("projectId") not in (None, before.get("projectId")):
        raise _refused("A project task cannot move to another project.")
    project = await ctx.get(COMPANY_SETS["projects"], company, project_id)
    if project is None:
        raise SandboxError(
            ErrorKind.REFERENCE_NOT_FOUND,
            f"The Project does not exist. Identification fields and values: Id='{project_id}'",
        )
    values["projectNumber"] = project.get("number")
    number = values.get("taskNumber", before.get("taskNumber"))
    if "taskNumber" in values and values["taskNumber"] != before.get("taskNumber"):
        clash = await ctx.find_by(TASKS, company, projectId=project_id, taskNumber=number)
        if clash is not None:
            raise SandboxError(
                ErrorKind.DUPLICATE,
                f"The Project Task already exists. Identification fields and values: "
                f"Job No.='{project.get('number')}',Job Task No.='{number}'",
            )
    if "parentTaskNumber" in values:
        values[EXPLICIT_PARENT] = values["parentTaskNumber"] or None
    parent = values.get("parentTaskNumber")
    if parent:
        if parent == number:
            raise _refused(f"Project task {number} cannot be its own parent.")
        found = await ctx.find_by(TASKS, company, projectId=project_id, taskNumber=parent)
        if found is None or found.get("taskType") not in _GROUPS:
            raise _refused(
                f"The parent task {parent} must be a Begin-Total or Heading task of project "
                f"{project.get('number')}."
            )
    for name in ("startDate", "endDate"):
        values.setdefault(name, before.get(name))
    if (
        values.get("startDate")
        and values.get("endDate")
        and values["endDate"] < values["startDate"]
    ):
        raise _refused("The ending date cannot be before the starting date.")
    percent = values.get("percentComplete")
    if percent is not None and not 0 <= float(percent) <= 100:
        raise _refused("percentComplete must be between 0 and 100.")


async def reindent(
    ctx: BusinessCentral, company: str, project_id: str, journal: Journal | None
) -> None:
    """Recompute `indentation`, the implicit parents and Begin-Total `totaling` ranges."""
    tasks = await find_all(
        ctx.db.collection(TASKS), {"projectId": project_id, COMPANY: company}, None
    )
    tasks.sort(key=lambda t: str(t.get("taskNumber")))
    by_number = {t["taskNumber"]: t for t in tasks}
    parents: dict[str, str | None] = {}
    open_groups: list[str] = []
    for task in tasks:
        number = task["taskNumber"]
        if task.get("taskType") == "End-Total" and open_groups:
            parents[number] = parents.get(open_groups.pop())  # level with its Begin-Total
            continue
        explicit = task.get(EXPLICIT_PARENT)
        implicit = open_groups[-1] if open_groups else None
        parents[number] = explicit if explicit in by_number else implicit
        if task.get("taskType") == "Begin-Total":
            open_groups.append(number)
    for task in tasks:
        depth, seen, current = 0, set(), parents.get(task["taskNumber"])
        while current is not None and current not in seen:
            seen.add(current)
            depth += 1
            current = parents.get(current)
        changes: dict[str, Any] = {}
        if task.get("indentation") != depth:
            changes["indentation"] = depth
        implied = parents.get(task["taskNumber"])
        if task.get("parentTaskNumber") != implied:
            changes["parentTaskNumber"] = implied
        if changes:
            changes["lastModifiedDateTime"] = now()
            await ctx.db.update(TASKS, task, changes, journal)


async def post_journal(ctx: BusinessCentral, company: str, body: Any) -> list[Doc]:
    """Post project journal lines as ledger entries; every line is checked before any is
    written. `body`: `{"projectNumber" | "projectId", "documentNumber"?, "postingDate"?,
    "lines": [{"taskNumber", "type", "number", "quantity", "unitCost"?, "description"?}]}`."""
    if not isinstance(body, dict) or not isinstance(body.get("lines"), list) or not body["lines"]:
        raise ValueError("the body must hold a project and a non-empty list 'lines'")
    projects = COMPANY_SETS["projects"]
    project = None
    if body.get("projectId"):
        project = await ctx.get(projects, company, str(body["projectId"]))
    elif body.get("projectNumber"):
        project = await ctx.find_by(projects, company, number=str(body["projectNumber"]))
    if project is None:
        raise ValueError("'projectId' or 'projectNumber' must name an existing project")
    posting_date = str(body.get("postingDate") or dt.date.today().isoformat())
    entries: list[Doc] = []
    for index, line in enumerate(body["lines"]):
        entries.append(await _entry(ctx, company, project, line, f"lines[{index}]"))
    first = await ctx.reserve(company, "projectLedgerEntries", len(entries))
    stamp = now()
    written: list[Doc] = []
    for offset, entry in enumerate(entries):
        entry.update(
            entryNumber=first + offset,
            postingDate=posting_date,
            documentNumber=str(body.get("documentNumber") or f"J{first:06d}"),
            lastModifiedDateTime=stamp,
        )
        written.append(await ctx.db.insert(LEDGER, entry, None))
    return written


async def _entry(ctx: BusinessCentral, company: str, project: Doc, line: Any, where: str) -> Doc:
    if not isinstance(line, dict):
        raise ValueError(f"{where} must be an object")
    kind = line.get("type", "Resource")
    if kind not in LEDGER_TYPES:
        raise ValueError(f"{where}.type must be one of {', '.join(LEDGER_TYPES)}")
    task = await ctx.find_by(
        TASKS, company, projectId=project["_id"], taskNumber=str(line.get("taskNumber"))
    )
    if task is None or task.get("taskType") != "Posting":
        raise ValueError(
            f"{where}.taskNumber must be a Posting task of project {project['number']}"
        )
    quantity = line.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int | float) or quantity == 0:
        raise ValueError(f"{where}.quantity must be a non-zero number")
    unit_cost = line.get("unitCost")
    description = line.get("description")
    if kind == "Resource":
        resource = await ctx.find_by(
            COMPANY_SETS["resources"], company, number=str(line.get("number"))
        )
        if resource is None or resource.get("blocked"):
            raise ValueError(f"{where}.number must be an unblocked resource")
        unit_cost = resource.get("unitCost", 0.0) if unit_cost is None else unit_cost
        description = description or resource.get("displayName")
    if isinstance(unit_cost, bool) or not isinstance(unit_cost, int | float):
        raise ValueError(f"{where}.unitCost must be a number")
    return {
        "_id": str(uuid.uuid4()),
        COMPANY: company,
        "projectId": project["_id"],
        "projectNumber": project["number"],
        "taskNumber": task["taskNumber"],
        "type": kind,
        "number": str(line.get("number") or ""),
        "description": str(description or "")[:100],
        "quantity": float(quantity),
        "unitCost": float(unit_cost),
        "totalCost": round(float(quantity) * float(unit_cost), 2),
        "unitPrice": float(line.get("unitPrice") or 0.0),
        "totalPrice": round(float(quantity) * float(line.get("unitPrice") or 0.0), 2),
    }

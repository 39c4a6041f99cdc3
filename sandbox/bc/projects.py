"""Project accounting in the Business Central sandbox (extension pages, see `catalogue.py`).

- Project tasks form a tree the way job tasks do: ordered by task number, a Begin-Total task
  opens a group that the next End-Total closes, and `indentation` says how deep a task is.
  A task may instead name its parent, by number (`parentTaskNumber`) or by id (`parentId`,
  the parent's `id`): any task of the same project but an End-Total; a Posting task without
  postings that gets a child becomes a Heading, as Project makes a task with subtasks a
  summary task. Every write re-indents the project's tasks; only tasks whose indentation or
  parent changed get a new `lastModifiedDateTime`.
- A task created without a number gets the project's next one: the highest numeric task
  number rounded up to the next ten (1000 for the first), so it sorts after every range.
- Posting a project journal (control plane: `POST /_sandbox/bc/projectJournal`) writes
  `projectLedgerEntries`: usage of resources (hours), items and G/L accounts, valued at the
  line's unit cost or, for a resource, its unit cost. Entries are never changed afterwards.
- `actualCost` and `actualWork` of a task are the total cost and the resource hours posted on
  it and on the tasks below it (as Begin-Total totals add up their range); a project's are
  those of all its entries. A posting, or a task moving, that changes a task's or a project's
  totals gives it a new `lastModifiedDateTime`: the extension page reports the later of the
  record's own change and the last change of its totals, so that reading what changed since
  a moment finds every total a posting raised.
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
PROJECTS = COMPANY_SETS["projects"]
_NOT_A_PARENT = "End-Total"
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
    if not before and not values.get("taskNumber"):
        values["taskNumber"] = await next_task_number(ctx, company, project_id)
    number = values.get("taskNumber", before.get("taskNumber"))
    if "taskNumber" in values and values["taskNumber"] != before.get("taskNumber"):
        clash = await ctx.find_by(TASKS, company, projectId=project_id, taskNumber=number)
        if clash is not None:
            raise SandboxError(
                ErrorKind.DUPLICATE,
                f"The Project Task already exists. Identification fields and values: "
                f"Job No.='{project.get('number')}',Job Task No.='{number}'",
            )
    await _check_parent(ctx, company, project, values, before)
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


async def _check_parent(
    ctx: BusinessCentral, company: str, project: Doc, values: dict[str, Any], before: Doc
) -> None:
    """The parent a write names (by id or number): a task of the project that may have
    subtasks, and not below the task itself."""
    project_id, number = project["_id"], values.get("taskNumber", before.get("taskNumber"))
    if "parentId" in values:
        values["parentTaskNumber"] = await _number_of(ctx, company, project, values.pop("parentId"))
    if "parentTaskNumber" in values:
        values[EXPLICIT_PARENT] = values["parentTaskNumber"] or None
    parent = values.get("parentTaskNumber")
    if parent:
        if parent == number:
            raise _refused(f"Project task {number} cannot be its own parent.")
        found = await ctx.find_by(TASKS, company, projectId=project_id, taskNumber=parent)
        if found is None or found.get("taskType") == _NOT_A_PARENT:
            raise _refused(
                f"The parent task {parent} must be a task of project {project.get('number')} "
                "other than an End-Total task."
            )
        if found.get("taskType") == "Posting" and await ctx.find_by(
            LEDGER, company, projectId=project_id, taskNumber=parent
        ):
            raise _refused(
                f"Project task {parent} has postings: it cannot become a heading with subtasks."
            )
        if before and await _below(ctx, company, project_id, parent, number):
            raise _refused(f"Project task {number} cannot move below its own subtask {parent}.")


async def next_task_number(ctx: BusinessCentral, company: str, project_id: str) -> str:
    tasks = await find_all(
        ctx.db.collection(TASKS), {"projectId": project_id, COMPANY: company}, {"taskNumber": 1}
    )
    numbers = [int(t["taskNumber"]) for t in tasks if str(t.get("taskNumber", "")).isdigit()]
    return str((max(numbers) // 10 + 1) * 10) if numbers else "1000"


async def _number_of(ctx: BusinessCentral, company: str, project: Doc, task_id: Any) -> Any:
    """The number of the task whose id a client named as a parent (None: no parent)."""
    if not task_id:
        return None
    found = await ctx.get(TASKS, company, str(task_id))
    if found is None or found.get("projectId") != project["_id"]:
        raise _refused(
            f"The parent task {task_id} is not a task of project {project.get('number')}."
        )
    return found["taskNumber"]


async def _below(
    ctx: BusinessCentral, company: str, project_id: str, candidate: str, number: Any
) -> bool:
    """Whether task `candidate` is `number` itself or one of its subtasks."""
    tasks = await find_all(
        ctx.db.collection(TASKS),
        {"projectId": project_id, COMPANY: company},
        {"taskNumber": 1, "parentTaskNumber": 1},
    )
    parents = {t["taskNumber"]: t.get("parentTaskNumber") for t in tasks}
    current: Any = candidate
    seen: set[Any] = set()
    while current is not None and current not in seen:
        if current == number:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


async def reindent(
    ctx: BusinessCentral, company: str, project_id: str, journal: Journal | None
) -> None:
    """Recompute `indentation`, the implicit parents (`parentTaskNumber`, `parentId`), the
    headings that gained subtasks and every task's and the project's actual totals."""
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
    totals = await _totals(ctx, company, project_id, parents)
    explicit_parents = {t.get(EXPLICIT_PARENT) for t in tasks}
    stamp = now()
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
        parent_id = by_number[implied]["_id"] if implied in by_number else None
        if task.get("parentId") != parent_id:
            changes["parentId"] = parent_id
        if task.get("taskType") == "Posting" and task["taskNumber"] in explicit_parents:
            changes["taskType"] = "Heading"
        cost, work = totals.get(task["taskNumber"], (0.0, 0.0))
        if (task.get("actualCost"), task.get("actualWork")) != (cost, work):
            changes.update(actualCost=cost, actualWork=work)
        if changes:
            changes["lastModifiedDateTime"] = stamp
            await ctx.db.update(TASKS, task, changes, journal)
    project = await ctx.get(PROJECTS, company, project_id)
    cost, work = totals.get(None, (0.0, 0.0))
    if project is not None and (project.get("actualCost"), project.get("actualWork")) != (
        cost,
        work,
    ):
        changes = {"actualCost": cost, "actualWork": work, "lastModifiedDateTime": stamp}
        await ctx.db.update(PROJECTS, project, changes, journal)


async def _totals(
    ctx: BusinessCentral, company: str, project_id: str, parents: dict[str, str | None]
) -> dict[str | None, tuple[float, float]]:
    """(actual cost, actual hours) by task number, each with its subtasks'; the project's
    own under None."""
    entries = await find_all(
        ctx.db.collection(LEDGER),
        {"projectId": project_id, COMPANY: company},
        {"taskNumber": 1, "type": 1, "quantity": 1, "totalCost": 1},
    )
    sums: dict[str | None, list[float]] = {}
    for entry in entries:
        hours = float(entry.get("quantity") or 0.0) if entry.get("type") == "Resource" else 0.0
        chain: list[str | None] = []
        current: str | None = entry.get("taskNumber")
        while current is not None and current not in chain:
            chain.append(current)
            current = parents.get(current)
        for number in [*chain, None]:  # the task, its parents, the project
            total = sums.setdefault(number, [0.0, 0.0])
            total[0] += float(entry.get("totalCost") or 0.0)
            total[1] += hours
    return {number: (round(cost, 2), round(work, 2)) for number, (cost, work) in sums.items()}


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
    await reindent(ctx, company, project["_id"], None)  # the totals the posting raised
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
        "projectTaskId": task["_id"],
        "type": kind,
        "number": str(line.get("number") or ""),
        "description": str(description or "")[:100],
        "quantity": float(quantity),
        "unitCost": float(unit_cost),
        "totalCost": round(float(quantity) * float(unit_cost), 2),
        "unitPrice": float(line.get("unitPrice") or 0.0),
        "totalPrice": round(float(quantity) * float(line.get("unitPrice") or 0.0), 2),
    }

"""Project accounting in Tryton: activities (`project.work` of type task, in a tree under
the project), workers (`company.employee`, with the cost price of `timesheet_cost`) and
actual hours (`timesheet.line`, valued at the employee's cost price on the line's date; a
project's cost is then what `project_revenue` adds up).

Which project an activity belongs to comes from the work's `path` (the ids from the root
down); which activity a timesheet line is booked on, from its timesheet work's origin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from adapters.base import Entity
from adapters.tryton.entities import EntityDef, Shape
from adapters.tryton.fields import FieldDef, Kind, Write

if TYPE_CHECKING:
    from adapters.tryton.rpc import TrytonRPC

RO = Write.NONE


class ActivityShape(Shape):
    extra_reads = ("path",)

    async def enrich(
        self,
        rpc: TrytonRPC,
        entity: EntityDef,
        rows: Sequence[Mapping[str, Any]],
        values: Sequence[dict[str, Any]],
        wanted: frozenset[str],
    ) -> None:
        for row, record in zip(rows, values, strict=True):
            if "project" in wanted:
                root = str(row.get("path") or "").strip("/").split("/")[0]
                record["project"] = root or None

    async def prepare_create(
        self, rpc: TrytonRPC, entity: EntityDef, shaped: Mapping[str, Any], tryton: dict[str, Any]
    ) -> None:
        # An activity named with its project only hangs directly under the project.
        if not tryton.get("parent") and shaped.get("project"):
            tryton["parent"] = int(shaped["project"])


class ActualShape(Shape):
    extra_reads = ("work.origin", "duration", "cost_price")

    async def enrich(
        self,
        rpc: TrytonRPC,
        entity: EntityDef,
        rows: Sequence[Mapping[str, Any]],
        values: Sequence[dict[str, Any]],
        wanted: frozenset[str],
    ) -> None:
        for row, record in zip(rows, values, strict=True):
            work = row.get("work.")
            origin = work.get("origin") if isinstance(work, Mapping) else None
            if "activity" in wanted:
                model, _, ident = str(origin or "").partition(",")
                record["activity"] = ident if model == "project.work" and ident else None
            if "total_cost" in wanted:
                duration = row.get("duration")
                hours = duration.total_seconds() / 3600 if duration is not None else 0.0
                record["total_cost"] = round(hours * float(row.get("cost_price") or 0), 2)


ACTIVITY = EntityDef(
    name=Entity.ACTIVITY,
    model="project.work",
    fields=(
        FieldDef("name"),
        FieldDef("parent", Kind.REF, lookup=Entity.ACTIVITY),
        FieldDef("project", Kind.REF, source="", write=Write.SHAPE, lookup=Entity.PROJECT),
        FieldDef("effort_hours", Kind.HOURS, source="effort_duration"),
        FieldDef("progress", Kind.FLOAT),
        FieldDef("comment"),
        FieldDef("status", Kind.REF),
        FieldDef("timesheet_hours", Kind.HOURS, source="timesheet_duration", write=RO),
        FieldDef("cost", Kind.DECIMAL, write=RO),
    ),
    domain=(("type", "=", "task"),),
    defaults=MappingProxyType({"type": "task"}),
    shape=ActivityShape(),
)

WORKER = EntityDef(
    name=Entity.WORKER,
    model="company.employee",
    fields=(
        FieldDef("name", source="party.name", write=RO),
        FieldDef("party", Kind.REF),
        FieldDef("company", Kind.REF),
        FieldDef("cost_price", Kind.DECIMAL, write=RO),
        FieldDef("active", Kind.BOOLEAN),
    ),
)

# Timesheet lines change only by being written; `last_modified_at` follows new postings.
PROJECT_ACTUAL = EntityDef(
    name=Entity.PROJECT_ACTUAL,
    model="timesheet.line",
    fields=(
        FieldDef("employee", Kind.REF, lookup=Entity.WORKER),
        FieldDef("date", Kind.DATE),
        FieldDef("hours", Kind.HOURS, source="duration"),
        FieldDef("description"),
        FieldDef("cost_price", Kind.DECIMAL, write=RO),
        FieldDef("activity", Kind.REF, source="", write=RO, lookup=Entity.ACTIVITY),
        FieldDef("total_cost", Kind.DECIMAL, source="", write=RO),
    ),
    read_only=True,
    shape=ActualShape(),
)

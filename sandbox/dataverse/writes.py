"""Creating, updating, upserting and deleting Dataverse records.

A body is validated completely (unknown or read-only properties, wrong types, bindings to
records that do not exist) before the first write, so a rejected request leaves nothing behind.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from sandbox.dataverse import registration, rules
from sandbox.dataverse.catalogue import NAMESPACE, TABLES, Table
from sandbox.dataverse.context import Dataverse, etag
from sandbox.errors import ErrorKind, SandboxError
from sandbox.model import LOOKUP_TARGETS
from sandbox.odata.paths import Segment
from sandbox.odata.values import from_json, now
from sandbox.store.database import Doc, Journal
from sandbox.store.reader import find_all

BIND = "@odata.bind"
_REFERENCE = re.compile(r"(?:^|/)([A-Za-z_][\w]*)\(([^()]*)\)$")


def _payload(message: str) -> SandboxError:
    return SandboxError(ErrorKind.BAD_PAYLOAD, message)


async def parse_body(  # noqa: PLR0912 - one branch per kind of property
    ctx: Dataverse, table: Table, body: dict[str, Any], *, creating: bool
) -> tuple[dict[str, Any], str | None]:
    """Validate a body; returns storage values and the client-supplied key, if any."""
    entity_set = table.entity_set
    values: dict[str, Any] = {}
    key: str | None = None
    references: list[tuple[str, str, dict[str, Any]]] = []
    lookup_targets: dict[str, str] = {}
    for name, value in body.items():
        if name.endswith(BIND):
            nav = name[: -len(BIND)]
            lookup = table.lookups.get(nav)
            if lookup is None:
                raise _payload(
                    f"An undeclared property '{nav}' which only has property annotations in the "
                    f"payload but no property value was found in the payload. In OData, only "
                    f"declared navigation properties and declared named streams can be "
                    f"represented as properties without values."
                )
            if value is None:
                values[lookup.column] = None
                continue
            target_set, key_filter = parse_reference(ctx, nav, lookup.targets[nav], value)
            values[lookup.column] = key_filter
            lookup_targets[lookup.column] = target_set
            references.append((lookup.column, target_set, key_filter))
            continue
        if name.startswith("@") or "@" in name:
            continue  # instance annotations (@odata.type, …) carry no data
        field = entity_set.fields.get(name)
        if field is None:
            raise _payload(
                f"The property '{name}' does not exist on type '{NAMESPACE}.{entity_set.entity}'. "
                "Make sure to only use property names that are defined by the type."
            )
        if name == entity_set.key:
            if not creating:
                raise _payload(f"The key property '{name}' cannot be changed.")
            key = from_json(field, value)
            continue
        if field.read_only:
            hint = ""
            if name.startswith("_") and name.endswith("_value"):
                nav_names = [n for n, lk in table.lookups.items() if lk.column == name]
                hint = f"; set it with '{nav_names[0]}@odata.bind'" if nav_names else ""
            raise SandboxError(ErrorKind.READ_ONLY, f"The property '{name}' is read-only{hint}.")
        values[entity_set.column(name)] = from_json(field, value)
    if creating:
        _required(table, values)
    for column, target_set, key_filter in references:
        values[column] = await _resolve_reference(ctx, target_set, key_filter)
    if lookup_targets:
        values[LOOKUP_TARGETS] = lookup_targets
    return values, key


def parse_reference(
    ctx: Dataverse, nav: str, expected: str, value: Any
) -> tuple[str, dict[str, Any]]:
    if not isinstance(value, str):
        raise _payload(f"The value of '{nav}{BIND}' must be a URI such as '/{expected}(<id>)'.")
    match = _REFERENCE.search(value.split("?")[0])
    if match is None:
        raise _payload(f"The value '{value}' of '{nav}{BIND}' is not a valid entity URI.")
    target_set = match.group(1)
    target = TABLES.get(target_set)
    if target is None:
        raise SandboxError(
            ErrorKind.UNKNOWN_RESOURCE, f"Resource not found for the segment '{target_set}'."
        )
    if target_set != expected:
        raise _payload(
            f"The navigation property '{nav}' refers to '{expected}', not to '{target_set}'."
        )
    return target_set, ctx.key_filter(target, Segment(target_set, match.group(2)))


async def _resolve_reference(ctx: Dataverse, target_set: str, key_filter: dict[str, Any]) -> str:
    target = TABLES[target_set]
    found = await ctx.db.collection(target.entity_set).find_one(key_filter, {"_id": 1})
    if found is None:
        shown = key_filter.get("_id") or key_filter
        raise SandboxError(
            ErrorKind.REFERENCE_NOT_FOUND,
            f"{target.entity_set.entity} With Id = {shown} Does Not Exist",
        )
    return str(found["_id"])


def _required(table: Table, values: dict[str, Any]) -> None:
    for field in table.entity_set.fields.values():
        if field.required and values.get(field.name) is None:
            raise _payload(
                f"The property '{field.name}' is required to create a "
                f"'{table.entity_set.entity}' record."
            )
    for lookup in {lk.column: lk for lk in table.lookups.values()}.values():
        if lookup.required and values.get(lookup.column) is None:
            navs = " or ".join(f"'{nav}{BIND}'" for nav in lookup.targets)
            raise _payload(
                f"The lookup '{lookup.name}' is required to create a '{table.entity_set.entity}' "
                f"record: set {navs}."
            )


async def create(
    ctx: Dataverse,
    table: Table,
    body: dict[str, Any],
    journal: Journal | None,
    *,
    key: str | None = None,
) -> Doc:
    values, body_key = await parse_body(ctx, table, body, creating=True)
    key = key or body_key or str(uuid.uuid4())
    return await insert_values(ctx, table, values, key, journal)


async def insert_values(
    ctx: Dataverse, table: Table, values: dict[str, Any], key: str, journal: Journal | None
) -> Doc:
    await registration.check(ctx, table, values, None)
    if "ownerid" in table.lookups and values.get("_ownerid_value") is None:
        values["_ownerid_value"] = ctx.acting_user
    await rules.prepare_create(ctx, table, values)
    stamp = now().replace(microsecond=0)
    doc = {"_id": key, **values, "createdon": stamp, "modifiedon": stamp}
    doc = await ctx.db.insert(table.entity_set, doc, journal)
    await rules.after_write(ctx, table, doc, journal)
    return doc


async def update(
    ctx: Dataverse, table: Table, before: Doc, body: dict[str, Any], journal: Journal | None
) -> Doc:
    values, _ = await parse_body(ctx, table, body, creating=False)
    return await update_values(ctx, table, before, values, journal)


async def update_values(
    ctx: Dataverse, table: Table, before: Doc, values: dict[str, Any], journal: Journal | None
) -> Doc:
    await registration.check(ctx, table, values, before)
    await rules.prepare_update(ctx, table, before, values)
    if LOOKUP_TARGETS in values:
        values[LOOKUP_TARGETS] = {**(before.get(LOOKUP_TARGETS) or {}), **values[LOOKUP_TARGETS]}
    values["modifiedon"] = now().replace(microsecond=0)
    doc = await ctx.db.update(table.entity_set, before, values, journal)
    await rules.after_write(ctx, table, doc, journal)
    if table.parent is not None:
        nav = table.parent[0]
        old_parent = before.get(f"_{nav}_value")
        if old_parent and old_parent != doc.get(f"_{nav}_value"):
            await rules.after_write(ctx, table, before, journal)
    return doc


async def delete(ctx: Dataverse, table: Table, before: Doc, journal: Journal | None) -> None:
    registration.check_delete(table)
    await rules.check_delete(ctx, table, before)
    entity_set = table.entity_set
    for nav in entity_set.navigations.values():
        if nav.many and TABLES[nav.target].parent is not None:
            child_table = TABLES[nav.target]
            children = await find_all(
                ctx.db.collection(child_table.entity_set), {nav.remote: before["_id"]}, None
            )
            for child in children:
                await ctx.db.delete(
                    child_table.entity_set,
                    child,
                    journal,
                    tombstone=child_table.entity_set.change_tracking,
                )
    await ctx.db.delete(entity_set, before, journal, tombstone=entity_set.change_tracking)
    await rules.after_write(ctx, table, before, journal)


def check_if_match(request_headers: Any, doc: Doc | None) -> None:
    """Apply If-Match / If-None-Match to the current record (None: it does not exist)."""
    if_match = request_headers.get("if-match")
    if_none_match = request_headers.get("if-none-match")
    if if_match is not None:
        if doc is None:
            raise SandboxError(ErrorKind.NOT_FOUND, "The record does not exist.")
        if if_match.strip() != "*" and if_match.strip() != etag(doc):
            raise SandboxError(
                ErrorKind.PRECONDITION_FAILED,
                "The version of the existing record doesn't match the RowVersion property "
                "provided.",
            )
    if if_none_match is not None and doc is not None and if_none_match.strip() == "*":
        raise SandboxError(ErrorKind.DUPLICATE, "A record with matching key values already exists.")

"""Reading Dataverse records: collections with paging, single records, `$expand`, `$count`."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sandbox.dataverse.catalogue import TABLES, Table
from sandbox.dataverse.context import Dataverse, etag
from sandbox.dataverse.registration import UNREADABLE
from sandbox.errors import ErrorKind, SandboxError
from sandbox.http import ApiRequest, ApiResponse, json_response
from sandbox.model import LOOKUP_TARGETS, VERSION
from sandbox.odata import tokens
from sandbox.odata.options import Expand, QueryOptions
from sandbox.odata.values import to_json
from sandbox.store.database import Doc
from sandbox.store.reader import PageQuery, count, find_all, read_page, sort_docs

DEFAULT_PAGE_SIZE = 5000
COUNT_CAP = 5000  # Dataverse counts at most 5,000 records
LOOKUP_NAME = "@Microsoft.Dynamics.CRM.lookuplogicalname"
_URL_SAFE = "$,()'@"


def wants_annotations(request: ApiRequest) -> bool:
    value = request.preferences().get("odata.include-annotations", "")
    return value == "*" or "lookuplogicalname" in value


def page_size(request: ApiRequest, options: QueryOptions) -> tuple[int, bool]:
    """The page size and whether it came from `Prefer: odata.maxpagesize`."""
    if options.top is not None:
        return max(options.top, 0), False
    raw = request.preferences().get("odata.maxpagesize")
    if raw is None:
        return DEFAULT_PAGE_SIZE, False
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if not 1 <= size <= DEFAULT_PAGE_SIZE:
        raise SandboxError(
            ErrorKind.BAD_QUERY,
            f"The Prefer header value odata.maxpagesize={raw} is not valid: use 1 to 5000.",
        )
    return size, True


def projection(
    table: Table, select: list[str] | None, expands: list[Expand]
) -> dict[str, int] | None:
    if not select:
        return None
    entity_set = table.entity_set
    columns = {entity_set.column(name): 1 for name in select}
    columns.update({VERSION: 1, LOOKUP_TARGETS: 1})
    for expand in expands:
        if not expand.navigation.many:
            columns[expand.navigation.local] = 1
    return columns


def render(
    table: Table, doc: Doc, select: list[str] | None, *, annotations: bool
) -> dict[str, Any]:
    entity_set = table.entity_set
    out: dict[str, Any] = {"@odata.etag": etag(doc)}
    names = select or list(entity_set.fields)
    targets = doc.get(LOOKUP_TARGETS) or {}
    hidden = UNREADABLE.get(entity_set.name, frozenset())
    for name in names:
        spec = entity_set.fields[name]
        value = None if name in hidden else doc.get(entity_set.column(name))
        out[name] = to_json(spec, value, milliseconds=False)
        if annotations and value is not None and name.startswith("_") and name.endswith("_value"):
            target = targets.get(name) or _single_target(table, name)
            target_table = TABLES.get(target) if target else None
            if target_table is not None:
                out[name + LOOKUP_NAME] = target_table.entity_set.entity
    out[entity_set.key] = doc["_id"]
    return out


def _single_target(table: Table, column: str) -> str | None:
    for lookup in table.lookups.values():
        if lookup.column == column and len(lookup.targets) == 1:
            return next(iter(lookup.targets.values()))
    return None


def context_url(
    request: ApiRequest, table: Table, select: list[str] | None, suffix: str = ""
) -> str:
    shape = f"({','.join(select)})" if select else ""
    return f"{request.root}$metadata#{table.entity_set.name}{shape}{suffix}"


async def expand(
    ctx: Dataverse,
    docs: list[Doc],
    rendered: list[dict[str, Any]],
    expands: list[Expand],
    annotations: bool,
) -> None:
    """Attach expanded navigation properties: one query per navigation for the whole page."""
    for item in expands:
        target = TABLES[item.target.name]
        nav = item.navigation
        select = item.select or None
        proj = projection(target, select, [])
        if proj is not None and nav.many:
            proj[nav.remote] = 1
        if not nav.many:
            ids = sorted({str(doc[nav.local]) for doc in docs if doc.get(nav.local)})
            found = (
                await find_all(ctx.db.collection(target.entity_set), {"_id": {"$in": ids}}, proj)
                if ids
                else []
            )
            by_id = {doc["_id"]: doc for doc in found}
            for doc, out in zip(docs, rendered, strict=True):
                related = by_id.get(doc.get(nav.local))
                targets = doc.get(LOOKUP_TARGETS) or {}
                if (
                    related is not None
                    and targets.get(nav.local, item.target.name) != item.target.name
                ):
                    related = None
                out[nav.name] = (
                    render(target, related, select, annotations=annotations) if related else None
                )
            continue
        keys = [doc["_id"] for doc in docs]
        children = (
            await find_all(
                ctx.db.collection(target.entity_set),
                {**item.filter, nav.remote: {"$in": keys}},
                proj,
            )
            if keys
            else []
        )
        sort_docs(children, item.orderby)
        grouped: dict[Any, list[Doc]] = {}
        for child in children:
            grouped.setdefault(child.get(nav.remote), []).append(child)
        for doc, out in zip(docs, rendered, strict=True):
            mine = grouped.get(doc["_id"], [])
            if item.top is not None:
                mine = mine[: item.top]
            out[nav.name] = [
                render(target, child, select, annotations=annotations) for child in mine
            ]


async def query(
    ctx: Dataverse, table: Table, request: ApiRequest, options: QueryOptions
) -> ApiResponse:
    size, from_prefer = page_size(request, options)
    cursor = tokens.decode(options.skiptoken, "$skiptoken") if options.skiptoken else None
    if cursor is not None and not from_prefer and options.top is None:
        size = int(cursor.get("n", size))
    collection = ctx.db.collection(table.entity_set)
    entity_set = table.entity_set
    max_seq = await ctx.db.clock.current()
    docs, position = await read_page(
        PageQuery(
            collection=collection,
            filter=options.filter,
            order=options.orderby,
            size=size,
            projection=projection(table, options.select, options.expand),
            time_columns=frozenset(entity_set.column(c) for c in entity_set.time_columns),
            selective_columns=entity_set.selective_columns,
            max_seq=max_seq,
        ),
        cursor.get("r") if cursor else None,
    )
    annotations = wants_annotations(request)
    rendered = [render(table, doc, options.select, annotations=annotations) for doc in docs]
    await expand(ctx, docs, rendered, options.expand, annotations)
    body: dict[str, Any] = {"@odata.context": context_url(request, table, options.select)}
    if options.count:
        body["@odata.count"] = await count(collection, options.filter, COUNT_CAP)
    body["value"] = rendered
    if position is not None and options.top is None:
        body["@odata.nextLink"] = next_link(request, {"r": position, "n": size})
    headers = {}
    applied = []
    if from_prefer:
        applied.append(f"odata.maxpagesize={size}")
    if annotations:
        applied.append('odata.include-annotations="*"')
    if applied:
        headers["Preference-Applied"] = ",".join(applied)
    return json_response(200, body, headers)


def next_link(request: ApiRequest, state: dict[str, Any], name: str = "$skiptoken") -> str:
    params = [(k, v) for k, v in request.query if k not in ("$skiptoken", "$deltatoken")]
    params.append((name, tokens.encode(state)))
    return f"{request.root}{request.path}?{urlencode(params, safe=_URL_SAFE)}"


async def get_one(
    ctx: Dataverse, table: Table, key: dict[str, Any], request: ApiRequest, options: QueryOptions
) -> ApiResponse:
    found = await ctx.find(table, key)
    if found is None:
        await ctx.require(table, key)
    assert found is not None
    if request.headers.get("if-none-match") == etag(found):
        return ApiResponse(304, None, {"ETag": etag(found)})
    annotations = wants_annotations(request)
    out = render(table, found, options.select, annotations=annotations)
    await expand(ctx, [found], [out], options.expand, annotations)
    body = {"@odata.context": context_url(request, table, options.select, "/$entity"), **out}
    return json_response(200, body, {"ETag": etag(found)})


async def count_only(ctx: Dataverse, table: Table, options: QueryOptions) -> ApiResponse:
    total = await count(ctx.db.collection(table.entity_set), options.filter, COUNT_CAP)
    return ApiResponse(200, str(total).encode(), {"OData-Version": "4.0"}, "text/plain")

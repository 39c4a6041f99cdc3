"""Change tracking: `Prefer: odata.track-changes` and the `@odata.deltaLink` it returns.

The initial request pages through the whole table (with `$select` only, as Dataverse allows)
and ends with a delta link whose token is the table's row-version watermark at the start.
Following the link returns the records created or changed since, and the ones deleted as
`$deletedEntity` entries, in row-version order; its last page carries the next delta link.
A record changed while the initial pages were read may appear twice; none is ever skipped.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sandbox.dataverse import errors, reads
from sandbox.dataverse.catalogue import Table
from sandbox.dataverse.context import Dataverse
from sandbox.errors import ErrorKind, SandboxError
from sandbox.http import ApiRequest, ApiResponse, json_response
from sandbox.model import VERSION
from sandbox.odata import tokens
from sandbox.odata.options import QueryOptions
from sandbox.store.database import TOMBSTONES, Doc
from sandbox.store.reader import PageQuery, read_page

_URL_SAFE = "$,()'@"


def continues(options: QueryOptions) -> bool:
    """Whether a `$skiptoken` is a page of an initial change-tracking query."""
    if options.skiptoken is None:
        return False
    return "d" in tokens.decode(options.skiptoken, "$skiptoken")


def check_trackable(table: Table, options: QueryOptions) -> None:
    entity_set = table.entity_set
    if not entity_set.change_tracking:
        raise SandboxError(
            ErrorKind.BUSINESS_RULE,
            f"Entity: {entity_set.entity} isn't enabled for change tracking.",
            code=errors.CHANGE_TRACKING_DISABLED,
        )
    used = [
        name
        for name, present in (
            ("$filter", bool(options.filter_text)),
            ("$orderby", bool(options.orderby)),
            ("$expand", bool(options.expand)),
            ("$top", options.top is not None),
            ("$apply", options.apply is not None),
        )
        if present
    ]
    if used:
        raise SandboxError(
            ErrorKind.BAD_QUERY,
            "Change tracking supports $select only; remove "  # noqa: S608 - not SQL
            f"{', '.join(used)} from the request.",
        )


async def initial(
    ctx: Dataverse, table: Table, request: ApiRequest, options: QueryOptions
) -> ApiResponse:
    check_trackable(table, options)
    size, _ = reads.page_size(request, options)
    cursor = tokens.decode(options.skiptoken, "$skiptoken") if options.skiptoken else None
    watermark = int(cursor["d"]) if cursor else await ctx.db.clock.watermark()
    if cursor is not None:
        size = int(cursor.get("n", size))
    entity_set = table.entity_set
    docs, position = await read_page(
        PageQuery(
            collection=ctx.db.collection(entity_set),
            filter={},
            order=[],
            size=size,
            projection=reads.projection(table, options.select, []),
            time_columns=frozenset(),
            selective_columns=frozenset(),
            max_seq=await ctx.db.clock.current(),
        ),
        cursor.get("r") if cursor else None,
    )
    annotations = reads.wants_annotations(request)
    body: dict[str, Any] = {
        "@odata.context": reads.context_url(request, table, options.select, "/$delta"),
        "value": [
            reads.render(table, doc, options.select, annotations=annotations) for doc in docs
        ],
    }
    if position is not None:
        body["@odata.nextLink"] = reads.next_link(
            request, {"r": position, "n": size, "d": watermark}
        )
    else:
        body["@odata.deltaLink"] = delta_link(request, options, watermark)
    return json_response(200, body, _applied(request, size))


async def delta(
    ctx: Dataverse, table: Table, request: ApiRequest, options: QueryOptions
) -> ApiResponse:
    check_trackable(table, options)
    assert options.deltatoken is not None
    state = tokens.decode(options.deltatoken, "$deltatoken")
    since = int(state.get("v", -1))
    if since < 0:
        raise SandboxError(
            ErrorKind.BAD_QUERY, f"The $deltatoken '{options.deltatoken}' is not valid."
        )
    upto = int(state["u"]) if "u" in state else await ctx.db.clock.watermark()
    size, _ = reads.page_size(request, options)
    size = int(state.get("n", size)) if "u" in state else size
    changed, deleted, last = await _changes(
        ctx, table, since=since, upto=upto, size=size, select=options.select
    )
    annotations = reads.wants_annotations(request)
    context_deleted = f"{request.root}$metadata#{table.entity_set.name}/$deletedEntity"
    entries: list[tuple[int, dict[str, Any]]] = [
        (doc[VERSION], reads.render(table, doc, options.select, annotations=annotations))
        for doc in changed
    ]
    entries += [
        (tomb[VERSION], {"@odata.context": context_deleted, "id": tomb["id"], "reason": "deleted"})
        for tomb in deleted
    ]
    entries.sort(key=lambda entry: entry[0])
    body: dict[str, Any] = {
        "@odata.context": reads.context_url(request, table, options.select, "/$delta"),
        "value": [entry for _, entry in entries],
    }
    if last is not None and last < upto:
        body["@odata.nextLink"] = _link(request, options, {"v": last, "u": upto, "n": size})
    else:
        body["@odata.deltaLink"] = delta_link(request, options, upto)
    return json_response(200, body, _applied(request, size))


async def _changes(
    ctx: Dataverse, table: Table, *, since: int, upto: int, size: int, select: list[str] | None
) -> tuple[list[Doc], list[Doc], int | None]:
    """Changed records and tombstones in (since, upto], at most `size` of them in version order;
    `last` is the version up to which the page is complete (None: all of the range)."""
    records = ctx.db.collection(table.entity_set)
    graves = ctx.db.database[TOMBSTONES]
    projection = reads.projection(table, select, [])
    changed: list[Doc] = []
    deleted: list[Doc] = []
    lo, window = since, float(size * 2 + 16)
    while lo < upto:
        hi = min(upto, lo + int(window))
        span = {VERSION: {"$gt": lo, "$lte": hi}}
        found = await records.find(span, projection).to_list()
        gone = await graves.find({**span, "set": table.entity_set.name}).to_list()
        changed += found
        deleted += gone
        lo = hi
        total = len(changed) + len(deleted)
        if total > size:
            break
        window *= 2 if total == 0 else max(1.5, min(8.0, size / max(total, 1)))
    if len(changed) + len(deleted) <= size:
        return changed, deleted, None if lo >= upto else lo
    merged = sorted(
        [(doc[VERSION], 0, doc) for doc in changed] + [(doc[VERSION], 1, doc) for doc in deleted],
        key=lambda item: (item[0], item[1]),
    )[:size]
    last = merged[-1][0]
    return (
        [doc for _, kind, doc in merged if kind == 0],
        [doc for _, kind, doc in merged if kind == 1],
        last,
    )


def delta_link(request: ApiRequest, options: QueryOptions, watermark: int) -> str:
    return _link(request, options, {"v": watermark}, name="$deltatoken")


def _link(
    request: ApiRequest, options: QueryOptions, state: dict[str, Any], name: str = "$deltatoken"
) -> str:
    params: list[tuple[str, str]] = []
    if options.select:
        params.append(("$select", ",".join(options.select)))
    params.append((name, tokens.encode(state)))
    path = request.path.split("?")[0]
    return f"{request.root}{path}?{urlencode(params, safe=_URL_SAFE)}"


def _applied(request: ApiRequest, size: int) -> dict[str, str]:
    applied = ["odata.track-changes"]
    if "odata.maxpagesize" in request.preferences():
        applied.append(f"odata.maxpagesize={size}")
    return {"Preference-Applied": ",".join(applied)}

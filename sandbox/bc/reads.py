"""Reading Business Central records: collections with server-driven paging, `$skip`, `$top`,
single records, navigation, `$expand` of lines and of `customerFinancialDetail`."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from sandbox.bc import finance
from sandbox.bc.catalogue import COMPANY_SETS
from sandbox.bc.context import BusinessCentral, etag
from sandbox.errors import ErrorKind, SandboxError
from sandbox.http import ApiRequest, ApiResponse, json_response
from sandbox.model import COMPANY, VERSION, EntitySet
from sandbox.odata import tokens
from sandbox.odata.options import Expand, QueryOptions
from sandbox.odata.values import to_json
from sandbox.store.database import Doc
from sandbox.store.reader import PageQuery, count, find_all, read_page, sort_docs

DEFAULT_PAGE_SIZE = 20000
FINANCIAL = "customerFinancialDetails"
_URL_SAFE = "$,()'@"


def render(entity_set: EntitySet, doc: Doc, select: list[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if VERSION in doc:
        out["@odata.etag"] = etag(doc)
    out["id"] = doc["_id"]
    for name in select or list(entity_set.fields):
        if name == "id":
            continue
        value = doc.get(name)
        if name == "status" and entity_set.name == "salesQuotes":
            value = _quote_status(doc)
        out[name] = to_json(entity_set.fields[name], value, milliseconds=True)
    return out


def _quote_status(doc: Doc) -> Any:
    status = doc.get("status")
    valid_until = doc.get("validUntilDate")
    today = dt.datetime.now(dt.UTC).date().isoformat()
    if status in ("Draft", "Sent") and valid_until and valid_until < today:
        return "Expired"
    return status


def projection(
    entity_set: EntitySet, select: list[str] | None, expands: list[Expand]
) -> dict[str, int] | None:
    if not select:
        return None
    columns = {entity_set.column(name): 1 for name in select}
    columns[VERSION] = 1
    if entity_set.name == "customers" and "balanceDue" in select:
        columns[finance.FIGURES] = 1
    if entity_set.name == "salesQuotes" and "status" in select:
        columns["validUntilDate"] = 1
    for item in expands:
        if not item.navigation.many and item.navigation.local != "id":
            columns[item.navigation.local] = 1
        if item.target.name == FINANCIAL:
            columns.update({"number": 1, finance.FIGURES: 1})
    return columns


def page_size(request: ApiRequest) -> tuple[int, bool]:
    raw = request.preferences().get("odata.maxpagesize")
    if raw is None:
        return DEFAULT_PAGE_SIZE, False
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if size < 1:
        raise SandboxError(
            ErrorKind.BAD_QUERY, f"The Prefer header value odata.maxpagesize={raw} is not valid."
        )
    return min(size, DEFAULT_PAGE_SIZE), True


def context_url(request: ApiRequest, company: str, entity_set: EntitySet, suffix: str = "") -> str:
    return f"{request.root}$metadata#companies({company})/{entity_set.name}{suffix}"


async def query(
    ctx: BusinessCentral,
    company: str,
    entity_set: EntitySet,
    request: ApiRequest,
    options: QueryOptions,
    *,
    scope: dict[str, Any] | None = None,
) -> ApiResponse:
    financial = entity_set.name == FINANCIAL
    source = COMPANY_SETS["customers"] if financial else entity_set
    size, from_prefer = page_size(request)
    cursor = tokens.decode(options.skiptoken, "$skiptoken") if options.skiptoken else None
    mongo_filter = {**options.filter, **(scope or {}), COMPANY: company}
    remaining = options.top
    if cursor is not None:
        remaining = cursor.get("t")
        size = int(cursor.get("n", size))
    page = size if remaining is None else min(size, remaining)
    position = cursor.get("r") if cursor else None
    if position is None and options.skip:
        position = {"p": "offset", "o": options.skip}
    select = None if financial else options.select
    docs, next_position = await read_page(
        PageQuery(
            collection=ctx.db.collection(source),
            filter=mongo_filter,
            order=options.orderby,
            size=page,
            projection={"number": 1, VERSION: 1, finance.FIGURES: 1}
            if financial
            else projection(source, select, options.expand),
            time_columns=source.time_columns,
            selective_columns=source.selective_columns,
            max_seq=await ctx.db.clock.current(),
        ),
        position,
    )
    if financial:
        docs = [finance.detail(doc) for doc in docs]
    rendered = await render_page(ctx, company, entity_set, docs, options)
    body: dict[str, Any] = {"@odata.context": context_url(request, company, entity_set)}
    if options.count:
        body["@odata.count"] = await count(ctx.db.collection(source), mongo_filter, None)
    body["value"] = rendered
    left = None if remaining is None else remaining - len(docs)
    if next_position is not None and (left is None or left > 0):
        body["@odata.nextLink"] = next_link(request, {"r": next_position, "n": size, "t": left})
    headers = {"Preference-Applied": f"odata.maxpagesize={size}"} if from_prefer else {}
    return json_response(200, body, headers)


async def render_page(
    ctx: BusinessCentral,
    company: str,
    entity_set: EntitySet,
    docs: list[Doc],
    options: QueryOptions,
) -> list[dict[str, Any]]:
    if entity_set.name == "customers" and (not options.select or "balanceDue" in options.select):
        for doc in docs:
            doc["balanceDue"] = finance.figures_of(doc)["balance"]
    rendered = [render(entity_set, doc, options.select) for doc in docs]
    await expand(ctx, company, docs, rendered, options.expand)
    return rendered


async def expand(
    ctx: BusinessCentral,
    company: str,
    docs: list[Doc],
    rendered: list[dict[str, Any]],
    expands: list[Expand],
) -> None:
    for item in expands:
        nav, target = item.navigation, item.target
        if target.name == FINANCIAL:
            for doc, out in zip(docs, rendered, strict=True):
                detail = render(target, finance.detail(doc), item.select)
                out[nav.name] = [detail] if nav.name == FINANCIAL else detail
            continue
        collection = ctx.db.collection(target)
        proj = projection(target, item.select, [])
        if not nav.many:
            ids = sorted({str(doc[nav.local]) for doc in docs if doc.get(nav.local)})
            related = (
                await find_all(collection, {"_id": {"$in": ids}, COMPANY: company}, proj)
                if ids
                else []
            )
            by_id = {doc["_id"]: doc for doc in related}
            for doc, out in zip(docs, rendered, strict=True):
                match = by_id.get(doc.get(nav.local))
                out[nav.name] = render(target, match, item.select) if match else None
            continue
        if proj is not None:
            proj[nav.remote] = 1
        keys = [doc["_id"] for doc in docs]
        children = (
            await find_all(
                collection, {**item.filter, nav.remote: {"$in": keys}, COMPANY: company}, proj
            )
            if keys
            else []
        )
        sort_docs(children, item.orderby or [("sequence", 1)])
        grouped: dict[Any, list[Doc]] = {}
        for child in children:
            grouped.setdefault(child.get(nav.remote), []).append(child)
        for doc, out in zip(docs, rendered, strict=True):
            mine = grouped.get(doc["_id"], [])
            if item.top is not None:
                mine = mine[: item.top]
            out[nav.name] = [render(target, child, item.select) for child in mine]


def next_link(request: ApiRequest, state: dict[str, Any]) -> str:
    params = [(k, v) for k, v in request.query if k not in ("$skiptoken", "$skip", "$top")]
    params.append(("$skiptoken", tokens.encode(state)))
    return f"{request.root}{request.path}?{urlencode(params, safe=_URL_SAFE)}"


async def get_one(
    ctx: BusinessCentral,
    company: str,
    entity_set: EntitySet,
    doc: Doc,
    *,
    request: ApiRequest,
    options: QueryOptions,
) -> ApiResponse:
    if entity_set.name == FINANCIAL:
        doc = finance.detail(doc)
    rendered = await render_page(ctx, company, entity_set, [doc], options)
    body = {"@odata.context": context_url(request, company, entity_set, "/$entity"), **rendered[0]}
    headers = {"ETag": etag(doc)} if VERSION in doc else {}
    return json_response(200, body, headers)

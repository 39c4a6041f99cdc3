"""Dataverse actions that turn a quote into a new record and answer with it.

- `ReviseQuote` (`{"QuoteId": <id>, "ColumnSet": {...}}`): an active quote is closed as
  Revised (a closed one stays as it is) and a draft copy with the same number, the next
  revision number and copies of the lines is returned.
- `ConvertQuoteToSalesOrder` (same parameters): an active quote is won, and a new active sales
  order with the quote's customer, prices and lines is returned.
"""

from __future__ import annotations

import uuid
from typing import Any

from sandbox.dataverse import reads, rules
from sandbox.dataverse.catalogue import TABLES, Table
from sandbox.dataverse.context import Dataverse
from sandbox.errors import ErrorKind, SandboxError
from sandbox.http import ApiRequest, ApiResponse, json_response
from sandbox.model import SEQ, VERSION
from sandbox.odata.values import now
from sandbox.store.database import Doc, Journal
from sandbox.store.reader import find_all

CONVERSIONS = frozenset({"ReviseQuote", "ConvertQuoteToSalesOrder"})
_HEADER = (
    "name",
    "_customerid_value",
    "_pricelevelid_value",
    "_transactioncurrencyid_value",
    "_opportunityid_value",
    "_ownerid_value",
    "discountamount",
    "totallineitemamount",
    "totalamountlessfreight",
    "totaltax",
    "totalamount",
    "description",
    "_lookups",
)


def _copy(doc: Doc) -> Doc:
    return {k: v for k, v in doc.items() if k not in ("_id", SEQ, VERSION)}


async def _quote(ctx: Dataverse, name: str, request: ApiRequest) -> Doc:
    body = request.json()
    try:
        quote_id = str(uuid.UUID(str(body.get("QuoteId", ""))))
    except ValueError:
        raise SandboxError(
            ErrorKind.BAD_PAYLOAD, f"The parameter 'QuoteId' of '{name}' must be a quote's id."
        ) from None
    return await ctx.require(TABLES["quotes"], {"_id": quote_id})


async def _copy_lines(
    ctx: Dataverse,
    quote_id: str,
    target: Table,
    *,
    parent_column: str,
    parent_id: str,
    journal: Journal | None,
) -> None:
    stamp = now().replace(microsecond=0)
    lines = await find_all(
        ctx.db.collection(TABLES["quotedetails"].entity_set), {"_quoteid_value": quote_id}, None
    )
    for line in sorted(lines, key=lambda line: line.get(SEQ, 0)):
        copy = _copy(line)
        copy.pop("_quoteid_value", None)
        copy.update(
            {
                "_id": str(uuid.uuid4()),
                parent_column: parent_id,
                "createdon": stamp,
                "modifiedon": stamp,
            }
        )
        await ctx.db.insert(target.entity_set, copy, journal)


def _answer(request: ApiRequest, table: Table, doc: Doc) -> ApiResponse:
    body: dict[str, Any] = {
        "@odata.context": reads.context_url(request, table, None, "/$entity"),
        **reads.render(table, doc, None, annotations=False),
    }
    return json_response(200, body)


async def run_conversion(
    ctx: Dataverse, name: str, request: ApiRequest, journal: Journal | None
) -> ApiResponse:
    quote = await _quote(ctx, name, request)
    if name == "ReviseQuote":
        return await _revise(ctx, quote, request, journal)
    return await _to_order(ctx, quote, request, journal)


async def _revise(
    ctx: Dataverse, quote: Doc, request: ApiRequest, journal: Journal | None
) -> ApiResponse:
    quotes = TABLES["quotes"]
    if quote.get("statecode") not in (rules.ACTIVE, rules.CLOSED) or quote.get("statuscode") == 7:
        raise SandboxError(
            ErrorKind.BUSINESS_RULE,
            "Only an active quote, or a closed quote that was not revised, can be revised.",
        )
    stamp = now().replace(microsecond=0)
    if quote.get("statecode") == rules.ACTIVE:
        closing = {
            "statecode": rules.CLOSED,
            "statuscode": 7,
            "closedon": stamp,
            "modifiedon": stamp,
        }
        await ctx.db.update(quotes.entity_set, quote, closing, journal)
    copy = _copy(quote)
    copy.update(
        _id=str(uuid.uuid4()),
        statecode=rules.DRAFT,
        statuscode=1,
        closedon=None,
        revisionnumber=(quote.get("revisionnumber") or 0) + 1,
        createdon=stamp,
        modifiedon=stamp,
    )
    revised = await ctx.db.insert(quotes.entity_set, copy, journal)
    await _copy_lines(
        ctx,
        quote["_id"],
        TABLES["quotedetails"],
        parent_column="_quoteid_value",
        parent_id=revised["_id"],
        journal=journal,
    )
    return _answer(request, quotes, revised)


async def _to_order(
    ctx: Dataverse, quote: Doc, request: ApiRequest, journal: Journal | None
) -> ApiResponse:
    quotes, orders = TABLES["quotes"], TABLES["salesorders"]
    if quote.get("statecode") not in (rules.ACTIVE, rules.WON):
        raise SandboxError(
            ErrorKind.BUSINESS_RULE, "Only an active or won quote can be converted to an order."
        )
    stamp = now().replace(microsecond=0)
    if quote.get("statecode") == rules.ACTIVE:
        won = {"statecode": rules.WON, "statuscode": 4, "closedon": stamp, "modifiedon": stamp}
        await ctx.db.update(quotes.entity_set, quote, won, journal)
    order: Doc = {name: quote.get(name) for name in _HEADER if name in quote}
    order.update(
        _id=str(uuid.uuid4()),
        _quoteid_value=quote["_id"],
        statecode=rules.ORDER_ACTIVE,
        statuscode=1,
        createdon=stamp,
        modifiedon=stamp,
    )
    await rules.number(ctx, orders, order)
    created = await ctx.db.insert(orders.entity_set, order, journal)
    await _copy_lines(
        ctx,
        quote["_id"],
        TABLES["salesorderdetails"],
        parent_column="_salesorderid_value",
        parent_id=created["_id"],
        journal=journal,
    )
    return _answer(request, orders, created)

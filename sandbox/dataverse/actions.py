"""Dataverse messages (unbound actions and functions) the integration uses.

Actions: `WinQuote`, `CloseQuote` (`{"QuoteClose": {"quoteid@odata.bind": "/quotes(<id>)"},
"Status": n}`), `WinOpportunity`, `LoseOpportunity`, `FulfillSalesOrder`, `CancelSalesOrder`.
Functions: `ReviseQuote(QuoteId=<id>,ColumnSet=@p1)` and `WhoAmI()`.
"""

from __future__ import annotations

import uuid
from typing import Any

from sandbox.dataverse import reads, rules, writes
from sandbox.dataverse.catalogue import TABLES, Table
from sandbox.dataverse.context import Dataverse
from sandbox.errors import ErrorKind, SandboxError
from sandbox.http import ApiRequest, ApiResponse, json_response
from sandbox.model import SEQ, VERSION
from sandbox.odata.paths import Segment
from sandbox.odata.values import now
from sandbox.store.database import Doc, Journal
from sandbox.store.reader import find_all

BUSINESS_UNIT_ID = "3b6f1d3e-6c0a-4f53-9a61-0d7d4c0f1a01"
ORGANIZATION_ID = "3b6f1d3e-6c0a-4f53-9a61-0d7d4c0f1a02"

# action -> (activity parameter, lookup in it, table, target statecode, allowed statuscodes,
#            states the record must be in)
_CLOSERS: dict[str, tuple[str, str, str, int, tuple[int, ...], tuple[int, ...]]] = {
    "WinQuote": ("QuoteClose", "quoteid", "quotes", rules.WON, (4,), (rules.ACTIVE,)),
    "CloseQuote": ("QuoteClose", "quoteid", "quotes", rules.CLOSED, (5, 6), (rules.ACTIVE,)),
    "WinOpportunity": ("OpportunityClose", "opportunityid", "opportunities", 1, (3,), (0,)),
    "LoseOpportunity": ("OpportunityClose", "opportunityid", "opportunities", 2, (4, 5), (0,)),
    "FulfillSalesOrder": (
        "OrderClose",
        "salesorderid",
        "salesorders",
        rules.ORDER_FULFILLED,
        (100001, 100002),
        (rules.ORDER_ACTIVE, rules.ORDER_SUBMITTED),
    ),
    "CancelSalesOrder": (
        "OrderClose",
        "salesorderid",
        "salesorders",
        rules.ORDER_CANCELED,
        (4,),
        (rules.ORDER_ACTIVE, rules.ORDER_SUBMITTED),
    ),
}
ACTIONS = frozenset(_CLOSERS)
FUNCTIONS = frozenset({"ReviseQuote", "WhoAmI"})


async def run_action(
    ctx: Dataverse, name: str, request: ApiRequest, journal: Journal | None
) -> ApiResponse:
    activity_name, lookup, table_name, state, codes, from_states = _CLOSERS[name]
    body = request.json()
    activity = body.get(activity_name)
    if not isinstance(activity, dict):
        raise SandboxError(
            ErrorKind.BAD_PAYLOAD, f"The parameter '{activity_name}' of '{name}' is required."
        )
    reference = activity.get(f"{lookup}@odata.bind")
    table = TABLES[table_name]
    if not isinstance(reference, str):
        raise SandboxError(
            ErrorKind.BAD_PAYLOAD,
            f"'{activity_name}' must bind '{lookup}@odata.bind' to the {table.entity_set.entity}.",
        )
    target_set, key_filter = writes.parse_reference(ctx, lookup, table_name, reference)
    before = await ctx.require(TABLES[target_set], key_filter)
    status = body.get("Status", -1)
    if isinstance(status, bool) or not isinstance(status, int):
        raise SandboxError(
            ErrorKind.BAD_PAYLOAD, f"The parameter 'Status' of '{name}' must be an integer."
        )
    code = codes[0] if status == -1 else status
    if code not in codes:
        raise SandboxError(
            ErrorKind.BUSINESS_RULE,
            f"{code} is not a valid status code for '{name}'; use one of "
            f"{', '.join(map(str, codes))}.",
        )
    if before.get("statecode") not in from_states:
        raise SandboxError(
            ErrorKind.BUSINESS_RULE,
            f"The {table.entity_set.entity} is in state {before.get('statecode')}; {name} "
            f"needs it in state {' or '.join(map(str, from_states))}.",
        )
    stamp = now().replace(microsecond=0)
    changes: dict[str, Any] = {"statecode": state, "statuscode": code, "modifiedon": stamp}
    if table_name == "quotes":
        changes["closedon"] = stamp
    elif table_name == "salesorders" and state == rules.ORDER_FULFILLED:
        changes["datefulfilled"] = stamp
    elif table_name == "opportunities":
        changes["actualclosedate"] = stamp
        if state == 1:
            changes["actualvalue"] = activity.get("actualrevenue", before.get("estimatedvalue"))
    await ctx.db.update(table.entity_set, before, changes, journal)
    return ApiResponse(204, None, {"OData-Version": "4.0"})


async def run_function(
    ctx: Dataverse, segment: Segment, request: ApiRequest, journal: Journal | None
) -> ApiResponse:
    if segment.name == "WhoAmI":
        return json_response(
            200,
            {
                "@odata.context": f"{request.root}$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse",
                "BusinessUnitId": BUSINESS_UNIT_ID,
                "UserId": ctx.caller_id,
                "OrganizationId": ORGANIZATION_ID,
            },
        )
    return await _revise_quote(ctx, segment, request, journal)


async def _revise_quote(
    ctx: Dataverse, segment: Segment, request: ApiRequest, journal: Journal | None
) -> ApiResponse:
    params = segment.key_values()
    raw_id = params.get("QuoteId", "")
    if raw_id.startswith("@"):
        raw_id = dict(request.query).get(raw_id, "")
    try:
        quote_id = str(uuid.UUID(raw_id.strip("'")))
    except ValueError:
        raise SandboxError(
            ErrorKind.BAD_QUERY, "ReviseQuote requires QuoteId, the id of the quote to revise."
        ) from None
    quotes, details = TABLES["quotes"], TABLES["quotedetails"]
    before = await ctx.require(quotes, {"_id": quote_id})
    if before.get("statecode") not in (rules.ACTIVE, rules.CLOSED) or before.get("statuscode") == 7:
        raise SandboxError(
            ErrorKind.BUSINESS_RULE,
            "Only an active quote, or a closed quote that was not revised, can be revised.",
        )
    stamp = now().replace(microsecond=0)
    if before.get("statecode") == rules.ACTIVE:
        closing = {
            "statecode": rules.CLOSED,
            "statuscode": 7,
            "closedon": stamp,
            "modifiedon": stamp,
        }
        await ctx.db.update(quotes.entity_set, before, closing, journal)
    copy = _copy(before)
    copy.update(
        statecode=rules.DRAFT,
        statuscode=1,
        revisionnumber=(before.get("revisionnumber") or 0) + 1,
        closedon=None,
        createdon=stamp,
        modifiedon=stamp,
        _id=str(uuid.uuid4()),
    )
    revised = await ctx.db.insert(quotes.entity_set, copy, journal)
    lines = await find_all(
        ctx.db.collection(details.entity_set), {"_quoteid_value": quote_id}, None
    )
    for line in sorted(lines, key=lambda line: line.get(SEQ, 0)):
        line_copy = _copy(line)
        line_copy.update(
            _id=str(uuid.uuid4()), _quoteid_value=revised["_id"], createdon=stamp, modifiedon=stamp
        )
        await ctx.db.insert(details.entity_set, line_copy, journal)
    body = {
        "@odata.context": reads.context_url(request, quotes, None, "/$entity"),
        **reads.render(quotes, revised, None, annotations=False),
    }
    return json_response(200, body)


def _copy(doc: Doc) -> Doc:
    return {k: v for k, v in doc.items() if k not in ("_id", SEQ, VERSION)}


def table_for_action(name: str) -> Table:
    return TABLES[_CLOSERS[name][2]]

"""Dataverse messages that close a record (unbound actions taking an activity) and `WhoAmI`.

`WinQuote`, `CloseQuote` (`{"QuoteClose": {"quoteid@odata.bind": "/quotes(<id>)"},
"Status": n}`), `WinOpportunity`, `LoseOpportunity`, `FulfillSalesOrder`, `CancelSalesOrder`,
`CloseIncident`; `Status: -1` means the state's default status. See `conversions.py` for
`ReviseQuote` and `ConvertQuoteToSalesOrder`.
"""

from __future__ import annotations

from typing import Any

from sandbox.dataverse import rules, writes
from sandbox.dataverse.catalogue import TABLES
from sandbox.dataverse.context import Dataverse
from sandbox.errors import ErrorKind, SandboxError
from sandbox.http import ApiRequest, ApiResponse, json_response
from sandbox.odata.paths import Segment
from sandbox.odata.values import now
from sandbox.store.database import Journal

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
    "CloseIncident": ("IncidentResolution", "incidentid", "incidents", 1, (5, 1000), (0,)),
}
ACTIONS = frozenset(_CLOSERS)
FUNCTIONS = frozenset({"WhoAmI"})


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


async def run_function(ctx: Dataverse, segment: Segment, request: ApiRequest) -> ApiResponse:
    """`WhoAmI()`: the caller's user, business unit and organization."""
    del segment
    return json_response(
        200,
        {
            "@odata.context": f"{request.root}$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse",
            "BusinessUnitId": BUSINESS_UNIT_ID,
            "UserId": ctx.acting_user,
            "OrganizationId": ORGANIZATION_ID,
        },
    )

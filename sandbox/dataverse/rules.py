"""Business rules of the Dataverse tables that matter to the integration.

States (statecode / statuscode) follow Dynamics 365 Sales:

- quote: Draft 0 (In Progress 1), Active 1 (In Progress 2, Open 3), Won 2 (Won 4),
  Closed 3 (Lost 5, Canceled 6, Revised 7). Draft quotes are editable; Active quotes are
  read-only until revised; Won and Closed quotes are final. Activate with
  `PATCH {"statecode": 1}`; win, close and revise with the `WinQuote`, `CloseQuote` and
  `ReviseQuote` messages (see `actions.py`).
- salesorder: Active 0 (New 1, Pending 2), Submitted 1 (In Progress 3), Canceled 2 (No Money 4),
  Fulfilled 3 (Complete 100001, Partial 100002), Invoiced 4 (Invoiced 100003). Submit with
  `PATCH {"statecode": 1}`; a submitted order is read-only except for fulfilment
  (`FulfillSalesOrder`), cancellation (`CancelSalesOrder`), `PATCH {"statecode": 4}` and the
  dates the back office confirms (`requestdeliveryby`), which the ERP integration writes back.
- invoice: Active 0 (New 1, Recalculating 2, Billed 4, Booked 5, Installed 6), Paid 2
  (Complete 100001, Partial 100002), Canceled 3 (Canceled 100003). A paid invoice may move from
  Partial to Complete; nothing else changes on paid or canceled invoices.
- opportunity: Open 0, Won 1, Lost 2 (through `WinOpportunity` / `LoseOpportunity`).

The "submitted to ERP" lock is modelled as the integration solution does it: custom status
reasons of the Draft state, set by the gateway, and a plug-in that rejects other edits.

- `100000000` Submitted: the quote was submitted to the ERP. It is read-only (as are its
  lines) until the ERP approves or rejects it: the only accepted change is the status reason
  moving to Approved or Rejected. A violation fails with 400 and code `0x80040265`, the code
  Dataverse reports for a plug-in that aborts the operation.
- `100000001` Approved in ERP: editable again and ready to activate.
- `100000002` Rejected in ERP: editable again; may be resubmitted.
"""

from __future__ import annotations

import uuid
from typing import Any

from pymongo import ReturnDocument

from sandbox.dataverse import errors
from sandbox.dataverse.catalogue import TABLES, Table
from sandbox.dataverse.context import Dataverse
from sandbox.errors import ErrorKind, SandboxError
from sandbox.odata.values import now
from sandbox.store.database import Doc, Journal
from sandbox.store.reader import find_all

DRAFT, ACTIVE, WON, CLOSED = 0, 1, 2, 3
SUBMITTED, APPROVED_IN_ERP, REJECTED_IN_ERP = 100000000, 100000001, 100000002
ORDER_ACTIVE, ORDER_SUBMITTED, ORDER_CANCELED, ORDER_FULFILLED, ORDER_INVOICED = 0, 1, 2, 3, 4
INVOICE_ACTIVE, INVOICE_PAID, INVOICE_CANCELED = 0, 2, 3

_STATE = ("statecode", "statuscode")
# Transitions of statecode a PATCH may make (others go through messages, or are final).
_PATCH_TRANSITIONS: dict[str, set[tuple[int, int]]] = {
    "quotes": {(DRAFT, DRAFT), (DRAFT, ACTIVE), (ACTIVE, ACTIVE)},
    "salesorders": {
        (ORDER_ACTIVE, ORDER_ACTIVE),
        (ORDER_ACTIVE, ORDER_SUBMITTED),
        (ORDER_SUBMITTED, ORDER_INVOICED),
        (ORDER_FULFILLED, ORDER_INVOICED),
    },
    "invoices": {
        (INVOICE_ACTIVE, INVOICE_ACTIVE),
        (INVOICE_ACTIVE, INVOICE_PAID),
        (INVOICE_ACTIVE, INVOICE_CANCELED),
        (INVOICE_PAID, INVOICE_PAID),
    },
    "opportunities": {(0, 0)},
}
# States in which a record's columns (other than its state) may be edited.
_EDITABLE = {
    "quotes": {DRAFT},
    "salesorders": {ORDER_ACTIVE},
    "invoices": {INVOICE_ACTIVE},
    "opportunities": {0},
}
# Columns the back office may still write in a state that is otherwise read-only.
_BACK_OFFICE: dict[str, tuple[int, frozenset[str]]] = {
    "salesorders": (ORDER_SUBMITTED, frozenset({"requestdeliveryby"})),
}
_MESSAGES = {
    "quotes": "WinQuote, CloseQuote or ReviseQuote",
    "salesorders": "FulfillSalesOrder or CancelSalesOrder",
    "opportunities": "WinOpportunity or LoseOpportunity",
}


def _rule(message: str) -> SandboxError:
    return SandboxError(ErrorKind.BUSINESS_RULE, message)


def _lock(message: str) -> SandboxError:
    return SandboxError(ErrorKind.BUSINESS_RULE, message, code=errors.PLUGIN_ABORTED)


def settle_state(table: Table, values: dict[str, Any], current: int | None) -> int | None:
    """Complete and check statecode/statuscode in `values`; returns the resulting state."""
    if not table.states:
        return None
    state = values.get("statecode", current)
    if state is None:
        state = next(iter(table.states))
    if "statecode" in values and "statuscode" not in values:
        values["statuscode"] = table.states[state][0]
    code = values.get("statuscode")
    if code is not None and code not in table.states[state]:
        raise _rule(
            f"{code} is not a valid status code for state code {state} on "
            f"{table.entity_set.entity}."
        )
    return int(state)


async def prepare_create(ctx: Dataverse, table: Table, values: dict[str, Any]) -> None:
    name = table.entity_set.name
    if table.states:
        state = settle_state(table, values, None)
        if name in _EDITABLE and state not in _EDITABLE[name] | {None}:
            raise _rule(f"A new {table.entity_set.entity} must be created in its initial state.")
        values.setdefault("statecode", state)
        values.setdefault("statuscode", table.states[state or 0][0])
    if name == "quotes":
        values["revisionnumber"] = 0
        if values.get("statuscode") in (APPROVED_IN_ERP, REJECTED_IN_ERP):
            raise _lock("Only a quote submitted to the ERP can be approved or rejected there.")
    await number(ctx, table, values)
    _full_name(table, values, {})
    if table.parent is not None:
        await _check_parent(ctx, table, values, {})
        await _line_amounts(ctx, values, {})
    if name in ("quotes", "salesorders", "invoices"):
        values.update(document_totals(0.0, values.get("discountamount") or 0.0))


async def prepare_update(ctx: Dataverse, table: Table, before: Doc, values: dict[str, Any]) -> None:
    name = table.entity_set.name
    edits = {key for key in values if key not in _STATE}
    if table.states and (set(values) & set(_STATE)):
        current = before.get("statecode")
        state = settle_state(table, values, current)
        allowed = _PATCH_TRANSITIONS.get(name)
        if allowed is not None and (current, state) not in allowed:
            via = _MESSAGES.get(name)
            hint = f"; use {via}" if via else ""
            raise _rule(
                f"The {table.entity_set.entity} cannot move from state {current} to state "
                f"{state} with an update{hint}."
            )
        if name == "salesorders" and current == ORDER_ACTIVE and state == ORDER_SUBMITTED:
            values["submitdate"] = now().replace(microsecond=0)
    if name == "quotes":
        _quote_lock(before, values, edits)
    elif (
        edits
        and name in _EDITABLE
        and before.get("statecode") not in _EDITABLE[name]
        and not _back_office(name, before, edits)
    ):
        raise _rule(
            f"The {table.entity_set.entity} is in state {before.get('statecode')} and is read-only."
        )
    _full_name(table, values, before)
    if table.parent is not None:
        await _check_parent(ctx, table, values, before)
        await _line_amounts(ctx, values, before)
    if "discountamount" in values and name in ("quotes", "salesorders", "invoices"):
        lines_total = before.get("totallineitemamount") or 0.0
        values.update(document_totals(lines_total, values["discountamount"] or 0.0))


def _back_office(name: str, before: Doc, edits: set[str]) -> bool:
    state, columns = _BACK_OFFICE.get(name, (None, frozenset()))
    return before.get("statecode") == state and edits <= columns


def _quote_lock(before: Doc, values: dict[str, Any], edits: set[str]) -> None:
    state, reason = before.get("statecode"), before.get("statuscode")
    new_reason = values.get("statuscode", reason)
    if state == DRAFT and reason == SUBMITTED:
        if (
            edits
            or new_reason not in (SUBMITTED, APPROVED_IN_ERP, REJECTED_IN_ERP)
            or (values.get("statecode", DRAFT) != DRAFT)
        ):
            raise _lock(
                "This quote was submitted to the ERP and is read-only until it is approved or "
                "rejected there."
            )
        return
    if new_reason in (APPROVED_IN_ERP, REJECTED_IN_ERP) and new_reason != reason:
        raise _lock("Only a quote submitted to the ERP can be approved or rejected there.")
    if edits and state != DRAFT:
        raise _rule(
            f"The quote is in state {state} and is read-only; revise it with ReviseQuote to "
            "change it."
        )


async def check_delete(ctx: Dataverse, table: Table, before: Doc) -> None:
    if table.entity_set.name == "quotes" and before.get("statuscode") == SUBMITTED:
        raise _lock("This quote was submitted to the ERP and cannot be deleted.")
    if table.parent is not None:
        await _check_parent(ctx, table, {}, before)


async def after_write(ctx: Dataverse, table: Table, doc: Doc, journal: Journal | None) -> None:
    """Keep document totals equal to the sum of their lines."""
    if table.parent is None:
        return
    nav, parent_set = table.parent
    parent_id = doc.get(f"_{nav}_value")
    if parent_id:
        await recompute_totals(
            ctx, TABLES[parent_set], table, nav=nav, parent_id=parent_id, journal=journal
        )


async def recompute_totals(
    ctx: Dataverse,
    parent: Table,
    lines: Table,
    *,
    nav: str,
    parent_id: str,
    journal: Journal | None,
) -> None:
    found = await find_all(
        ctx.db.collection(lines.entity_set), {f"_{nav}_value": parent_id}, {"extendedamount": 1}
    )
    total = round(sum(line.get("extendedamount") or 0.0 for line in found), 2)
    header = await ctx.db.get(parent.entity_set, parent_id)
    if header is None:
        return
    discount = header.get("discountamount") or 0.0
    changes = {**document_totals(total, discount), "modifiedon": now().replace(microsecond=0)}
    await ctx.db.update(parent.entity_set, header, changes, journal)


def document_totals(lines_total: float, discount: float) -> dict[str, float]:
    """A document's totals from its lines and its header discount. The sandbox charges no tax
    and no freight, so the pre-freight amount and the total are the same and the tax is 0."""
    net = round(lines_total - discount, 2)
    return {
        "totallineitemamount": round(lines_total, 2),
        "totalamountlessfreight": net,
        "totaltax": 0.0,
        "totalamount": net,
    }


def _full_name(table: Table, values: dict[str, Any], before: Doc) -> None:
    if table.entity_set.name not in ("contacts", "systemusers"):
        return
    if "firstname" in values or "lastname" in values:
        first = values.get("firstname", before.get("firstname")) or ""
        last = values.get("lastname", before.get("lastname")) or ""
        values["fullname"] = f"{first} {last}".strip()


async def _check_parent(ctx: Dataverse, table: Table, values: dict[str, Any], before: Doc) -> None:
    assert table.parent is not None
    nav, parent_set = table.parent
    column = f"_{nav}_value"
    parent_ids = {before.get(column), values.get(column)} - {None}
    for parent_id in parent_ids:
        parent = await ctx.db.get(TABLES[parent_set].entity_set, parent_id)
        if parent is None:
            continue
        state, reason = parent.get("statecode"), parent.get("statuscode")
        if parent_set == "quotes" and state == DRAFT and reason == SUBMITTED:
            raise _lock(
                "The quote was submitted to the ERP; its products are read-only until it is "
                "approved or rejected there."
            )
        if state != 0:
            raise _rule(
                f"The {TABLES[parent_set].entity_set.entity} with Id = {parent_id} is in state "
                f"{state}; its products can only change while it is in state 0."
            )


async def _line_amounts(ctx: Dataverse, values: dict[str, Any], before: Doc) -> None:
    merged = {**before, **values}
    price = merged.get("priceperunit")
    if price is None and merged.get("_productid_value"):
        product = await ctx.db.get(TABLES["products"].entity_set, merged["_productid_value"])
        price = (product or {}).get("price") or 0.0
        values["priceperunit"] = price
    quantity = merged.get("quantity") or 0.0
    base = round(quantity * (price or 0.0), 2)
    values["baseamount"] = base
    values["extendedamount"] = round(base - (merged.get("manualdiscountamount") or 0.0), 2)


async def number(ctx: Dataverse, table: Table, values: dict[str, Any]) -> None:
    """Give a new record of an auto-numbered table its number (QUO-01001-AB12CD), unless set."""
    if table.autonumber is not None:
        column, prefix = table.autonumber
        if not values.get(column):
            values[column] = await _next_number(ctx, table.entity_set.name, prefix)


async def _next_number(ctx: Dataverse, table_name: str, prefix: str) -> str:
    counters = ctx.db.database["_counters"]
    found = await counters.find_one_and_update(
        {"_id": f"autonumber:{table_name}"},
        {"$inc": {"value": 1}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    assert found is not None
    suffix = uuid.uuid4().hex[:6].upper()
    return f"{prefix}-{1000 + int(found['value']):05d}-{suffix}"

"""Lifecycle actions of Dynamics 365 Sales records, by entity and action name, as data.

Three shapes cover the sales lifecycle:

- `SetState`: a PATCH of `statecode`/`statuscode` (activate a quote, submit an order, mark an
  invoice paid);
- `Close`: an unbound action taking an "activity" record bound to the row and a status
  (`WinQuote` with a `QuoteClose`, `WinOpportunity`, `FulfillSalesOrder`, `CloseIncident`...);
- `Convert`: an unbound action taking the row id that answers with a new row
  (`ConvertQuoteToSalesOrder`, `ReviseQuote`).

`params` may override `status` (and `statecode`), and `subject`, `description` of the close
record. A fully qualified name (`Microsoft.Dynamics.CRM.<Action>`) calls that bound action.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.base import Entity


@dataclass(frozen=True, slots=True)
class SetState:
    statecode: int
    statuscode: int


@dataclass(frozen=True, slots=True)
class Close:
    action: str
    record_type: str  # the parameter holding the close record, e.g. "QuoteClose"
    bind: str  # the close record's lookup to the row, e.g. "quoteid"
    status: int


@dataclass(frozen=True, slots=True)
class Convert:
    action: str
    id_parameter: str
    result_entity: str


Transition = SetState | Close | Convert

TRANSITIONS: dict[str, dict[str, Transition]] = {
    Entity.QUOTE: {
        "activate": SetState(1, 2),  # Active / In Progress
        "win": Close("WinQuote", "QuoteClose", "quoteid", 4),  # Won
        "lose": Close("CloseQuote", "QuoteClose", "quoteid", 5),  # Closed / Lost
        "cancel": Close("CloseQuote", "QuoteClose", "quoteid", 6),  # Closed / Canceled
        "revise": Convert("ReviseQuote", "QuoteId", Entity.QUOTE),
        "convert_to_order": Convert("ConvertQuoteToSalesOrder", "QuoteId", Entity.SALES_ORDER),
    },
    Entity.OPPORTUNITY: {
        "win": Close("WinOpportunity", "OpportunityClose", "opportunityid", 3),  # Won
        "lose": Close("LoseOpportunity", "OpportunityClose", "opportunityid", 4),  # Canceled
    },
    Entity.SALES_ORDER: {
        "submit": SetState(1, 3),  # Submitted / In Progress
        "fulfill": Close("FulfillSalesOrder", "OrderClose", "salesorderid", 100001),  # Complete
        "cancel": Close("CancelSalesOrder", "OrderClose", "salesorderid", 4),  # No Money
    },
    Entity.INVOICE: {
        "paid": SetState(2, 100001),  # Paid / Complete
        "paid_partially": SetState(2, 100002),  # Paid / Partial
        "cancel": SetState(3, 100003),  # Canceled
    },
    Entity.CASE: {
        "resolve": Close("CloseIncident", "IncidentResolution", "incidentid", 5),  # Problem Solved
        "cancel": SetState(2, 6),  # Canceled
        "reactivate": SetState(0, 1),  # Active / In Progress
    },
}


def state_body(step: SetState, params: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "statecode": int(params.get("statecode", step.statecode)),
        "statuscode": int(params.get("status", step.statuscode)),
    }


def close_body(step: Close, entity_set: str, id: str, params: Mapping[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {
        "subject": str(params.get("subject", step.action)),
        f"{step.bind}@odata.bind": f"/{entity_set}({id})",
    }
    if "description" in params:
        record["description"] = str(params["description"])
    return {step.record_type: record, "Status": int(params.get("status", step.status))}


def convert_body(step: Convert, id: str) -> dict[str, Any]:
    return {step.id_parameter: id, "ColumnSet": {"AllColumns": True}}

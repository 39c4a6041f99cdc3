"""The states of the documents whose life spans both systems, in the words people use.

CRM (Dynamics 365 Sales): a quote is Draft, Active, Won or Closed (Lost, Canceled, Revised),
and a Draft carries the integration's status reasons Submitted, Approved in ERP, Rejected in
ERP. An order is Active, Submitted, Canceled, Fulfilled or Invoiced; an invoice Active (Billed
and its kin), Paid (Partial, Complete) or Canceled.

ERP (Business Central): a sales quote is Open, Pending Approval, Approved (released), Rejected
or Accepted (confirmed by the customer); an order Draft or Open; an invoice Draft, Open
(posted), Paid or Canceled. A document that is not there reads "absent".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Dataverse quote: statecode, and the status reasons of the "submitted to ERP" lock.
QUOTE_DRAFT, QUOTE_ACTIVE, QUOTE_WON, QUOTE_CLOSED = 0, 1, 2, 3
IN_PROGRESS = 1
SUBMITTED, APPROVED_IN_ERP, REJECTED_IN_ERP = 100000000, 100000001, 100000002
LOST, REVISED = 5, 7
# Dataverse order and invoice.
ORDER_ACTIVE, ORDER_SUBMITTED, ORDER_CANCELED, ORDER_FULFILLED, ORDER_INVOICED = 0, 1, 2, 3, 4
ORDER_INVOICED_REASON = 100003
INVOICE_ACTIVE, INVOICE_PAID, INVOICE_CANCELED = 0, 2, 3
BILLED, PAID_COMPLETE, PAID_PARTIAL = 4, 100001, 100002

ABSENT = "absent"

_DRAFT_REASONS = {
    SUBMITTED: "Submitted",
    APPROVED_IN_ERP: "Approved in ERP",
    REJECTED_IN_ERP: "Rejected in ERP",
}
_CLOSED_REASONS = {LOST: "Lost", 6: "Canceled", REVISED: "Revised"}
_ORDER_STATES = {0: "Active", 1: "Submitted", 2: "Canceled", 3: "Fulfilled", 4: "Invoiced"}

Values = Mapping[str, Any] | None


def crm_quote_state(values: Values) -> str:
    if values is None:
        return ABSENT
    state, reason = values.get("statecode"), values.get("statuscode")
    if state == QUOTE_DRAFT:
        return _DRAFT_REASONS.get(int(reason or 0), "Draft")
    if state == QUOTE_ACTIVE:
        return "Active"
    if state == QUOTE_WON:
        return "Won"
    return _CLOSED_REASONS.get(int(reason or 0), "Closed")


def erp_quote_state(values: Values) -> str:
    if values is None:
        return ABSENT
    if values.get("status") == "Accepted":
        return "Accepted"
    approval = values.get("approvalStatus") or "Open"
    return str(approval) if approval in ("Pending Approval", "Approved", "Rejected") else "Open"


def crm_order_state(values: Values) -> str:
    if values is None:
        return ABSENT
    return _ORDER_STATES.get(int(values.get("statecode") or 0), "Active")


def erp_order_state(values: Values) -> str:
    if values is None:
        return ABSENT
    if values.get("fullyShipped"):
        return "Shipped"
    return str(values.get("status") or "Draft")


def crm_invoice_state(values: Values) -> str:
    if values is None:
        return ABSENT
    state, reason = values.get("statecode"), values.get("statuscode")
    if state == INVOICE_PAID:
        return "Paid (Partial)" if reason == PAID_PARTIAL else "Paid (Complete)"
    if state == INVOICE_CANCELED:
        return "Canceled"
    return "Billed" if reason == BILLED else "Active"


def erp_invoice_state(values: Values) -> str:
    if values is None:
        return ABSENT
    return str(values.get("status") or "Draft").strip() or "Draft"


def sides(crm_what: str, crm_state: str, erp_what: str, erp_state: str) -> str:
    """'the CRM quote is Won and the ERP quote is Accepted' (or '... is not in the ERP')."""
    crm = f"the CRM {crm_what} is {crm_state}" if crm_state != ABSENT else f"no CRM {crm_what}"
    erp = (
        f"the ERP {erp_what} is {erp_state}"
        if erp_state != ABSENT
        else f"there is no ERP {erp_what}"
    )
    return f"{crm} and {erp}"

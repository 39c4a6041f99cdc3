"""The common lifecycle state of a document, derived from both systems' own words.

Each system's words come from where the lifecycles read them: the CRM's from
`gateway.workflows.states`, the ERP's from the configured ERP's dialect. The common state
says where the document is in the lifecycle of `docs/lifecycles.md`, whichever system moved
it last:

- quote: DRAFT, SUBMITTED (waiting for the ERP's decision), APPROVED, REJECTED, ACTIVE, WON
  (won in the CRM or accepted in the ERP), LOST, CANCELED, REVISED;
- sales order: DRAFT, SUBMITTED (submitted in the CRM or entered in the ERP), OPEN (released
  in the ERP), SHIPPED, INVOICED, CANCELED;
- invoice: DRAFT, OPEN (posted or billed, nothing paid), PARTIALLY_PAID, PAID, CANCELED;
- project: PLANNING, OPEN, COMPLETED; opportunity: OPEN, WON, LOST.

Payment: what the ERP says remains to be paid decides (UNPAID, PARTIAL, PAID); without the
ERP's figures, the CRM's Paid (Partial/Complete) status does.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Any

from adapters.documents import DocumentKind
from gateway.workflows import states
from gateway.workflows.dialects import ErpDialect

Values = Mapping[str, Any] | None
ABSENT = states.ABSENT


class LifecycleState(StrEnum):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    ACTIVE = "ACTIVE"
    WON = "WON"
    LOST = "LOST"
    CANCELED = "CANCELED"
    REVISED = "REVISED"
    OPEN = "OPEN"
    SHIPPED = "SHIPPED"
    INVOICED = "INVOICED"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    PAID = "PAID"
    PLANNING = "PLANNING"
    COMPLETED = "COMPLETED"


S = LifecycleState
# The states each kind of document can be in (what a `state` filter accepts).
STATES_OF: Mapping[DocumentKind, tuple[LifecycleState, ...]] = {
    DocumentKind.QUOTE: (
        S.DRAFT,
        S.SUBMITTED,
        S.APPROVED,
        S.REJECTED,
        S.ACTIVE,
        S.WON,
        S.LOST,
        S.CANCELED,
        S.REVISED,
    ),
    DocumentKind.SALES_ORDER: (S.DRAFT, S.SUBMITTED, S.OPEN, S.SHIPPED, S.INVOICED, S.CANCELED),
    DocumentKind.INVOICE: (S.DRAFT, S.OPEN, S.PARTIALLY_PAID, S.PAID, S.CANCELED),
    DocumentKind.PROJECT: (S.PLANNING, S.OPEN, S.COMPLETED),
    DocumentKind.OPPORTUNITY: (S.OPEN, S.WON, S.LOST),
}


class PaymentStatus(StrEnum):
    UNPAID = "UNPAID"
    PARTIAL = "PARTIAL"
    PAID = "PAID"


# ---- each system's words ------------------------------------------------------------------

_OPPORTUNITY_WORDS = {0: "Open", 1: "Won", 2: "Lost"}


def crm_words(kind: DocumentKind, values: Values) -> str:
    """The CRM's own words for the state of a document (`absent` when there is none)."""
    if values is None:
        return ABSENT
    if kind is DocumentKind.QUOTE:
        return states.crm_quote_state(values)
    if kind is DocumentKind.SALES_ORDER:
        return states.crm_order_state(values)
    if kind is DocumentKind.INVOICE:
        return states.crm_invoice_state(values)
    if kind is DocumentKind.OPPORTUNITY:
        return _OPPORTUNITY_WORDS.get(int(values.get("statecode") or 0), "Open")
    return "Active" if values.get("statecode") in (0, None) else "Inactive"


def erp_words(
    kind: DocumentKind, values: Values, dialect: ErpDialect, status: str | None = None
) -> str:
    """The ERP's own words (its dialect's); `status` is a project's status as the ERP says it."""
    if values is None:
        return ABSENT
    if kind is DocumentKind.QUOTE:
        return dialect.quote_state(values)
    if kind is DocumentKind.SALES_ORDER:
        return dialect.order_state(values)
    if kind is DocumentKind.INVOICE:
        return dialect.invoice_state(values)
    return status or "Open"


# ---- the common state ---------------------------------------------------------------------

_QUOTE_CLOSED = {"Lost": S.LOST, "Canceled": S.CANCELED, "Revised": S.REVISED, "Closed": S.LOST}


def quote_state(crm: str, erp: str) -> LifecycleState:  # noqa: PLR0911 - one case per state
    if crm == "Won" or erp == "Accepted":
        return S.WON
    if crm in _QUOTE_CLOSED:
        return _QUOTE_CLOSED[crm]
    if crm == "Active":
        return S.ACTIVE
    if crm == "Submitted" or erp == "Pending Approval":
        return S.SUBMITTED
    if crm == "Approved in ERP" or (crm in ("Draft", ABSENT) and erp == "Approved"):
        return S.APPROVED
    if crm == "Rejected in ERP" or (crm in ("Draft", ABSENT) and erp == "Rejected"):
        return S.REJECTED
    return S.DRAFT


def order_state(crm: str, erp: str) -> LifecycleState:
    if crm == "Canceled":
        return S.CANCELED
    if crm == "Invoiced":
        return S.INVOICED
    if crm == "Fulfilled" or erp == "Shipped":
        return S.SHIPPED
    if erp == "Open":
        return S.OPEN
    if crm == "Submitted" or erp == "Draft":
        return S.SUBMITTED
    return S.DRAFT


def invoice_state(crm: str, erp: str, payment: PaymentStatus | None) -> LifecycleState:
    if crm == "Canceled" or erp == "Canceled":
        return S.CANCELED
    if payment is PaymentStatus.PAID:
        return S.PAID
    if payment is PaymentStatus.PARTIAL:
        return S.PARTIALLY_PAID
    if erp in ("Open", "Paid") or crm == "Billed":
        return S.OPEN
    return S.DRAFT


_PROJECT_WORDS = {
    "planning": S.PLANNING,
    "quote": S.PLANNING,
    "completed": S.COMPLETED,
    "done": S.COMPLETED,
    "closed": S.COMPLETED,
    "inactive": S.COMPLETED,
}


def project_state(crm: str, erp: str) -> LifecycleState:
    words = erp if erp != ABSENT else crm
    return _PROJECT_WORDS.get(words.strip().lower(), S.OPEN)


def opportunity_state(crm: str) -> LifecycleState:
    return {"Won": S.WON, "Lost": S.LOST}.get(crm, S.OPEN)


# ---- payment ------------------------------------------------------------------------------


def payment_status(  # noqa: PLR0911 - one case per status and source
    erp_figures: tuple[bool, float, float] | None, crm_words_: str
) -> PaymentStatus | None:
    """From the ERP's (paid, total, remaining), else from the CRM's status; None for an
    invoice that is canceled or that neither system has figures for."""
    if erp_figures is not None:
        paid, total, remaining = erp_figures
        if paid or (total > 0 and remaining <= 0):
            return PaymentStatus.PAID
        if 0 < remaining < total:
            return PaymentStatus.PARTIAL
        return PaymentStatus.UNPAID
    if crm_words_ == "Paid (Complete)":
        return PaymentStatus.PAID
    if crm_words_ == "Paid (Partial)":
        return PaymentStatus.PARTIAL
    if crm_words_ in ("Billed", "Active"):
        return PaymentStatus.UNPAID
    return None


def overdue(due: date | None, payment: PaymentStatus | None, today: date) -> bool:
    return (
        due is not None and due < today and payment in (PaymentStatus.UNPAID, PaymentStatus.PARTIAL)
    )

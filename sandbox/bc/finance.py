"""Customer financial figures, derived from posted invoices and payments.

- balance: posted invoices (amount including tax) minus payments received;
- totalSalesExcludingTax: posted invoices, amount excluding tax;
- overdueAmount: the unpaid remainder of posted invoices whose due date has passed.

Like Business Central's ledger-entry totals, the sums are kept up to date as invoices are
posted or canceled and payments are made or removed, in a hidden `_figures` field of the
customer (`{"invoiced", "sales", "paid", "open": {invoice id: [due date, remaining]}}`), so
that figures for a page of any size cost no query at all. Keeping them does not change the
customer's ETag or `lastModifiedDateTime`: posting an invoice does not modify the customer.
Overdue amounts are worked out at read time, against today's date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sandbox.bc.catalogue import COMPANY_SETS
from sandbox.bc.context import BusinessCentral
from sandbox.model import COMPANY
from sandbox.store.database import Doc, Journal

FIGURES = "_figures"


def figures_of(customer: Doc) -> dict[str, float]:
    kept = customer.get(FIGURES) or {}
    today = dt.datetime.now(dt.UTC).date().isoformat()
    overdue = sum(
        float(remaining)
        for due, remaining in (kept.get("open") or {}).values()
        if due is not None and due < today
    )
    invoiced, paid = float(kept.get("invoiced") or 0.0), float(kept.get("paid") or 0.0)
    return {
        "balance": round(invoiced - paid, 2),
        "totalSalesExcludingTax": round(float(kept.get("sales") or 0.0), 2),
        "overdueAmount": round(overdue, 2),
    }


def detail(customer: Doc) -> dict[str, Any]:
    """The customerFinancialDetail record of a customer."""
    return {"_id": customer["_id"], "number": customer.get("number"), **figures_of(customer)}


async def _change(
    ctx: BusinessCentral,
    company: str,
    customer_id: str | None,
    update: dict[str, Any],
    journal: Journal | None,
) -> None:
    if not customer_id:
        return
    customers = ctx.db.collection(COMPANY_SETS["customers"])
    key = {"_id": customer_id, COMPANY: company}
    if journal is not None:
        before = await customers.find_one(key)
        if before is not None:
            journal.record(customers, customer_id, before)
    await customers.update_one(key, update)


def _open(invoice: Doc, remaining: float) -> dict[str, Any]:
    field = f"{FIGURES}.open.{invoice['_id']}"
    if remaining <= 0:
        return {"$unset": {field: ""}}
    return {"$set": {field: [invoice.get("dueDate"), round(remaining, 2)]}}


async def invoice_posted(
    ctx: BusinessCentral, company: str, invoice: Doc, journal: Journal | None
) -> None:
    total = float(invoice.get("totalAmountIncludingTax") or 0.0)
    update = {
        "$inc": {
            f"{FIGURES}.invoiced": total,
            f"{FIGURES}.sales": float(invoice.get("totalAmountExcludingTax") or 0.0),
        },
        **_open(invoice, float(invoice.get("remainingAmount", total) or 0.0)),
    }
    await _change(ctx, company, invoice.get("customerId"), update, journal)


async def invoice_canceled(
    ctx: BusinessCentral, company: str, invoice: Doc, journal: Journal | None
) -> None:
    update = {
        "$inc": {
            f"{FIGURES}.invoiced": -float(invoice.get("totalAmountIncludingTax") or 0.0),
            f"{FIGURES}.sales": -float(invoice.get("totalAmountExcludingTax") or 0.0),
        },
        **_open(invoice, 0.0),
    }
    await _change(ctx, company, invoice.get("customerId"), update, journal)


async def payment_made(
    ctx: BusinessCentral,
    company: str,
    payment: Doc,
    invoice: Doc | None,
    journal: Journal | None,
) -> None:
    """A payment of `payment["amount"]` (negative: one removed); `invoice` as it is now."""
    update: dict[str, Any] = {"$inc": {f"{FIGURES}.paid": float(payment.get("amount") or 0.0)}}
    if invoice is not None:
        update.update(_open(invoice, float(invoice.get("remainingAmount") or 0.0)))
    await _change(ctx, company, payment.get("customerId"), update, journal)

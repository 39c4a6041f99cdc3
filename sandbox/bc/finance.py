"""Customer financial figures, derived from posted invoices and payments at read time.

- balance: posted invoices (amount including tax) minus payments received;
- totalSalesExcludingTax: posted invoices, amount excluding tax;
- overdueAmount: the unpaid remainder of posted invoices whose due date has passed.

Canceled invoices count for nothing. One query for the invoices and one for the payments of a
whole page of customers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sandbox.bc.catalogue import COMPANY_SETS
from sandbox.model import COMPANY
from sandbox.store.database import ApiDatabase
from sandbox.store.reader import find_all

POSTED = frozenset({"Open", "Paid"})


def _zero() -> dict[str, float]:
    return {"balance": 0.0, "totalSalesExcludingTax": 0.0, "overdueAmount": 0.0}


async def figures(
    db: ApiDatabase, company: str, customer_ids: list[str]
) -> dict[str, dict[str, float]]:
    result = {customer_id: _zero() for customer_id in customer_ids}
    if not customer_ids:
        return result
    today = dt.datetime.now(dt.UTC).date().isoformat()
    invoices = await find_all(
        db.collection(COMPANY_SETS["salesInvoices"]),
        {"customerId": {"$in": customer_ids}, COMPANY: company},
        {
            "customerId": 1,
            "status": 1,
            "totalAmountExcludingTax": 1,
            "totalAmountIncludingTax": 1,
            "remainingAmount": 1,
            "dueDate": 1,
        },
    )
    payments = await find_all(
        db.collection(COMPANY_SETS["customerPayments"]),
        {"customerId": {"$in": customer_ids}, COMPANY: company},
        {"customerId": 1, "amount": 1},
    )
    for invoice in invoices:
        if invoice.get("status") not in POSTED:
            continue
        entry = result.get(invoice["customerId"])
        if entry is None:
            continue
        entry["balance"] += float(invoice.get("totalAmountIncludingTax") or 0.0)
        entry["totalSalesExcludingTax"] += float(invoice.get("totalAmountExcludingTax") or 0.0)
        due = invoice.get("dueDate")
        if due is not None and due < today:
            entry["overdueAmount"] += float(invoice.get("remainingAmount") or 0.0)
    for payment in payments:
        entry = result.get(payment["customerId"])
        if entry is not None:
            entry["balance"] -= float(payment.get("amount") or 0.0)
    for entry in result.values():
        for name, value in entry.items():
            entry[name] = round(value, 2)
    return result


def detail(customer: dict[str, Any], figures_of: dict[str, float]) -> dict[str, Any]:
    """A customerFinancialDetail record of a customer."""
    return {"_id": customer["_id"], "number": customer.get("number"), **figures_of}

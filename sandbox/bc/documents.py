"""Amounts of sales documents: line amounts and tax, header totals. Pure functions, shared by
the API and the demo-data generator so that both compute the same numbers.

Tax: a line whose tax code is `TAXABLE` carries 10% sales tax; any other code none. A header's
`discountAmount` is an invoice discount that reduces the amount and, in proportion, the tax.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

TAX_RATES = {"TAXABLE": 10.0}


def _money(value: float) -> float:
    return round(value + 0.0, 2)


def line_amounts(line: Mapping[str, Any]) -> dict[str, Any]:
    """The read-only amounts of a line, from quantity, unit price, discount and tax code."""
    quantity = float(line.get("quantity") or 0.0)
    price = float(line.get("unitPrice") or 0.0)
    gross = quantity * price
    if line.get("discountAmount"):
        discount = float(line["discountAmount"])
        percent = discount / gross * 100 if gross else 0.0
    else:
        percent = float(line.get("discountPercent") or 0.0)
        discount = gross * percent / 100
    amount = _money(gross - discount)
    rate = TAX_RATES.get(str(line.get("taxCode") or "").upper(), 0.0)
    tax = _money(amount * rate / 100)
    return {
        "discountAmount": _money(discount),
        "discountPercent": round(percent, 5),
        "amountExcludingTax": amount,
        "taxPercent": rate,
        "totalTaxAmount": tax,
        "amountIncludingTax": _money(amount + tax),
        "netAmount": amount,
        "netTaxAmount": tax,
        "netAmountIncludingTax": _money(amount + tax),
    }


def header_totals(lines: Iterable[Mapping[str, Any]], discount: float | None) -> dict[str, float]:
    lines = list(lines)
    amount = sum(float(line.get("amountExcludingTax") or 0.0) for line in lines)
    tax = sum(float(line.get("totalTaxAmount") or 0.0) for line in lines)
    discount = float(discount or 0.0)
    after = max(amount - discount, 0.0)
    tax_after = tax * (after / amount) if amount else 0.0
    return {
        "totalAmountExcludingTax": _money(after),
        "totalTaxAmount": _money(tax_after),
        "totalAmountIncludingTax": _money(after + tax_after),
    }

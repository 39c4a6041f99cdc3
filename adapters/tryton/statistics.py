"""Customer statistics: a party's receivable and payable figures, shaped like Business Central's.

Tryton computes `receivable` (what the party owes, all maturities), `receivable_today` (what is
due by today) and `payable` on the party itself. They are exposed under their own names and as
`balance` (= receivable) and `overdueAmount` (= receivable_today), plus `totalSales` (also under
Business Central's name, `totalSalesExcludingTax`): the untaxed total of the party's posted and
paid customer invoices (credit notes count negative), read in one call per batch of parties.
`currencyCode` is the company's currency, in which Tryton reports the receivables. Amounts of
invoices in another currency are added as they are.

A party's timestamp does not move when its receivable does, so this entity has no watermark:
every `changes` pass is a full snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from adapters.tryton.entities import EntityDef, Shape
from adapters.tryton.rpc import TrytonRPC

INVOICED_STATES = ("posted", "paid")
# Both names carry the untaxed total: `totalSalesExcludingTax` is Business Central's.
TOTAL_SALES = ("totalSales", "totalSalesExcludingTax")


class StatisticsShape(Shape):
    async def enrich(
        self,
        rpc: TrytonRPC,
        entity: EntityDef,
        rows: Sequence[Mapping[str, Any]],
        values: Sequence[dict[str, Any]],
        wanted: frozenset[str],
    ) -> None:
        if not rows:
            return
        totals_asked = [name for name in TOTAL_SALES if name in wanted]
        if totals_asked:
            totals = await _sales_totals(rpc, [row["id"] for row in rows])
            for row, record_values in zip(rows, values, strict=True):
                for name in totals_asked:
                    record_values[name] = float(totals.get(row["id"], Decimal(0)))
        if "currencyCode" in wanted:
            code = await company_currency_code(rpc)
            for record_values in values:
                record_values["currencyCode"] = code


async def _sales_totals(rpc: TrytonRPC, party_ids: list[int]) -> dict[int, Decimal]:
    invoices = await rpc.model(
        "account.invoice",
        "search_read",
        [
            ["party", "in", party_ids],
            ["type", "=", "out"],
            ["state", "in", list(INVOICED_STATES)],
        ],
        0,
        None,
        None,
        ["party", "untaxed_amount"],
    )
    totals: dict[int, Decimal] = {}
    for invoice in invoices:
        amount = invoice.get("untaxed_amount") or Decimal(0)
        totals[invoice["party"]] = totals.get(invoice["party"], Decimal(0)) + amount
    return totals


async def company_currency_code(rpc: TrytonRPC) -> str | None:
    """The currency code of the user's company, read once per connector."""
    if "company_currency_code" not in rpc.memo:
        company = rpc.context.get("company")
        code: str | None = None
        if company:
            found = await rpc.model("company.company", "read", [company], ["currency.code"])
            if found:
                currency = found[0].get("currency.")
                code = currency.get("code") if isinstance(currency, Mapping) else None
        rpc.memo["company_currency_code"] = code
    value = rpc.memo["company_currency_code"]
    return value if isinstance(value, str) else None

"""Invoice payment status: what Update Account Statistics also does for invoices.

A CRM invoice coupled to a posted ERP invoice (POSTEDSALESINV-INV) becomes Paid with status
reason Partial when part of the ERP invoice is paid, and Complete when nothing remains; a
Partial invoice may become Complete later, nothing else moves back. The sync engine's push
carries it out with `payment_planner` in place of the mapping's rows: per page of invoice
couplings one read of each side and one bulk write of the invoices whose status changes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from adapters.base import Connector, Page, Record
from adapters.filters import eq
from gateway.mappings.model import Direction, TableMapping
from gateway.mappings.translate import Lookups
from gateway.store.couplings import Coupling
from gateway.sync.context import SyncContext
from gateway.sync.engine import Planner
from gateway.sync.plan import PushPlan
from gateway.workflows import states
from gateway.workflows.dialects import ErpDialect, dialect_of

INVOICE_MAPPING = "POSTEDSALESINV-INV"
INVOICE = "invoice"
CUSTOMER_MAPPING = "CUSTOMER"
_PAGE = 200


def paid_status(erp: Mapping[str, Any], erp_dialect: ErpDialect | None = None) -> int | None:
    """The CRM status reason an ERP invoice's payments call for (None: not paid at all)."""
    paid, total, remaining = (erp_dialect or ErpDialect()).invoice_figures(erp)
    if paid or (total > 0 and remaining <= 0):
        return states.PAID_COMPLETE
    if 0 < remaining < total:
        return states.PAID_PARTIAL
    return None


def payment_planner(erp: Connector) -> Planner:
    """What a coupled invoice's payments write to the CRM invoice, for the engine's push."""
    erp_dialect = dialect_of(erp.system)

    def plan(source: Record, target: Record, coupling: Coupling, lookups: Lookups) -> PushPlan:
        del lookups
        wanted = paid_status(source.values, erp_dialect)
        state, reason = target.values.get("statecode"), target.values.get("statuscode")
        moves = wanted is not None and (
            state == states.INVOICE_ACTIVE
            or (
                state == states.INVOICE_PAID
                and reason == states.PAID_PARTIAL
                and wanted == states.PAID_COMPLETE
            )
        )
        changes = {"statecode": states.INVOICE_PAID, "statuscode": wanted} if moves else {}
        baseline = {key: dict(value) for key, value in coupling.synced_values.items()}
        return PushPlan(Direction.TO_CRM, changes, baseline)

    return plan


async def invoice_couplings(
    ctx: SyncContext, mapping: TableMapping, *, customer_id: str | None, page_size: int = _PAGE
) -> AsyncIterator[list[Coupling]]:
    """Pages of the coupled invoices of one ERP customer, or of every coupled invoice."""
    if customer_id is not None:
        couplings = await _customer_couplings(ctx, mapping, customer_id)
        for start in range(0, len(couplings), page_size):
            yield couplings[start : start + page_size]
        return
    after: str | None = None
    while True:
        page, more = await ctx.couplings.page(mapping=mapping.name, after_id=after, size=page_size)
        if page:
            yield page
            after = page[-1].id
        if not more:
            return


async def _customer_couplings(
    ctx: SyncContext, mapping: TableMapping, customer_id: str
) -> list[Coupling]:
    # The invoice's customer is the ERP field the mapping looks up through CUSTOMER.
    customer_field = next(
        (
            row.erp_field
            for row in mapping.fields
            if row.lookup is not None and row.lookup.mapping == CUSTOMER_MAPPING and row.erp_field
        ),
        "customerId",
    )
    ids: list[str] = []
    cursor: str | None = None
    while True:
        result = await ctx.erp.query(
            INVOICE, eq(customer_field, customer_id), Page(size=1000, cursor=cursor)
        )
        ids += [record.id for record in result.records]
        cursor = result.next_cursor
        if cursor is None:
            break
    return list((await ctx.couplings.by_ids(mapping.name, "erp", ids)).values())

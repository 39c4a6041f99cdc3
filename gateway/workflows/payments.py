"""Invoice payment status: what Update Account Statistics also does for invoices.

A CRM invoice coupled to a posted ERP invoice (POSTEDSALESINV-INV) becomes Paid with status
reason Partial when part of the ERP invoice is paid, and Complete when nothing remains; a
Partial invoice may become Complete later, nothing else moves back. Per page of invoice
couplings: one read of each side and one bulk write of the invoices whose status changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.base import Page, Update
from adapters.filters import eq
from gateway.mappings.model import Direction, TableMapping
from gateway.store.couplings import Coupling
from gateway.store.integration_log import Target
from gateway.store.sync_runs import Counters
from gateway.sync.context import SyncContext
from gateway.sync.pairs import write_entry
from gateway.workflows import states
from gateway.workflows.dialects import ErpDialect, dialect_of

INVOICE_MAPPING = "POSTEDSALESINV-INV"
INVOICE = "invoice"
CUSTOMER_MAPPING = "CUSTOMER"
_PAGE = 200


def paid_status(erp: Mapping[str, Any], erp_dialect: ErpDialect | None = None) -> int | None:
    """The CRM status reason an ERP invoice's payments call for (None: not paid at all)."""
    paid, total, remaining = (erp_dialect or dialect_of("")).invoice_figures(erp)
    if paid or (total > 0 and remaining <= 0):
        return states.PAID_COMPLETE
    if 0 < remaining < total:
        return states.PAID_PARTIAL
    return None


async def update_payment_status(
    ctx: SyncContext,
    mapping: TableMapping,
    *,
    customer_id: str | None,
    run_id: str,
    page_size: int = _PAGE,
) -> Counters:
    """For one ERP customer's invoices, or every coupled invoice."""
    counters = Counters()
    if customer_id is not None:
        couplings = await _customer_couplings(ctx, mapping, customer_id)
        for start in range(0, len(couplings), page_size):
            counters.add(await _update(ctx, mapping, couplings[start : start + page_size], run_id))
        return counters
    after: str | None = None
    while True:
        page, more = await ctx.couplings.page(mapping=mapping.name, after_id=after, size=page_size)
        if page:
            counters.add(await _update(ctx, mapping, page, run_id))
            after = page[-1].id
        if not more:
            return counters


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


async def _update(
    ctx: SyncContext, mapping: TableMapping, couplings: list[Coupling], run_id: str
) -> Counters:
    counters = Counters()
    erp = await ctx.erp.get_many(INVOICE, [c.erp.id for c in couplings])
    crm = await ctx.crm.get_many(INVOICE, [c.crm.id for c in couplings])
    updates: list[Update] = []
    for coupling in couplings:
        source, target = erp.get(coupling.erp.id), crm.get(coupling.crm.id)
        if source is None or target is None:
            counters.failed += 1
            continue
        wanted = paid_status(source.values, dialect_of(ctx.erp.system))
        state, reason = target.values.get("statecode"), target.values.get("statuscode")
        moves = wanted is not None and (
            state == states.INVOICE_ACTIVE
            or (
                state == states.INVOICE_PAID
                and reason == states.PAID_PARTIAL
                and wanted == states.PAID_COMPLETE
            )
        )
        if moves:
            values = {"statecode": states.INVOICE_PAID, "statuscode": wanted}
            updates.append(Update(INVOICE, target.id, values, etag=target.etag))
        else:
            counters.unchanged += 1
    results = await ctx.crm.write_many(updates) if updates else []
    entries = []
    for outcome in results:
        operation = outcome.operation
        assert isinstance(operation, Update)
        if outcome.ok:
            counters.modified += 1
        else:
            counters.failed += 1
        entry = write_entry(
            ctx,
            "update",
            outcome.record,
            mapping=mapping,
            direction=Direction.TO_CRM,
            changes=dict(operation.values),
            target=Target(system=ctx.crm.system, entity=operation.entity, id=operation.id),
            error=outcome.error,
        )
        entry.details.update({"run": run_id, "reason": "payment status"})
        entries.append(entry)
    await ctx.log.append_many(entries)
    return counters

"""Sales orders: a submitted CRM order becomes an ERP sales order (mapping SALESORDER-ORDER),
by `createSalesOrderInErp` or by the background jobs when "automatically create sales orders"
is on. The order's name becomes the ERP order's external document number; lines follow the
rules of `gateway.workflows.documents` (write-in products, comment lines for long texts). An
order made from a quote that went to the ERP names that quote (Business Central's Quote No.),
and the quote's version is archived, as Business Central's integration does; where the won
quote is itself the order (Tryton confirms the sale), the CRM order is coupled to it.
The ERP's dialect writes the order: Tryton numbers the sale itself, takes its lines in one
write, and confirms it once they are there.

The states each operation applies to are in `docs/lifecycles.md`.

What happens later in the ERP comes back as events (see `gateway.workflows.invoices`): a
posted invoice of the order makes the CRM order Fulfilled, then Invoiced.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.base import Record
from gateway.refusals import RefusalCode, refuse
from gateway.sync.backfill import agreed
from gateway.workflows import quotes, states
from gateway.workflows.dialects import dialect
from gateway.workflows.documents import (
    coupling_of,
    erp_header,
    erp_lines,
    lines_of,
    mapping_named,
    read_one,
    side_record,
    summary,
)
from gateway.workflows.engine import Definition, Input
from gateway.workflows.steps import Result, Steps, WorkflowContext

ORDER_MAPPING = "SALESORDER-ORDER"
ORDER, ORDER_LINE = "sales_order", "sales_order_line"
QUOTE_LOOKUP = "_quoteid_value"


async def normalize(ctx: WorkflowContext, raw: Input) -> Input:
    del ctx
    if not raw.get("crmOrderId"):
        raise refuse(RefusalCode.INVALID_INPUT, "give crmOrderId", "crmOrderId")
    return {"crmOrderId": str(raw["crmOrderId"])}


async def check(ctx: WorkflowContext, data: Input) -> Result:
    crm_id = data["crmOrderId"]
    crm = await read_one(ctx, "crm", ORDER, crm_id)
    if crm is None:
        raise refuse(RefusalCode.NOT_FOUND, f"CRM sales order {crm_id} not found", "crmOrderId")
    coupling = await coupling_of(ctx, ORDER_MAPPING, "crm", crm_id)
    erp = await read_one(ctx, "erp", ORDER, coupling.erp.id) if coupling is not None else None
    crm_state = states.crm_order_state(crm.values)
    erp_state = dialect(ctx).order_state(erp.values) if erp is not None else states.ABSENT
    if coupling is not None or crm_state != "Submitted":
        where = states.sides("order", crm_state, "order", erp_state)
        if coupling is not None and erp is None:
            where += f" (it was coupled to ERP order {coupling.erp.key or coupling.erp.id})"
        raise refuse(
            RefusalCode.INVALID_TRANSITION,
            f"{where}: createSalesOrderInErp applies to a Submitted order that is not in the "
            "ERP yet",
            states={"crm": crm_state, "erp": erp_state},
        )
    mapping = await mapping_named(ctx, ORDER_MAPPING)
    header = await erp_header(ctx, mapping, crm.values, document="order", field="crmOrderId")
    crm_lines = await lines_of(ctx, "crm", "sales_order_line", "_salesorderid_value", crm_id)
    planned = await erp_lines(ctx, [line.values for line in crm_lines], field="crmOrderId")
    quote = await _erp_quote_of(ctx, crm.values)
    erp_dialect = dialect(ctx)
    if (
        quote is not None
        and erp_dialect.won_quote_is_order
        and erp_dialect.quote_state(quote.values) == "Accepted"
    ):
        return {"crmState": crm_state, "erpState": erp_state, "erpOrderId": quote.id}
    if quote is not None and erp_dialect.order_quote_field is not None:
        header[erp_dialect.order_quote_field] = quote.values.get("number")
    return {
        "crmState": crm_state,
        "erpState": erp_state,
        "header": header,
        "lines": await dialect(ctx).plan_lines(ctx, planned, field="crmOrderId"),
        "erpQuoteId": quote.id if quote is not None else None,
        "erpQuoteArchived": int(quote.values.get("archivedVersions") or 0) if quote else 0,
    }


async def _erp_quote_of(ctx: WorkflowContext, crm_order: Mapping[str, Any]) -> Record | None:
    """The ERP quote of the CRM quote the order was made from, if it went to the ERP; an
    ERP quote that is already the order of another CRM order is refused."""
    crm_quote = crm_order.get(QUOTE_LOOKUP)
    if not crm_quote:
        return None
    coupling = await coupling_of(ctx, quotes.QUOTE_MAPPING, "crm", str(crm_quote))
    if coupling is None:
        return None
    taken = await coupling_of(ctx, ORDER_MAPPING, "erp", coupling.erp.id)
    if taken is not None:
        raise refuse(
            RefusalCode.INVALID_TRANSITION,
            f"the order's quote {coupling.crm.key or crm_quote} is in the ERP as the order of "
            f"CRM order {taken.crm.key or taken.crm.id} already",
            "crmOrderId",
        )
    return await dialect(ctx).read_quote(ctx, coupling.erp.id)


async def run(ctx: WorkflowContext, steps: Steps, data: Input) -> Result:
    seen, crm_id, erp_dialect = steps.checked, data["crmOrderId"], dialect(ctx)
    if seen.get("erpOrderId"):  # the won quote is the order already (Tryton's confirmed sale)
        erp_id = str(seen["erpOrderId"])
    else:
        erp_id = await _create_in_erp(ctx, steps, seen)
    await _couple_step(ctx, steps, erp_id, crm_id)

    async def read() -> Result:
        erp = await read_one(ctx, "erp", ORDER, erp_id)
        crm = await read_one(ctx, "crm", ORDER, crm_id)
        return {
            "crmOrder": summary(
                crm,
                states.crm_order_state(crm.values if crm else None),
                number_field="ordernumber",
            ),
            "erpOrder": summary(
                erp, erp_dialect.order_state(erp.values if erp else None), number_field="number"
            ),
        }

    return await steps.step("result", read)


async def _create_in_erp(ctx: WorkflowContext, steps: Steps, seen: Result) -> str:
    new_id, erp_dialect, header = steps.derived_id("erp-order"), dialect(ctx), seen["header"]

    async def create() -> Result:
        return await erp_dialect.create_document(ctx, ORDER, header, new_id)

    async def find() -> Result | None:
        return await erp_dialect.find_document(ctx, ORDER, header, new_id)

    made = await steps.step("create-erp-order", create, find=find, creates="erpOrder")
    erp_id = str(made["id"])
    planned = seen["lines"]
    ids = [steps.derived_id("erp-order-line", str(i)) for i in range(len(planned))]
    await steps.step(
        "create-erp-order-lines",
        lambda: erp_dialect.write_lines(ctx, (ORDER, erp_id), ORDER_LINE, planned, ids),
    )
    if erp_dialect.opens_orders:
        await steps.step("open-erp-order", lambda: erp_dialect.open_order(ctx, erp_id))
    if seen.get("erpQuoteId"):
        # The order names its quote (in the header above); the quote's version is archived.
        await quotes.archive_step(
            ctx, steps, str(seen["erpQuoteId"]), int(seen.get("erpQuoteArchived") or 0)
        )

    return erp_id


async def _couple_step(ctx: WorkflowContext, steps: Steps, erp_id: str, crm_id: str) -> None:
    async def couple() -> Result:
        mapping = await mapping_named(ctx, ORDER_MAPPING)
        erp = await read_one(ctx, "erp", ORDER, erp_id)
        crm = await read_one(ctx, "crm", ORDER, crm_id)
        assert erp is not None
        assert crm is not None
        coupled = await ctx.couplings.couple(
            ORDER_MAPPING,
            side_record(mapping, "erp", erp),
            side_record(mapping, "crm", crm),
            synced_values=agreed(mapping, erp.values, crm.values),
        )
        return {"coupling": coupled.coupling.id}

    await steps.step("couple-orders", couple)


DEFINITIONS = (Definition("createSalesOrderInErp", normalize, check, run),)

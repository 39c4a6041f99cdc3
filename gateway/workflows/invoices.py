"""Posted ERP invoices in the CRM (mapping POSTEDSALESINV-INV): created there with their
lines (`gateway.workflows.carried_lines`), so that the CRM computes the ERP's totals, then
Billed; for orders that came from the CRM (the background jobs pick posted invoices of
coupled orders up) or on request (`createInvoiceInCrm`). When the invoice's order is coupled,
the CRM order becomes Fulfilled (if it was not yet), then Invoiced.

The states each operation applies to are in `docs/lifecycles.md`.

Payments reach the CRM invoice through Update Account Statistics (`gateway.sync.statistics`):
Paid with status reason Partial or Complete.
"""

from __future__ import annotations

from typing import Any

from gateway.mappings.model import Direction
from gateway.mappings.translate import resolve_lookups
from gateway.refusals import RefusalCode, refuse
from gateway.sync.backfill import agreed
from gateway.sync.matching import counterpart_id
from gateway.sync.plan import plan_create
from gateway.workflows import states
from gateway.workflows.carried_lines import carry_lines_step, crm_lines_for
from gateway.workflows.dialects import dialect
from gateway.workflows.documents import coupling_of, mapping_named, read_one, side_record, summary
from gateway.workflows.engine import Definition, Input
from gateway.workflows.steps import Result, Steps, WorkflowContext
from gateway.workflows.wording import not_carried

INVOICE_MAPPING = "POSTEDSALESINV-INV"
INVOICE, ORDER = "invoice", "sales_order"
ORDER_LOOKUP = "_salesorderid_value"
# Columns the CRM computes itself (from the invoice's products): never written.
CRM_COMPUTED = frozenset({"totalamount", "totallineitemamount"})


async def normalize(ctx: WorkflowContext, raw: Input) -> Input:
    del ctx
    if not raw.get("erpInvoiceId"):
        raise refuse(RefusalCode.INVALID_INPUT, "give erpInvoiceId", "erpInvoiceId")
    return {"erpInvoiceId": str(raw["erpInvoiceId"])}


async def check(ctx: WorkflowContext, data: Input) -> Result:
    erp_id = data["erpInvoiceId"]
    erp = await read_one(ctx, "erp", INVOICE, erp_id)
    if erp is None:
        raise refuse(RefusalCode.NOT_FOUND, f"ERP invoice {erp_id} not found", "erpInvoiceId")
    erp_state = dialect(ctx).invoice_state(erp.values)
    coupling = await coupling_of(ctx, INVOICE_MAPPING, "erp", erp_id)
    crm = await read_one(ctx, "crm", INVOICE, coupling.crm.id) if coupling is not None else None
    crm_state = states.crm_invoice_state(crm.values if crm is not None else None)
    if coupling is not None or erp_state not in ("Open", "Paid"):
        where = states.sides("invoice", crm_state, "invoice", erp_state)
        raise refuse(
            RefusalCode.INVALID_TRANSITION,
            f"{where}: createInvoiceInCrm applies to a posted ERP invoice not yet in the CRM",
            states={"crm": crm_state, "erp": erp_state},
        )
    mapping = await mapping_named(ctx, INVOICE_MAPPING)
    lookups = await resolve_lookups(mapping, Direction.TO_CRM, [erp.values], ctx.couplings)
    plan = plan_create(mapping, Direction.TO_CRM, erp.values, lookups)
    # An invoice of an order that did not come from the CRM simply has no CRM order.
    problems = [p for p in plan.problems if not p.row.endswith(f"|{ORDER_LOOKUP}")]
    if problems:
        raise await not_carried(
            ctx,
            mapping,
            Direction.TO_CRM,
            erp.values,
            problems,
            document="invoice",
            field=("erpInvoiceId",),
        )
    values = {k: v for k, v in plan.values.items() if k not in CRM_COMPUTED}
    return {
        "erpState": erp_state,
        "crmState": crm_state,
        "values": values,
        "lines": await crm_lines_for(ctx, await dialect(ctx).document_lines(ctx, erp)),
        "crmOrderId": values.get(ORDER_LOOKUP),
    }


async def run(ctx: WorkflowContext, steps: Steps, data: Input) -> Result:
    seen, erp_id = steps.checked, data["erpInvoiceId"]
    mapping = await mapping_named(ctx, INVOICE_MAPPING)
    crm_id = counterpart_id(mapping, Direction.TO_CRM, erp_id)

    async def create() -> Result:
        # Active (New) until its lines are there: only a complete invoice is Billed.
        values: dict[str, Any] = {**seen["values"], "invoiceid": crm_id}
        made = await ctx.crm.create(INVOICE, values)
        return {"id": made.id}

    async def find() -> Result | None:
        found = await read_one(ctx, "crm", INVOICE, crm_id)
        return {"id": found.id} if found is not None else None

    await steps.step("create-crm-invoice", create, find=find, creates="crmInvoice")
    await carry_lines_step(
        ctx,
        steps,
        "create-crm-invoice-lines",
        document=INVOICE,
        crm_id=crm_id,
        wanted=seen["lines"],
    )

    async def bill() -> Result:
        await ctx.crm.update(
            INVOICE, crm_id, {"statecode": states.INVOICE_ACTIVE, "statuscode": states.BILLED}
        )
        return {"state": "Billed"}

    await steps.step("bill-crm-invoice", bill)

    async def couple() -> Result:
        erp = await read_one(ctx, "erp", INVOICE, erp_id)
        crm = await read_one(ctx, "crm", INVOICE, crm_id)
        assert erp is not None
        assert crm is not None
        coupled = await ctx.couplings.couple(
            INVOICE_MAPPING,
            side_record(mapping, "erp", erp),
            side_record(mapping, "crm", crm),
            synced_values=agreed(mapping, erp.values, crm.values),
        )
        return {"coupling": coupled.coupling.id}

    await steps.step("couple-invoices", couple)
    order_id = seen.get("crmOrderId")
    if order_id:
        await _order_invoiced(ctx, steps, str(order_id))

    async def read() -> Result:
        erp = await read_one(ctx, "erp", INVOICE, erp_id)
        crm = await read_one(ctx, "crm", INVOICE, crm_id)
        order = await read_one(ctx, "crm", ORDER, str(order_id)) if order_id else None
        return {
            "erpInvoice": summary(
                erp,
                dialect(ctx).invoice_state(erp.values if erp else None),
                number_field="number",
            ),
            "crmInvoice": summary(
                crm,
                states.crm_invoice_state(crm.values if crm else None),
                number_field="invoicenumber",
            ),
            "crmOrder": summary(
                order,
                states.crm_order_state(order.values if order else None),
                number_field="ordernumber",
            )
            if order_id
            else None,
        }

    return await steps.step("result", read)


async def _order_invoiced(ctx: WorkflowContext, steps: Steps, order_id: str) -> None:
    """The CRM order was shipped and invoiced: Fulfilled, then Invoiced."""

    async def state() -> int:
        order = await read_one(ctx, "crm", ORDER, order_id)
        return int(order.values.get("statecode") or 0) if order is not None else -1

    async def fulfil() -> Result:
        if await state() in (states.ORDER_ACTIVE, states.ORDER_SUBMITTED):
            await ctx.crm.transition(ORDER, order_id, "fulfill")
        return {"state": await state()}

    await steps.step("fulfil-crm-order", fulfil)

    async def invoiced() -> Result:
        if await state() == states.ORDER_FULFILLED:
            await ctx.crm.update(
                ORDER,
                order_id,
                {"statecode": states.ORDER_INVOICED, "statuscode": states.ORDER_INVOICED_REASON},
            )
        return {"state": await state()}

    await steps.step("invoice-crm-order", invoiced)


DEFINITIONS = (Definition("createInvoiceInCrm", normalize, check, run),)

"""The ERP's decision on a submitted quote (mapping SALESQUOTE): approveQuote, rejectQuote.

Either the gateway asks the ERP to decide (the ERP quote is still open: its approve or reject
action runs), or the ERP decided by its own action and the background scan found it (the ERP
quote is already Approved or Rejected: nothing is asked of it). Both end the same way: the
CRM quote becomes Approved in ERP or Rejected in ERP, editable again, and its lines become
what the ERP decided on, edits made there included (`gateway.workflows.carried_lines`). The
ERP's lines are read and translated by the check, before anything is written.

While the quote is Submitted the CRM keeps it read-only, so edits made in the ERP before its
decision reach the CRM with the decision.
"""

from __future__ import annotations

from gateway.workflows import states
from gateway.workflows.carried_lines import carry_lines_step, crm_lines_for
from gateway.workflows.dialects import ErpDialect, dialect
from gateway.workflows.engine import Checker, Definition, Input, Runner
from gateway.workflows.quotes import (
    QUOTE,
    Admits,
    checker,
    crm_step,
    erp_action_step,
    erp_quote_values,
    normalize,
    reached,
    reason_is,
    result,
)
from gateway.workflows.steps import Result, Steps, WorkflowContext


def _decidable(decided: str) -> Admits:
    def admits(crm_state: str, erp_state: str, erp_dialect: ErpDialect) -> bool:
        open_or_decided = erp_state in erp_dialect.decision_states or erp_state == decided
        return crm_state == "Submitted" and open_or_decided

    return admits


def _decision_checker(operation: str, decided: str) -> Checker:
    """A Submitted quote open in the ERP, or already `decided` there."""
    base = checker(
        operation,
        _decidable(decided),
        f"a Submitted quote open in the ERP (or {decided} there)",
    )

    async def check(ctx: WorkflowContext, data: Input) -> Result:
        seen = await base(ctx, data)
        erp = await erp_quote_values(ctx, str(seen["erpQuoteId"]))
        seen["crmLines"] = await crm_lines_for(ctx, await dialect(ctx).document_lines(ctx, erp))
        return seen

    return check


def _erp_decision(action: str, reason: int, erp_state: str) -> Runner:
    async def run(ctx: WorkflowContext, steps: Steps, data: Input) -> Result:
        seen, crm_id = steps.checked, data["crmQuoteId"]
        if seen["erpState"] != erp_state:  # decided in the ERP already: only carried
            await erp_action_step(
                ctx,
                steps,
                f"{action}-erp-quote",
                seen["erpQuoteId"],
                action=action,
                done=reached(erp_state),
            )

        async def mark() -> None:
            await ctx.crm.update(QUOTE, crm_id, {"statuscode": reason})

        name = f"mark-crm-quote-{erp_state.lower()}"
        await crm_step(ctx, steps, name, crm_id, change=mark, done=reason_is(reason))
        # Editable again: the lines as the ERP decided on them.
        await carry_lines_step(
            ctx, steps, "carry-erp-lines", document=QUOTE, crm_id=crm_id, wanted=seen["crmLines"]
        )
        return await result(ctx, steps, crm_id)

    return run


DEFINITIONS = (
    Definition(
        "approveQuote",
        normalize,
        _decision_checker("approveQuote", "Approved"),
        _erp_decision("approve", states.APPROVED_IN_ERP, "Approved"),
        repeatable=True,
    ),
    Definition(
        "rejectQuote",
        normalize,
        _decision_checker("rejectQuote", "Rejected"),
        _erp_decision("reject", states.REJECTED_IN_ERP, "Rejected"),
        repeatable=True,
    ),
)

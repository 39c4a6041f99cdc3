"""The quote lifecycle across both systems (mapping SALESQUOTE: CRM quote ↔ ERP sales quote).

- submitQuote: a Draft quote (also Approved or Rejected in ERP) becomes Submitted, read-only
  in the CRM; the ERP quote is created with its lines and coupled, or, when it exists, its
  previous version is archived and it is reopened and updated. It is left open: deciding on
  it is the ERP's (`gateway.workflows.quote_decisions`: approveQuote, rejectQuote).
- activateQuote: a quote Approved in ERP, or a Draft not yet approved there, becomes Active.
- processQuote: an Active quote goes to the ERP (created, or a new version of it).
- markQuoteWon: an Active quote (or one won in the CRM itself) is Won; the ERP quote (created
  first if it never went there) is released and Accepted.
- markQuoteLost: an Active quote is Lost.
- reviseQuote: an Active, Lost or Canceled quote gets a new CRM revision; the ERP quote's
  previous version is archived, the quote reopened, updated from the revision, and coupled
  to it.

`docs/lifecycles.md` has the table of states and transitions. The ERP's side goes through the
configured ERP's dialect (`gateway.workflows.dialects`): its words for a quote's state, its
actions, and how it takes a quote and its lines.
Each check reads both sides first and refuses with INVALID_TRANSITION naming both states when
the operation does not apply; nothing is written then.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adapters.base import Record
from adapters.filters import And, eq
from gateway.refusals import RefusalCode, RefusalError, refuse
from gateway.sync.backfill import agreed
from gateway.workflows import states
from gateway.workflows.dialects import ErpDialect, dialect
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
from gateway.workflows.engine import Checker, Definition, Input
from gateway.workflows.steps import Result, Steps, WorkflowContext

QUOTE_MAPPING = "SALESQUOTE"
QUOTE, QUOTE_LINE = "quote", "quote_line"
DRAFTS = {"Draft", "Approved in ERP", "Rejected in ERP"}
OPEN = {"Open", "Pending Approval"}
NOT_ACCEPTED = {states.ABSENT, "Open", "Pending Approval", "Approved", "Rejected"}

Allowed = Callable[[str, str], bool]
# Whether a check admits (CRM state, ERP state), given the ERP's dialect.
Admits = Callable[[str, str, ErpDialect], bool]
Reached = Callable[[str], bool]  # an ERP quote state says a step's action took effect


async def normalize(ctx: WorkflowContext, raw: Input) -> Input:
    """`crmQuoteId` or `erpQuoteId` (through its SALESQUOTE coupling) → the CRM quote id."""
    crm_id, erp_id = raw.get("crmQuoteId"), raw.get("erpQuoteId")
    if erp_id:
        coupling = await coupling_of(ctx, QUOTE_MAPPING, "erp", str(erp_id))
        if coupling is None:
            raise refuse(
                RefusalCode.NOT_COUPLED,
                f"ERP quote {erp_id} is not coupled to a CRM quote in {QUOTE_MAPPING}",
                "erpQuoteId",
            )
        if crm_id and str(crm_id) != coupling.crm.id:
            raise refuse(
                RefusalCode.INVALID_INPUT,
                f"ERP quote {erp_id} is coupled to CRM quote {coupling.crm.id}, not {crm_id}",
                "crmQuoteId",
            )
        crm_id = coupling.crm.id
    if not crm_id:
        raise refuse(RefusalCode.INVALID_INPUT, "give crmQuoteId or erpQuoteId", "crmQuoteId")
    extra = {k: v for k, v in raw.items() if k not in ("crmQuoteId", "erpQuoteId")}
    return {"crmQuoteId": str(crm_id), **extra}


async def read_sides(ctx: WorkflowContext, crm_id: str) -> tuple[Record, Record | None, Result]:
    """The CRM quote, its ERP quote (if coupled and still there), and what a check records."""
    crm = await read_one(ctx, "crm", QUOTE, crm_id)
    if crm is None:
        raise refuse(RefusalCode.NOT_FOUND, f"CRM quote {crm_id} not found", "crmQuoteId")
    coupling = await coupling_of(ctx, QUOTE_MAPPING, "crm", crm_id)
    erp_dialect = dialect(ctx)
    erp = await erp_dialect.read_quote(ctx, coupling.erp.id) if coupling is not None else None
    if coupling is not None and erp is None:
        raise refuse(
            RefusalCode.INVALID_TRANSITION,
            f"the ERP quote {coupling.erp.key or coupling.erp.id} coupled to CRM quote "
            f"{crm.values.get('quotenumber')} no longer exists (it was made into an order or "
            "deleted)",
            states={"crm": states.crm_quote_state(crm.values), "erp": states.ABSENT},
        )
    seen: Result = {
        "crmQuoteId": crm.id,
        "crmState": states.crm_quote_state(crm.values),
        "crmEtag": crm.etag,
        "quoteNumber": crm.values.get("quotenumber"),
        "revision": crm.values.get("revisionnumber") or 0,
        "erpQuoteId": erp.id if erp is not None else None,
        "erpState": erp_dialect.quote_state(erp.values if erp is not None else None),
        "erpArchived": int(erp.values.get("archivedVersions") or 0) if erp is not None else 0,
    }
    return crm, erp, seen


def not_admitted(operation: str, seen: Result, applies: str) -> RefusalError:
    where = states.sides("quote", seen["crmState"], "quote", seen["erpState"])
    return refuse(
        RefusalCode.INVALID_TRANSITION,
        f"{where}: {operation} applies to {applies}",
        states={"crm": str(seen["crmState"]), "erp": str(seen["erpState"])},
    )


async def translation(ctx: WorkflowContext, crm: Record) -> Result:
    """The ERP quote's header and lines for a CRM quote, checked before any write."""
    mapping = await mapping_named(ctx, QUOTE_MAPPING)
    header = await erp_header(ctx, mapping, crm.values, document="quote", field="crmQuoteId")
    crm_lines = await lines_of(ctx, "crm", QUOTE_LINE, "_quoteid_value", crm.id)
    planned = await erp_lines(ctx, [r.values for r in crm_lines], field="crmQuoteId")
    lines = await dialect(ctx).plan_lines(ctx, planned, field="crmQuoteId")
    return {"header": header, "lines": lines}


def checker(
    operation: str, allowed: Admits, applies: str, *, translate: Allowed | None = None
) -> Checker:
    async def check(ctx: WorkflowContext, data: Input) -> Result:
        crm, _erp, seen = await read_sides(ctx, data["crmQuoteId"])
        if not allowed(seen["crmState"], seen["erpState"], dialect(ctx)):
            raise not_admitted(operation, seen, applies)
        if translate is not None and translate(seen["crmState"], seen["erpState"]):
            seen.update(await translation(ctx, crm))
        return seen

    return check


# -- shared steps -----------------------------------------------------------------------


async def erp_quote_values(ctx: WorkflowContext, erp_id: str) -> Record:
    found = await dialect(ctx).read_quote(ctx, erp_id)
    if found is None:
        raise refuse(RefusalCode.NOT_FOUND, f"the ERP quote {erp_id} no longer exists")
    return found


async def create_in_erp(ctx: WorkflowContext, steps: Steps, crm_id: str, seen: Result) -> str:
    """Create the ERP quote with its lines, and couple it to the CRM quote."""
    new_id, erp_dialect, header = steps.derived_id("erp-quote"), dialect(ctx), seen["header"]

    async def create() -> Result:
        return await erp_dialect.create_document(ctx, QUOTE, header, new_id)

    async def find() -> Result | None:
        return await erp_dialect.find_document(ctx, QUOTE, header, new_id)

    made = await steps.step("create-erp-quote", create, find=find, creates="erpQuote")
    erp_id = str(made["id"])
    await lines_step(ctx, steps, "create-erp-quote-lines", erp_id, seen["lines"])
    await couple_step(ctx, steps, "couple-quotes", erp_id, crm_id)
    return erp_id


async def lines_step(
    ctx: WorkflowContext, steps: Steps, name: str, erp_id: str, planned: list[Result]
) -> None:
    ids = [steps.derived_id(name, str(i)) for i in range(len(planned))]
    write = dialect(ctx).write_lines
    await steps.step(name, lambda: write(ctx, (QUOTE, erp_id), QUOTE_LINE, planned, ids))


async def issue_step(ctx: WorkflowContext, steps: Steps, erp_id: str) -> None:
    """Where the ERP issues a quote once it holds it (Tryton's quotation), issue it."""
    if dialect(ctx).issue_action is not None:
        await erp_action_step(
            ctx, steps, "issue-erp-quote", erp_id, action="issue", done=reached("Approved")
        )


async def couple_step(
    ctx: WorkflowContext, steps: Steps, name: str, erp_id: str, crm_id: str
) -> None:
    async def couple() -> Result:
        mapping = await mapping_named(ctx, QUOTE_MAPPING)
        erp = await erp_quote_values(ctx, erp_id)
        crm = await read_one(ctx, "crm", QUOTE, crm_id)
        assert crm is not None
        result = await ctx.couplings.couple(
            QUOTE_MAPPING,
            side_record(mapping, "erp", erp),
            side_record(mapping, "crm", crm),
            synced_values=agreed(mapping, erp.values, crm.values),
        )
        return {"coupling": result.coupling.id}

    await steps.step(name, couple)


async def archive_step(ctx: WorkflowContext, steps: Steps, erp_id: str, archived: int) -> None:
    """Archive the ERP quote's current version (once, however often resumed), where the ERP
    keeps versions."""
    if not dialect(ctx).keeps_versions:
        return

    async def archive() -> Result:
        await ctx.erp.transition(QUOTE, erp_id, dialect(ctx).action("archive"))
        after = await erp_quote_values(ctx, erp_id)
        return {"version": int(after.values.get("archivedVersions") or 0)}

    async def find() -> Result | None:
        current = int((await erp_quote_values(ctx, erp_id)).values.get("archivedVersions") or 0)
        return {"version": current} if current > archived else None

    await steps.step("archive-erp-quote", archive, find=find)


async def erp_action_step(
    ctx: WorkflowContext, steps: Steps, name: str, erp_id: str, *, action: str, done: Reached
) -> None:
    """A common action (approve, release, issue...) on the ERP quote, in the ERP's words;
    `done(state)` says it took effect."""
    erp_dialect = dialect(ctx)

    async def run() -> Result:
        native = erp_dialect.issue_action if action == "issue" else erp_dialect.action(action)
        assert native is not None
        await ctx.erp.transition(QUOTE, erp_id, native)
        after = await erp_quote_values(ctx, erp_id)
        return {"state": erp_dialect.quote_state(after.values)}

    async def find() -> Result | None:
        current = await erp_quote_values(ctx, erp_id)
        state = erp_dialect.quote_state(current.values)
        return {"state": state} if done(state) else None

    await steps.step(name, run, find=find)


async def crm_step(
    ctx: WorkflowContext,
    steps: Steps,
    name: str,
    crm_id: str,
    *,
    change: Callable[[], Any],
    done: Callable[[Record], bool],
) -> None:
    """A change of the CRM quote's state; `done` recognizes it after a crash."""

    async def run() -> Result:
        await change()
        return {"done": True}

    async def find() -> Result | None:
        current = await read_one(ctx, "crm", QUOTE, crm_id)
        return {"done": True} if current is not None and done(current) else None

    await steps.step(name, run, find=find)


def reached(state: str) -> Reached:
    return lambda current: current == state


def reason_is(code: int) -> Callable[[Record], bool]:
    return lambda record: record.values.get("statuscode") == code


def state_is(code: int) -> Callable[[Record], bool]:
    return lambda record: record.values.get("statecode") == code


async def update_erp_from(
    ctx: WorkflowContext, steps: Steps, erp_id: str, header: Result, planned: list[Result]
) -> None:
    async def update() -> Result:
        current = await erp_quote_values(ctx, erp_id)
        changes = {k: v for k, v in header.items() if current.values.get(k) != v}
        if changes:
            await ctx.erp.update(QUOTE, erp_id, changes, etag=current.etag)
        return {"changed": sorted(changes)}

    await steps.step("update-erp-quote", update)
    await lines_step(ctx, steps, "replace-erp-quote-lines", erp_id, planned)


async def reprocess(
    ctx: WorkflowContext, steps: Steps, erp_id: str, seen: Result, *, issue: bool = True
) -> None:
    """A new version for an ERP quote that exists: archive the previous one first; with
    `issue`, put it before the customer again where the ERP does so."""
    await archive_step(ctx, steps, erp_id, int(seen["erpArchived"]))
    if seen["erpState"] in ("Approved", "Rejected", "Pending Approval"):
        await erp_action_step(
            ctx, steps, "reopen-erp-quote", erp_id, action="reopen", done=reached("Open")
        )
    await update_erp_from(ctx, steps, erp_id, seen["header"], seen["lines"])
    if issue:
        await issue_step(ctx, steps, erp_id)


async def result(ctx: WorkflowContext, steps: Steps, crm_id: str) -> Result:
    """Both quotes as they are at the end, recorded as the answer of every repeated call."""

    async def read() -> Result:
        crm = await read_one(ctx, "crm", QUOTE, crm_id)
        coupling = await coupling_of(ctx, QUOTE_MAPPING, "crm", crm_id)
        erp_dialect = dialect(ctx)
        erp = await erp_dialect.read_quote(ctx, coupling.erp.id) if coupling else None
        crm_values = crm.values if crm is not None else None
        erp_values = erp.values if erp is not None else None
        return {
            "crmQuote": summary(
                crm, states.crm_quote_state(crm_values), number_field="quotenumber"
            ),
            "erpQuote": summary(erp, erp_dialect.quote_state(erp_values), number_field="number"),
        }

    return await steps.step("result", read)


# -- the operations ---------------------------------------------------------------------


async def run_submit(ctx: WorkflowContext, steps: Steps, data: Input) -> Result:
    seen, crm_id = steps.checked, data["crmQuoteId"]

    async def lock() -> None:
        await ctx.crm.update(QUOTE, crm_id, {"statuscode": states.SUBMITTED}, etag=seen["crmEtag"])

    await crm_step(
        ctx, steps, "lock-crm-quote", crm_id, change=lock, done=reason_is(states.SUBMITTED)
    )
    # The ERP quote is left open: approving it (or rejecting it) is the ERP's decision.
    if seen["erpQuoteId"] is None:
        await create_in_erp(ctx, steps, crm_id, seen)
    else:
        await reprocess(ctx, steps, seen["erpQuoteId"], seen, issue=False)
    return await result(ctx, steps, crm_id)


async def run_activate(ctx: WorkflowContext, steps: Steps, data: Input) -> Result:
    crm_id = data["crmQuoteId"]

    async def activate() -> None:
        await ctx.crm.transition(QUOTE, crm_id, "activate")

    await crm_step(
        ctx,
        steps,
        "activate-crm-quote",
        crm_id,
        change=activate,
        done=state_is(states.QUOTE_ACTIVE),
    )
    return await result(ctx, steps, crm_id)


async def run_process(ctx: WorkflowContext, steps: Steps, data: Input) -> Result:
    seen, crm_id = steps.checked, data["crmQuoteId"]
    if seen["erpQuoteId"] is None:
        await issue_step(ctx, steps, await create_in_erp(ctx, steps, crm_id, seen))
    elif seen["erpState"] in OPEN:
        await reprocess(ctx, steps, seen["erpQuoteId"], seen)
    return await result(ctx, steps, crm_id)


async def run_win(ctx: WorkflowContext, steps: Steps, data: Input) -> Result:
    seen, crm_id = steps.checked, data["crmQuoteId"]
    erp_id, erp_state = seen["erpQuoteId"], seen["erpState"]
    if erp_id is None:
        erp_id = await create_in_erp(ctx, steps, crm_id, seen)
        if dialect(ctx).issue_action is not None:
            await issue_step(ctx, steps, erp_id)
            erp_state = "Approved"

    async def win() -> None:
        await ctx.crm.transition(QUOTE, crm_id, "win")

    # A quote won in the CRM itself (found by the background scan) is only confirmed.
    if seen["crmState"] != "Won":
        await crm_step(
            ctx, steps, "win-crm-quote", crm_id, change=win, done=state_is(states.QUOTE_WON)
        )
    if erp_state != "Approved":
        await erp_action_step(
            ctx, steps, "release-erp-quote", erp_id, action="release", done=reached("Approved")
        )
    await erp_action_step(
        ctx, steps, "confirm-erp-quote", erp_id, action="confirm", done=reached("Accepted")
    )
    return await result(ctx, steps, crm_id)


async def run_lose(ctx: WorkflowContext, steps: Steps, data: Input) -> Result:
    crm_id = data["crmQuoteId"]

    async def lose() -> None:
        await ctx.crm.transition(QUOTE, crm_id, "lose")

    await crm_step(
        ctx, steps, "lose-crm-quote", crm_id, change=lose, done=state_is(states.QUOTE_CLOSED)
    )
    return await result(ctx, steps, crm_id)


async def run_revise(ctx: WorkflowContext, steps: Steps, data: Input) -> Result:
    seen, crm_id = steps.checked, data["crmQuoteId"]
    number, revision = seen["quoteNumber"], int(seen["revision"]) + 1

    async def revise() -> Result:
        made = await ctx.crm.transition(QUOTE, crm_id, "revise")
        assert made is not None
        return {"id": made.id, "revision": revision}

    async def find() -> Result | None:
        page = await ctx.crm.query(
            QUOTE, And((eq("quotenumber", number), eq("revisionnumber", revision)))
        )
        return {"id": page.records[0].id, "revision": revision} if page.records else None

    made = await steps.step("revise-crm-quote", revise, find=find, creates="crmRevision")
    revised_id = str(made["id"])
    erp_id = seen["erpQuoteId"]
    if erp_id is None:
        return await result(ctx, steps, revised_id)

    async def read_revision() -> Result:
        crm = await read_one(ctx, "crm", QUOTE, revised_id)
        assert crm is not None
        return await translation(ctx, crm)

    revision_data = await steps.step("read-crm-revision", read_revision)
    await archive_step(ctx, steps, erp_id, int(seen["erpArchived"]))
    if seen["erpState"] in ("Approved", "Rejected", "Pending Approval"):
        await erp_action_step(
            ctx, steps, "reopen-erp-quote", erp_id, action="reopen", done=reached("Open")
        )
    await couple_step(ctx, steps, "couple-revision", erp_id, revised_id)
    await update_erp_from(ctx, steps, erp_id, revision_data["header"], revision_data["lines"])
    return await result(ctx, steps, revised_id)


def _in(crm: set[str], erp: set[str]) -> Admits:
    return lambda crm_state, erp_state, _dialect: crm_state in crm and erp_state in erp


def _activatable(crm_state: str, erp_state: str, _dialect: ErpDialect) -> bool:
    return (crm_state == "Approved in ERP" and erp_state == "Approved") or (
        crm_state == "Draft" and erp_state in {states.ABSENT, *OPEN}
    )


def _needs_erp_data(_crm_state: str, erp_state: str) -> bool:
    return erp_state in {states.ABSENT, *OPEN}


DEFINITIONS = (
    Definition(
        "submitQuote",
        normalize,
        checker(
            "submitQuote",
            _in(DRAFTS, NOT_ACCEPTED),
            "a Draft quote (also Approved or Rejected in ERP) whose ERP quote is not accepted",
            translate=lambda _c, _e: True,
        ),
        run_submit,
        repeatable=True,
    ),
    Definition(
        "activateQuote",
        normalize,
        checker(
            "activateQuote",
            _activatable,
            "a quote Approved in ERP (and approved there), or a Draft quote not yet approved "
            "in the ERP",
        ),
        run_activate,
    ),
    Definition(
        "processQuote",
        normalize,
        checker(
            "processQuote",
            _in({"Active"}, {states.ABSENT, *OPEN, "Approved"}),
            "an Active quote whose ERP quote is not accepted or rejected",
            translate=_needs_erp_data,
        ),
        run_process,
    ),
    Definition(
        "markQuoteWon",
        normalize,
        checker(
            "markQuoteWon",
            _in({"Active", "Won"}, {states.ABSENT, *OPEN, "Approved"}),
            "an Active quote (or one won in the CRM) whose ERP quote is not accepted or rejected",
            translate=lambda _c, erp_state: erp_state == states.ABSENT,
        ),
        run_win,
    ),
    Definition(
        "markQuoteLost",
        normalize,
        checker("markQuoteLost", _in({"Active"}, NOT_ACCEPTED), "an Active quote not accepted"),
        run_lose,
    ),
    Definition(
        "reviseQuote",
        normalize,
        checker(
            "reviseQuote",
            _in({"Active", "Lost", "Canceled"}, NOT_ACCEPTED),
            "an Active, Lost or Canceled quote whose ERP quote is not accepted",
        ),
        run_revise,
    ),
)

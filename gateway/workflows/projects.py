"""Projects in the CRM.

- transferQuoteToProject: a won quote becomes an ERP project ("Transfer to project"), and,
  when asked to synchronize it to the CRM, a CRM project (`msdyn_projects`) coupled to it
  through the PROJECT mapping, which the sync engine keeps in step from then on.
- synchronizeProjectToCrm: a project created in the ERP and marked "Synchronize to CRM"
  there (found by the background scan) becomes a CRM project the same way.

A CRM project names the ERP project's number and the CRM quote it came from, and belongs to
the account coupled to the project's customer.

The states it applies to are in `docs/lifecycles.md`.
"""

from __future__ import annotations

from typing import Any

from adapters.base import Record
from gateway.mappings.model import Direction
from gateway.mappings.translate import resolve_lookups
from gateway.refusals import RefusalCode, refuse
from gateway.sync.backfill import agreed
from gateway.sync.matching import counterpart_id
from gateway.sync.plan import plan_create
from gateway.workflows import quotes, states
from gateway.workflows.dialects import dialect
from gateway.workflows.documents import coupling_of, mapping_named, read_one, side_record, summary
from gateway.workflows.engine import Definition, Input
from gateway.workflows.steps import Result, Steps, WorkflowContext
from gateway.workflows.wording import names_of, not_carried

PROJECT_MAPPING, CUSTOMER_MAPPING = "PROJECT", "CUSTOMER"
PROJECT = "project"
# Our solution's columns of a CRM project: the ERP project's number and the CRM quote.
CRM_PROJECT_NUMBER, CRM_PROJECT_QUOTE = "erp_projectnumber", "_erp_quoteid_value"
# The ERP project's "Synchronize to CRM" box, where the ERP has it.
SYNCHRONIZE_TO_CRM = "synchronizeToCrm"


async def normalize(ctx: WorkflowContext, raw: Input) -> Input:
    data = await quotes.normalize(ctx, raw)
    data["synchronizeToCrm"] = bool(raw.get("synchronizeToCrm", False))
    return data


async def check(ctx: WorkflowContext, data: Input) -> Result:
    dialect(ctx).require("transferQuoteToProject")
    _crm, erp, seen = await quotes.read_sides(ctx, data["crmQuoteId"])
    if seen["crmState"] != "Won" or seen["erpState"] != "Accepted":
        raise quotes.not_admitted(
            "transferQuoteToProject", seen, "a Won quote that the ERP has Accepted"
        )
    assert erp is not None
    project_id = erp.values.get("projectId")
    sync = bool(data["synchronizeToCrm"])
    if project_id:
        coupled = await coupling_of(ctx, PROJECT_MAPPING, "erp", str(project_id))
        if not sync or coupled is not None:
            where = " and in the CRM" if coupled is not None else ""
            raise refuse(
                RefusalCode.INVALID_TRANSITION,
                f"the quote was already transferred to the ERP project "
                f"{erp.values.get('projectNumber')}{where}",
                states={"crm": str(seen["crmState"]), "erp": str(seen["erpState"])},
            )
    if sync:
        await mapping_named(ctx, PROJECT_MAPPING)
    customer = erp.values.get("customerId")
    account = await coupling_of(ctx, CUSTOMER_MAPPING, "erp", str(customer)) if customer else None
    seen.update(
        projectId=project_id or None,
        crmAccountId=account.crm.id if account is not None else None,
    )
    return seen


async def run(ctx: WorkflowContext, steps: Steps, data: Input) -> Result:
    seen, crm_id = steps.checked, data["crmQuoteId"]
    erp_quote = str(seen["erpQuoteId"])

    async def make() -> Result:
        await ctx.erp.transition(quotes.QUOTE, erp_quote, "makeProject")
        return await made()

    async def made() -> Result:
        quote = await quotes.erp_quote_values(ctx, erp_quote)
        project = quote.values.get("projectId")
        return {"id": str(project)} if project else {}

    async def find() -> Result | None:
        found = await made()
        return found or None

    project_id = seen["projectId"]
    if not project_id:
        project_id = (await steps.step("make-erp-project", make, find=find, creates="erpProject"))[
            "id"
        ]
    crm_project: str | None = None
    if data["synchronizeToCrm"]:
        crm_project = await to_crm(
            ctx, steps, str(project_id), account=seen.get("crmAccountId"), crm_quote=crm_id
        )
    outcome = await quotes.result(ctx, steps, crm_id)
    return {**outcome, **await _read_projects(ctx, steps, str(project_id), crm_project)}


async def _read_projects(
    ctx: WorkflowContext, steps: Steps, erp_project: str, crm_project: str | None
) -> Result:
    async def read() -> Result:
        erp = await read_one(ctx, "erp", PROJECT, erp_project)
        crm = await read_one(ctx, "crm", PROJECT, crm_project) if crm_project else None
        return {
            "erpProject": summary(erp, _erp_state(erp), number_field="number"),
            "crmProject": summary(crm, _crm_state(crm), number_field="msdyn_subject")
            if crm_project
            else None,
        }

    return await steps.step("read-projects", read)


async def to_crm(
    ctx: WorkflowContext,
    steps: Steps,
    erp_project: str,
    *,
    account: str | None,
    crm_quote: str | None,
) -> str:
    """The ERP project in the CRM, for the coupled account, naming the ERP project's number
    and the CRM quote it came from, coupled through PROJECT; the ERP project is marked as
    synchronized to the CRM where the ERP has that box."""
    mapping = await mapping_named(ctx, PROJECT_MAPPING)
    crm_id = counterpart_id(mapping, Direction.TO_CRM, erp_project)

    async def project() -> Record:
        found = await read_one(ctx, "erp", PROJECT, erp_project)
        if found is None:
            raise refuse(RefusalCode.NOT_FOUND, f"ERP project {erp_project} not found")
        return found

    async def create() -> Result:
        source = await project()
        lookups = await resolve_lookups(mapping, Direction.TO_CRM, [source.values], ctx.couplings)
        plan = plan_create(mapping, Direction.TO_CRM, source.values, lookups)
        if not plan.ok:
            raise await not_carried(
                ctx, mapping, Direction.TO_CRM, source.values, plan.problems, document="project"
            )
        values: dict[str, Any] = {**plan.values, "msdyn_projectid": crm_id}
        if source.values.get("number"):
            values[CRM_PROJECT_NUMBER] = str(source.values["number"])
        if account:
            values["_msdyn_customer_value"] = account
        if crm_quote:
            values[CRM_PROJECT_QUOTE] = crm_quote
        made = await ctx.crm.create(PROJECT, values)
        return {"id": made.id}

    async def find() -> Result | None:
        found = await read_one(ctx, "crm", PROJECT, crm_id)
        return {"id": found.id} if found is not None else None

    await steps.step("create-crm-project", create, find=find, creates="crmProject")

    async def couple() -> Result:
        erp = await project()
        crm = await read_one(ctx, "crm", PROJECT, crm_id)
        assert crm is not None
        coupled = await ctx.couplings.couple(
            PROJECT_MAPPING,
            side_record(mapping, "erp", erp),
            side_record(mapping, "crm", crm),
            synced_values=agreed(mapping, erp.values, crm.values),
        )
        return {"coupling": coupled.coupling.id}

    await steps.step("couple-projects", couple)
    if SYNCHRONIZE_TO_CRM in ctx.erp.entities()[PROJECT].fields:

        async def mark() -> Result:
            erp = await project()
            if not erp.values.get(SYNCHRONIZE_TO_CRM):
                await ctx.erp.update(
                    PROJECT, erp_project, {SYNCHRONIZE_TO_CRM: True}, etag=erp.etag
                )
            return {SYNCHRONIZE_TO_CRM: True}

        await steps.step("mark-erp-project-synchronized", mark)
    return crm_id


# -- a project created in the ERP and marked "Synchronize to CRM" --------------------------


async def normalize_marked(ctx: WorkflowContext, raw: Input) -> Input:
    del ctx
    if not raw.get("erpProjectId"):
        raise refuse(RefusalCode.INVALID_INPUT, "give erpProjectId", "erpProjectId")
    return {"erpProjectId": str(raw["erpProjectId"])}


async def check_marked(ctx: WorkflowContext, data: Input) -> Result:
    erp_id = data["erpProjectId"]
    erp = await read_one(ctx, "erp", PROJECT, erp_id)
    if erp is None:
        raise refuse(RefusalCode.NOT_FOUND, f"ERP project {erp_id} not found", "erpProjectId")
    number = erp.values.get("number") or erp_id
    coupled = await coupling_of(ctx, PROJECT_MAPPING, "erp", erp_id)
    if coupled is not None:
        raise refuse(
            RefusalCode.INVALID_TRANSITION,
            f"the ERP project {number} is already in the CRM",
            states={"crm": "Active", "erp": _erp_state(erp)},
        )
    await mapping_named(ctx, PROJECT_MAPPING)
    customer = erp.values.get("customerId")
    account = await coupling_of(ctx, CUSTOMER_MAPPING, "erp", str(customer)) if customer else None
    if customer and account is None:
        name = (await names_of(ctx.erp, "customer", [str(customer)])).get(str(customer), customer)
        raise refuse(
            RefusalCode.DEPENDENCY_NOT_COUPLED,
            f"the ERP project {number} is for the customer {name}, which is not coupled to a "
            f"CRM account: couple it in {CUSTOMER_MAPPING} first",
            "erpProjectId",
        )
    quote = erp.values.get("quoteId")
    crm_quote = await coupling_of(ctx, quotes.QUOTE_MAPPING, "erp", str(quote)) if quote else None
    return {
        "crmState": states.ABSENT,
        "erpState": _erp_state(erp),
        "crmAccountId": account.crm.id if account is not None else None,
        "crmQuoteId": crm_quote.crm.id if crm_quote is not None else None,
    }


async def run_marked(ctx: WorkflowContext, steps: Steps, data: Input) -> Result:
    seen, erp_id = steps.checked, data["erpProjectId"]
    crm_project = await to_crm(
        ctx, steps, erp_id, account=seen.get("crmAccountId"), crm_quote=seen.get("crmQuoteId")
    )
    return await _read_projects(ctx, steps, erp_id, crm_project)


def _erp_state(record: Record | None) -> str:
    return states.ABSENT if record is None else str(record.values.get("status") or "Open")


def _crm_state(record: Record | None) -> str:
    if record is None:
        return states.ABSENT
    return "Active" if record.values.get("statecode") in (0, None) else "Inactive"


DEFINITIONS = (
    Definition("transferQuoteToProject", normalize, check, run),
    Definition("synchronizeProjectToCrm", normalize_marked, check_marked, run_marked),
)

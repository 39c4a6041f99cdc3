"""Transfer to project: a won quote becomes an ERP project ("Transfer to project"), and, when
asked to synchronize it to the CRM, a CRM project (`msdyn_projects`) coupled to it through the
PROJECT mapping, which the sync engine keeps in step from then on.

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

PROJECT_MAPPING, CUSTOMER_MAPPING = "PROJECT", "CUSTOMER"
PROJECT = "project"


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
        crm_project = await _to_crm(ctx, steps, str(project_id), seen.get("crmAccountId"))
    outcome = await quotes.result(ctx, steps, crm_id)

    async def read_projects() -> Result:
        erp = await read_one(ctx, "erp", PROJECT, str(project_id))
        crm = await read_one(ctx, "crm", PROJECT, crm_project) if crm_project else None
        return {
            "erpProject": summary(erp, _erp_state(erp), number_field="number"),
            "crmProject": summary(crm, _crm_state(crm), number_field="msdyn_subject")
            if crm_project
            else None,
        }

    return {**outcome, **await steps.step("read-projects", read_projects)}


async def _to_crm(ctx: WorkflowContext, steps: Steps, erp_project: str, account: str | None) -> str:
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
            raise refuse(RefusalCode.INVALID_INPUT, plan.problems[0].message)
        values: dict[str, Any] = {**plan.values, "msdyn_projectid": crm_id}
        if account:
            values["_msdyn_customer_value"] = account
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
    return crm_id


def _erp_state(record: Record | None) -> str:
    return states.ABSENT if record is None else str(record.values.get("status") or "Open")


def _crm_state(record: Record | None) -> str:
    if record is None:
        return states.ABSENT
    return "Active" if record.values.get("statecode") in (0, None) else "Inactive"


DEFINITIONS = (Definition("transferQuoteToProject", normalize, check, run),)

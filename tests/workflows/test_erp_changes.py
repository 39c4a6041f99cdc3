"""Changes made in the systems themselves reach the other side on the background's schedule,
on the sandbox's demo data: a quote approved in Business Central by its own action (after a
line was edited there) is Approved in ERP in the CRM with the edit; one rejected there is
Rejected in ERP and editable; a quote won in the CRM is confirmed in the ERP, and the order
made from it names the quote, which is archived; a project created in Business Central and
marked "Synchronize to CRM" appears in the CRM. The ERP and CRM sides are driven through the
sandbox's own APIs; a burst worker runs the lifecycle tick as the schedule would."""

from __future__ import annotations

from typing import Any

from gateway.settings import Settings
from gateway.workflows.engine import Engine, Outcome
from gateway.workflows.instances import WorkflowInstance, WorkflowStatus, WorkflowStore
from gateway.workflows.registry import DEFINITIONS
from tests.support_sandbox import SandboxHandle
from tests.workflows.support import Systems, run_burst_worker, writes
from tests.workflows.tenant import Tenant

SUBMITTED, APPROVED_IN_ERP, REJECTED_IN_ERP = 100000000, 100000001, 100000002


async def start(tenant: Tenant, operation: str, **data: Any) -> Outcome:
    outcome = await Engine(tenant.services, actor="test").start(DEFINITIONS[operation], data)
    assert outcome.refusal is None, outcome.refusal
    assert outcome.instance is not None
    assert outcome.instance.status is WorkflowStatus.SUCCEEDED, outcome.instance.message
    return outcome


async def tick(settings: Settings) -> None:
    worker = await run_burst_worker(settings, "lifecycle_tick")
    assert worker.jobs_complete == 1


async def instances(tenant: Tenant) -> list[WorkflowInstance]:
    found, _ = await WorkflowStore(tenant.services.db).page(after=None, size=100)
    return found


async def erp_quote(check: Systems, erp_id: str) -> dict[str, Any]:
    quote = await check.erp(f"salesQuotes({erp_id})", **{"$expand": "salesQuoteLines"})
    quote["salesQuoteLines"].sort(key=lambda line: line["sequence"])
    return quote


async def test_a_quote_approved_in_business_central_after_an_edit_is_approved_in_the_crm_with_it(
    tenant: Tenant, lifecycle_settings: Settings, check: Systems, sandbox: SandboxHandle
) -> None:
    quote = (await tenant.draft_quotes())[0]
    lines = await tenant.quote_lines(quote.id)
    submitted = await start(tenant, "submitQuote", crmQuoteId=quote.id)
    erp_id = submitted.documents["erpQuote"]["id"]
    first = (await erp_quote(check, erp_id))["salesQuoteLines"][0]

    # In Business Central: the quantity of the first line changes, then the quote is approved.
    await check.erp_edit(f"salesQuoteLines({first['id']})", {"quantity": first["quantity"] + 5})
    await check.erp_action(f"salesQuotes({erp_id})", "approve")
    await tick(lifecycle_settings)

    crm = await check.crm(f"quotes({quote.id})")
    assert (crm["statecode"], crm["statuscode"]) == (0, APPROVED_IN_ERP)
    carried = await tenant.quote_lines(quote.id)
    assert [line.id for line in carried] == [line.id for line in lines]  # changed in place
    assert [line.values["quantity"] for line in carried] == [
        lines[0].values["quantity"] + 5,
        *(line.values["quantity"] for line in lines[1:]),
    ]
    approved = await erp_quote(check, erp_id)
    assert approved["approvalStatus"] == "Approved"
    assert crm["totalamount"] == approved["totalAmountExcludingTax"]
    [decision] = [i for i in await instances(tenant) if i.operation == "approveQuote"]
    assert (decision.actor, decision.status) == ("worker", WorkflowStatus.SUCCEEDED)
    steps = [step.name for step in decision.steps]
    assert "approve-erp-quote" not in steps  # the ERP had decided already
    assert steps[-2:] == ["carry-erp-lines", "result"]

    # The next pass finds nothing new: no instance, no write.
    await sandbox.reset_stats()
    await tick(lifecycle_settings)
    assert writes(await sandbox.stats()) == 0
    assert len(await instances(tenant)) == 2


async def test_a_quote_rejected_in_business_central_is_rejected_in_erp_and_editable_again(
    tenant: Tenant, lifecycle_settings: Settings, check: Systems
) -> None:
    quote, untouched = (await tenant.draft_quotes())[1:3]
    submitted = await start(tenant, "submitQuote", crmQuoteId=quote.id)
    await start(tenant, "submitQuote", crmQuoteId=untouched.id)
    await check.erp_action(f"salesQuotes({submitted.documents['erpQuote']['id']})", "reject")
    await tick(lifecycle_settings)

    crm = await check.crm(f"quotes({quote.id})")
    assert (crm["statecode"], crm["statuscode"]) == (0, REJECTED_IN_ERP)
    await check.crm_edit(f"quotes({quote.id})", {"name": "Reworked after the rejection"})
    # The other submitted quote, still open in the ERP, stays Submitted (and locked).
    assert (await check.crm(f"quotes({untouched.id})"))["statuscode"] == SUBMITTED
    [decision] = [i for i in await instances(tenant) if i.operation == "rejectQuote"]
    assert decision.input == {"crmQuoteId": quote.id}
    assert decision.status is WorkflowStatus.SUCCEEDED


async def test_a_quote_won_in_the_crm_is_confirmed_and_its_order_names_the_archived_quote(
    tenant: Tenant, lifecycle_settings: Settings, check: Systems
) -> None:
    automatic = lifecycle_settings.model_copy(update={"auto_create_sales_orders": True})
    quote = (await tenant.draft_quotes())[3]
    erp_id = (await start(tenant, "submitQuote", crmQuoteId=quote.id)).documents["erpQuote"]["id"]
    await check.erp_action(f"salesQuotes({erp_id})", "approve")
    await tick(automatic)
    await start(tenant, "activateQuote", crmQuoteId=quote.id)

    # In the CRM: the salesperson converts the quote into an order (which wins the quote),
    # and submits the order.
    order = await check.crm_action(
        "ConvertQuoteToSalesOrder", {"QuoteId": quote.id, "ColumnSet": {"AllColumns": True}}
    )
    order_id = order["salesorderid"]
    await check.crm_edit(f"salesorders({order_id})", {"statecode": 1})
    await tick(automatic)

    confirmed = await erp_quote(check, erp_id)
    assert confirmed["status"] == "Accepted"
    coupling = await tenant.services.couplings.by_ids("SALESORDER-ORDER", "crm", [order_id])
    erp_order = await check.erp(
        f"salesOrders({coupling[order_id].erp.id})", **{"$expand": "salesOrderLines"}
    )
    assert erp_order["quoteNumber"] == confirmed["number"]
    assert len(erp_order["salesOrderLines"]) == len(await tenant.quote_lines(quote.id))
    assert confirmed["archivedVersions"] == 1
    archives = await check.erp("salesQuoteArchives", **{"$filter": f"quoteId eq {erp_id}"})
    assert [a["status"] for a in archives["value"]] == ["Accepted"]
    won = [i for i in await instances(tenant) if i.operation == "markQuoteWon"]
    assert [(i.actor, i.status) for i in won] == [("worker", WorkflowStatus.SUCCEEDED)]
    assert "win-crm-quote" not in [step.name for step in won[0].steps]  # won in the CRM


async def test_a_project_marked_in_business_central_for_the_crm_appears_there(
    tenant: Tenant, lifecycle_settings: Settings, check: Systems, sandbox: SandboxHandle
) -> None:
    [customer], _ = await tenant.services.couplings.page(mapping="CUSTOMER", size=1)
    marked = await check.erp_create(
        "projects",
        {"displayName": "Data centre move", "customerId": customer.erp.id},
    )
    unmarked = await check.erp_create(
        "projects", {"displayName": "Internal tooling", "customerId": customer.erp.id}
    )
    in_crm = f"msdyn_projects?$filter=erp_projectnumber eq '{marked['number']}'"
    await tick(lifecycle_settings)
    assert (await check.crm(in_crm))["value"] == []  # not marked yet
    # The project manager ticks "Synchronize to Dynamics 365 Sales".
    await check.erp_edit(f"projects({marked['id']})", {"synchronizeToCrm": True})
    await tick(lifecycle_settings)

    [project] = (await check.crm(in_crm))["value"]
    assert project["msdyn_subject"] == "Data centre move"
    assert project["_msdyn_customer_value"] == customer.crm.id
    couplings = tenant.services.couplings
    coupled = await couplings.by_ids("PROJECT", "erp", [marked["id"], unmarked["id"]])
    assert list(coupled) == [marked["id"]]
    assert coupled[marked["id"]].crm.id == project["msdyn_projectid"]

    await sandbox.reset_stats()
    await tick(lifecycle_settings)
    assert writes(await sandbox.stats()) == 0


async def test_a_transferred_project_names_its_erp_number_and_quote_in_the_crm(
    tenant: Tenant, check: Systems
) -> None:
    quote = (await tenant.draft_quotes())[4]
    await start(tenant, "submitQuote", crmQuoteId=quote.id)
    for operation in ("approveQuote", "activateQuote", "markQuoteWon"):
        await start(tenant, operation, crmQuoteId=quote.id)
    made = await start(tenant, "transferQuoteToProject", crmQuoteId=quote.id, synchronizeToCrm=True)
    erp_project = await check.erp(f"projects({made.documents['erpProject']['id']})")
    crm_project = await check.crm(f"msdyn_projects({made.documents['crmProject']['id']})")
    assert crm_project["erp_projectnumber"] == erp_project["number"]
    assert crm_project["_erp_quoteid_value"] == quote.id
    assert crm_project["_msdyn_customer_value"] == quote.values["_customerid_value"]
    assert erp_project["synchronizeToCrm"] is True  # the box shows it in Business Central

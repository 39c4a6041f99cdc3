"""Quote lifecycles over GraphQL against the sandbox, as the seeds describe them: project
quotations submitted, approved or rejected in the ERP, activated, won, confirmed and turned
into projects; quotes never submitted; revisions archived first. Results are read from the
sandbox's own APIs; refused transitions name both states and write nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway.services import Services
from gateway.settings import Settings
from gateway.sync.incremental import run_incremental
from tests.api.lifecycle_support import mutate, ok
from tests.api.support import data
from tests.support_sandbox import SandboxHandle
from tests.workflows.support import (
    LONG_TEXT,
    WRITE_IN_NUMBER,
    Systems,
    World,
    build_world,
    systems,
    writes,
)

SUBMITTED, APPROVED, REJECTED = 100000000, 100000001, 100000002


@pytest.fixture
def api_settings(connected_settings: Settings) -> Settings:
    return connected_settings.model_copy(
        update={
            "write_in_product_number": WRITE_IN_NUMBER,
            "connector_max_attempts": 1,
            "api_rate_limit": 0,
        }
    )


@pytest.fixture
async def world(store: Services) -> World:
    return await build_world(store)


@pytest.fixture
async def check(sandbox: SandboxHandle) -> AsyncIterator[Systems]:
    async for found in systems(sandbox):
        yield found


async def erp_quote(check: Systems, erp_id: str) -> dict[str, Any]:
    return await check.erp(f"salesQuotes({erp_id})", **{"$expand": "salesQuoteLines"})


async def test_a_project_quotation_from_submission_to_a_project_in_both_systems(
    api: httpx.AsyncClient, world: World, check: Systems, store: Services
) -> None:
    quote = await world.quote("Data centre migration", lines=2, write_in=True)

    submitted = await ok(api, "submitQuote", crmQuoteId=quote.id)
    assert submitted["crmQuote"]["state"] == "Submitted"
    assert submitted["erpQuote"]["state"] == "Open"
    erp_id = submitted["erpQuote"]["id"]
    crm = await check.crm(f"quotes({quote.id})")
    assert (crm["statecode"], crm["statuscode"]) == (0, SUBMITTED)
    edit = await check.dataverse.patch(f"quotes({quote.id})", json={"name": "changed"})
    assert edit.status_code == 400  # read-only until the ERP decides
    erp = await erp_quote(check, erp_id)
    assert erp["externalDocumentNumber"] == "Data centre migration"
    assert erp["validUntilDate"] == "2031-06-30"
    assert erp["customerId"] == world.customer.id
    lines = erp["salesQuoteLines"]
    assert [line["lineType"] for line in lines] == ["Item", "Item", "Item", "Comment", "Comment"]
    assert [line["itemId"] for line in lines[:2]] == [world.item.id] * 2
    assert lines[2]["lineObjectNumber"] == WRITE_IN_NUMBER
    assert "".join(line["description"] for line in lines[3:]) == LONG_TEXT.strip()
    assert erp["totalAmountExcludingTax"] == 2 * 1000 + 3 * 1000 + 250

    approved = await ok(api, "approveQuote", erpQuoteId=erp_id)
    assert approved["crmQuote"]["state"] == "Approved in ERP"
    assert (await check.crm(f"quotes({quote.id})"))["statuscode"] == APPROVED
    assert (await erp_quote(check, erp_id))["approvalStatus"] == "Approved"

    activated = await ok(api, "activateQuote", crmQuoteId=quote.id)
    assert activated["crmQuote"]["state"] == "Active"
    won = await ok(api, "markQuoteWon", crmQuoteId=quote.id)
    assert (won["crmQuote"]["state"], won["erpQuote"]["state"]) == ("Won", "Accepted")
    assert (await check.crm(f"quotes({quote.id})"))["statecode"] == 2
    assert (await erp_quote(check, erp_id))["status"] == "Accepted"

    moved = await ok(api, "transferQuoteToProject", crmQuoteId=quote.id, synchronizeToCrm=True)
    erp_project = await check.erp(f"projects({moved['erpProject']['id']})")
    assert erp_project["quoteId"] == erp_id
    assert erp_project["number"] == moved["erpProject"]["number"]
    crm_project = await check.crm(f"msdyn_projects({moved['crmProject']['id']})")
    assert crm_project["msdyn_subject"] == erp_project["displayName"]
    assert crm_project["_msdyn_customer_value"] == world.account.id

    # From then on the sync engine keeps the CRM project in step with the ERP's.
    renamed = await check.bc.patch(
        f"projects({erp_project['id']})",
        json={"displayName": "Data centre migration, phase 1"},
        headers={"If-Match": erp_project["@odata.etag"]},
    )
    assert renamed.status_code == 200, renamed.text
    run = await run_incremental(store, "PROJECT")
    assert run.counters.modified == 1, run.message
    crm_project = await check.crm(f"msdyn_projects({moved['crmProject']['id']})")
    assert crm_project["msdyn_subject"] == "Data centre migration, phase 1"


async def test_a_rejected_quote_is_editable_and_its_resubmission_archives_the_erp_version(
    api: httpx.AsyncClient, world: World, check: Systems
) -> None:
    quote = await world.quote("Fleet lease", lines=1)
    first = await ok(api, "submitQuote", crmQuoteId=quote.id)
    erp_id = first["erpQuote"]["id"]

    rejected = await ok(api, "rejectQuote", crmQuoteId=quote.id)
    assert (rejected["crmQuote"]["state"], rejected["erpQuote"]["state"]) == (
        "Rejected in ERP",
        "Rejected",
    )
    edit = await check.dataverse.patch(f"quotes({quote.id})", json={"name": "Fleet lease v2"})
    assert edit.status_code == 204  # editable again
    await world.crm.create(
        "quote_line",
        {"_quoteid_value": quote.id, "_productid_value": world.product.id, "quantity": 5.0},
    )

    again = await ok(api, "submitQuote", crmQuoteId=quote.id)
    assert again["workflowInstance"]["generation"] == 2
    assert again["erpQuote"]["id"] == erp_id  # the same ERP quote, a new version of it
    erp = await erp_quote(check, erp_id)
    assert erp["externalDocumentNumber"] == "Fleet lease v2"
    assert erp["approvalStatus"] == "Open"
    assert [line["quantity"] for line in erp["salesQuoteLines"]] == [2.0, 5.0]
    archives = (await check.erp(f"salesQuotes({erp_id})/salesQuoteArchives"))["value"]
    assert [(a["versionNumber"], a["externalDocumentNumber"]) for a in archives] == [
        (1, "Fleet lease")
    ]
    assert (await ok(api, "approveQuote", crmQuoteId=quote.id))["erpQuote"]["state"] == "Approved"


async def test_a_quote_never_submitted_is_created_in_the_erp_when_it_is_won(
    api: httpx.AsyncClient, world: World, check: Systems
) -> None:
    quote = await world.quote("Spare parts", lines=2)
    assert (await ok(api, "activateQuote", crmQuoteId=quote.id))["erpQuote"] is None
    won = await ok(api, "markQuoteWon", crmQuoteId=quote.id)
    assert (won["crmQuote"]["state"], won["erpQuote"]["state"]) == ("Won", "Accepted")
    steps = [step["name"] for step in won["workflowInstance"]["steps"]]
    assert steps[:4] == ["check", "create-erp-quote", "create-erp-quote-lines", "couple-quotes"]
    erp = await erp_quote(check, won["erpQuote"]["id"])
    assert erp["status"] == "Accepted"
    assert len(erp["salesQuoteLines"]) == 2


async def test_a_revision_archives_the_previous_erp_version_before_it_is_processed(
    api: httpx.AsyncClient, world: World, check: Systems, store: Services
) -> None:
    quote = await world.quote("Office chairs", lines=1)
    erp_id = (await ok(api, "submitQuote", crmQuoteId=quote.id))["erpQuote"]["id"]
    await ok(api, "approveQuote", crmQuoteId=quote.id)
    await ok(api, "activateQuote", crmQuoteId=quote.id)

    revised = await ok(api, "reviseQuote", crmQuoteId=quote.id)
    revision = revised["crmQuote"]
    assert revision["id"] != quote.id
    assert (revision["state"], revised["erpQuote"]["state"]) == ("Draft", "Open")
    old = await check.crm(f"quotes({quote.id})")
    assert (old["statecode"], old["statuscode"]) == (3, 7)  # Closed, Revised
    new = await check.crm(f"quotes({revision['id']})")
    assert (new["revisionnumber"], new["quotenumber"]) == (1, old["quotenumber"])
    erp = await erp_quote(check, erp_id)
    assert (erp["approvalStatus"], erp["archivedVersions"]) == ("Open", 1)
    archived = (await check.erp(f"salesQuotes({erp_id})/salesQuoteArchives"))["value"]
    assert [a["approvalStatus"] for a in archived] == ["Approved"]  # the version before
    coupled = await store.couplings.by_ids("SALESQUOTE", "erp", [erp_id])
    assert coupled[erp_id].crm.id == revision["id"]
    names = [step["name"] for step in revised["workflowInstance"]["steps"]]
    assert names.index("archive-erp-quote") < names.index("update-erp-quote")


async def test_a_lost_quote_is_closed_and_the_erp_quote_is_left_alone(
    api: httpx.AsyncClient, world: World, check: Systems
) -> None:
    quote = await world.quote("Canteen", lines=1)
    erp_id = (await ok(api, "submitQuote", crmQuoteId=quote.id))["erpQuote"]["id"]
    await ok(api, "approveQuote", crmQuoteId=quote.id)
    await ok(api, "activateQuote", crmQuoteId=quote.id)
    lost = await ok(api, "markQuoteLost", crmQuoteId=quote.id)
    assert lost["crmQuote"]["state"] == "Lost"
    crm = await check.crm(f"quotes({quote.id})")
    assert (crm["statecode"], crm["statuscode"]) == (3, 5)
    assert (await erp_quote(check, erp_id))["approvalStatus"] == "Approved"


async def test_the_same_call_twice_answers_the_first_result_and_creates_one_erp_quote(
    api: httpx.AsyncClient, world: World, check: Systems, sandbox: SandboxHandle
) -> None:
    quote = await world.quote("Conference room AV", lines=1)
    first = await ok(api, "submitQuote", crmQuoteId=quote.id)
    await sandbox.reset_stats()
    second = await ok(api, "submitQuote", crmQuoteId=quote.id)
    assert second == first
    assert writes(await sandbox.stats()) == 0
    found = await check.erp(
        "salesQuotes", **{"$filter": "externalDocumentNumber eq 'Conference room AV'"}
    )
    assert [q["id"] for q in found["value"]] == [first["erpQuote"]["id"]]


async def won_quote(api: httpx.AsyncClient, world: World, name: str) -> str:
    quote = await world.quote(name, lines=1)
    for operation in ("submitQuote", "approveQuote", "activateQuote", "markQuoteWon"):
        await ok(api, operation, crmQuoteId=quote.id)
    return quote.id


@pytest.mark.parametrize(
    ("stage", "operation", "message"),
    [
        ("draft", "approveQuote", "the CRM quote is Draft and there is no ERP quote: approveQuote"),
        ("draft", "markQuoteWon", "the CRM quote is Draft and there is no ERP quote: markQuoteWon"),
        ("submitted", "activateQuote", "the CRM quote is Submitted and the ERP quote is Open"),
        ("submitted", "markQuoteLost", "the CRM quote is Submitted and the ERP quote is Open"),
        ("won", "submitQuote", "the CRM quote is Won and the ERP quote is Accepted: submitQuote"),
        ("won", "reviseQuote", "the CRM quote is Won and the ERP quote is Accepted: reviseQuote"),
        ("draft", "transferQuoteToProject", "the CRM quote is Draft and there is no ERP quote"),
    ],
)
async def test_an_invalid_transition_names_both_states_and_changes_nothing(
    api: httpx.AsyncClient,
    world: World,
    sandbox: SandboxHandle,
    *,
    stage: str,
    operation: str,
    message: str,
) -> None:
    if stage == "won":
        crm_id = await won_quote(api, world, "Refusals")
    else:
        crm_id = (await world.quote("Refusals", lines=1)).id
        if stage == "submitted":
            await ok(api, "submitQuote", crmQuoteId=crm_id)
    await sandbox.reset_stats()
    answer = await mutate(api, operation, crmQuoteId=crm_id)
    [error] = answer["userErrors"]
    assert error["code"] == "INVALID_TRANSITION"
    assert message in error["message"]
    assert answer["workflowInstance"] is None
    assert writes(await sandbox.stats()) == 0


async def test_a_project_is_made_once(api: httpx.AsyncClient, world: World) -> None:
    crm_id = await won_quote(api, world, "Solar roof")
    await ok(api, "transferQuoteToProject", crmQuoteId=crm_id)
    later = await ok(api, "transferQuoteToProject", crmQuoteId=crm_id, synchronizeToCrm=True)
    assert later["crmProject"] is not None  # the existing project, now also in the CRM
    again = await mutate(api, "transferQuoteToProject", crmQuoteId=crm_id, synchronizeToCrm=True)
    assert again == later  # the same call: the first result


async def test_inputs_and_dependencies_are_checked_before_any_write(
    api: httpx.AsyncClient, world: World, sandbox: SandboxHandle, store: Services
) -> None:
    bad = await mutate(api, "submitQuote", crmQuoteId="not-a-guid")
    assert [(e["code"], e["field"]) for e in bad["userErrors"]] == [
        ("INVALID_INPUT", ["input", "crmQuoteId"])
    ]
    missing = await mutate(api, "submitQuote", crmQuoteId="00000000-0000-0000-0000-000000000001")
    assert [(e["code"], e["field"]) for e in missing["userErrors"]] == [
        ("NOT_FOUND", ["input", "crmQuoteId"])
    ]
    uncoupled = await mutate(api, "approveQuote", erpQuoteId="00000000-0000-0000-0000-000000000002")
    assert uncoupled["userErrors"][0]["code"] == "NOT_COUPLED"

    quote = await world.quote("Uncoupled product", lines=1)
    await store.couplings.uncouple("ITEM-PRODUCT", crm_id=world.product.id)
    await sandbox.reset_stats()
    refused = await mutate(api, "submitQuote", crmQuoteId=quote.id)
    [error] = refused["userErrors"]
    assert error["code"] == "DEPENDENCY_NOT_COUPLED"
    assert "ITEM-PRODUCT" in error["message"]
    assert writes(await sandbox.stats()) == 0


async def test_workflow_instances_show_their_steps_and_what_they_created(
    api: httpx.AsyncClient, world: World
) -> None:
    quote = await world.quote("Instances", lines=1)
    submitted = await ok(api, "submitQuote", crmQuoteId=quote.id)
    instance_id = submitted["workflowInstance"]["id"]
    fields = "id key operation status generation created steps { name status result }"
    one = (
        await data(
            api, f"query ($id: ID!) {{ workflowInstance(id: $id) {{ {fields} }} }}", id=instance_id
        )
    )["workflowInstance"]
    assert one["operation"] == "submitQuote"
    assert one["key"] == f"submitQuote:crmQuoteId={quote.id}#1"
    assert one["created"] == {"erpQuote": submitted["erpQuote"]["id"]}
    assert [step["name"] for step in one["steps"]] == [
        "check",
        "lock-crm-quote",
        "create-erp-quote",
        "create-erp-quote-lines",
        "couple-quotes",
        "result",
    ]
    assert {step["status"] for step in one["steps"]} == {"DONE"}
    listed = await data(
        api,
        "query ($op: String) { workflowInstances(operation: $op) { edges { node { id } } } }",
        op="submitQuote",
    )
    assert [edge["node"]["id"] for edge in listed["workflowInstances"]["edges"]] == [instance_id]


async def test_an_approval_and_a_rejection_sent_together_end_in_agreeing_states(
    api: httpx.AsyncClient, world: World, check: Systems, store: Services
) -> None:
    """Five approvals and five rejections of one submitted quote at once: one decision wins,
    both systems show it, the others are refused, and no workflow is left half done."""
    quote = await world.quote("Contested", lines=1)
    submitted = await ok(api, "submitQuote", crmQuoteId=quote.id)
    erp_id = submitted["erpQuote"]["id"]

    calls = [mutate(api, "approveQuote", crmQuoteId=quote.id) for _ in range(5)]
    calls += [mutate(api, "rejectQuote", crmQuoteId=quote.id) for _ in range(5)]
    answers = await asyncio.gather(*calls)

    crm = await check.crm(f"quotes({quote.id})")
    erp = await erp_quote(check, erp_id)
    decided = {APPROVED: "Approved", REJECTED: "Rejected"}[crm["statuscode"]]
    assert erp["approvalStatus"] == decided
    winners = {a["crmQuote"]["state"] for a in answers if not a["userErrors"]}
    assert winners == {f"{decided} in ERP"}
    refused = {e["code"] for a in answers for e in a["userErrors"]}
    assert refused <= {"INVALID_TRANSITION"}
    statuses = await store.db["workflow_instances"].distinct("status")
    assert "FAILED" not in statuses
    assert "RUNNING" not in statuses

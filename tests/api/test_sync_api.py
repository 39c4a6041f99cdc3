"""The synchronization API over HTTP against the sandbox: full synchronization with progress,
Synchronize Now in a chosen direction, conflicts left for a person, retried errors, account
statistics, and the user errors of bad requests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.asgi_server import running_server
from gateway.services import Services, open_services
from gateway.settings import Settings
from gateway.store.couplings import CoupledRecord
from gateway.sync.incremental import run_incremental
from tests.conftest import TEST_API_KEY
from tests.jobs.support import running_worker
from tests.support import poll_readiness
from tests.support_sandbox import SandboxHandle
from tests.sync.support import (
    PARTIES_ONLY,
    RUN_FIELDS,
    Systems,
    full_synchronization,
    gql,
    writes,
)

SYNCHRONIZE_NOW = f"""
mutation ($input: SynchronizeNowInput!) {{
  synchronizeNow(input: $input) {{
    syncRun {{ {RUN_FIELDS} }}
    changedFields
    userErrors {{ code message field }}
  }}
}}
"""

ERRORS = "query ($m: String) { syncErrors(mapping: $m) { edges { node { id code message } } } }"
CUSTOMER = {"m": "CUSTOMER"}


@pytest.fixture
def sync_settings(connected_settings: Settings) -> Settings:
    # One attempt per request, so that an outage is reported at once.
    return connected_settings.model_copy(update={"connector_max_attempts": 1})


@pytest.fixture
async def store(sync_settings: Settings) -> AsyncIterator[Services]:
    async with open_services(sync_settings, wait_for_store=True) as services:
        yield services


@pytest.fixture
async def api(sync_settings: Settings, store: Services) -> AsyncIterator[httpx.AsyncClient]:
    # A worker carries out what the API queues (a full synchronization).
    async with running_server(create_app(sync_settings)) as url, running_worker(sync_settings):
        await poll_readiness(url)
        async with httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {TEST_API_KEY}"}, timeout=300
        ) as client:
            yield client


@pytest.fixture
async def synced(sandbox: SandboxHandle, api: httpx.AsyncClient, store: Services) -> dict[str, Any]:
    """Demo customers and accounts, fully synchronized (with their salespeople and
    currencies first); the run as the API reported it."""
    await sandbox.seed(accounts=30, **PARTIES_ONLY)
    run = await full_synchronization(api, ["SALESPEOPLE", "CURRENCY", "CUSTOMER"])
    assert run["status"] == "SUCCEEDED", run
    return run


async def customer_pair(store: Services) -> tuple[str, str]:
    page, _ = await store.couplings.page(mapping="CUSTOMER", size=1)
    return page[0].erp.id, page[0].crm.id


async def test_full_synchronization_couples_every_record_once_and_leaves_nothing_to_do(
    synced: dict[str, Any], api: httpx.AsyncClient, store: Services, sandbox: SandboxHandle
) -> None:
    run = synced
    assert run["progress"] == 1.0
    assert run["mappings"] == ["CURRENCY", "SALESPEOPLE", "CUSTOMER"]
    assert run["inserted"] > 0
    assert run["coupled"] > 0
    systems = Systems(sandbox)
    customers = await systems.all_erp("customers")
    accounts = await systems.all_crm("accounts", "accountid,accountnumber")
    assert len(customers) == len(accounts) == await store.couplings.count("CUSTOMER")
    numbers = [a["accountnumber"] for a in accounts]
    assert sorted(numbers) == sorted(c["number"] for c in customers)  # no duplicates, none lost

    listed = await gql(
        api,
        "query ($m: String) { syncRuns(mapping: $m, first: 5) { edges { node { id trigger } } } }",
        {"m": "CUSTOMER"},
    )
    assert [e["node"]["id"] for e in listed["syncRuns"]["edges"]] == [run["id"]]
    node = await gql(
        api,
        "query ($id: ID!) { node(id: $id) { ... on SyncRun { status trigger } } }",
        {"id": run["id"]},
    )
    assert node["node"] == {"status": "SUCCEEDED", "trigger": "fullSynchronization"}

    await sandbox.reset_stats()
    first = await run_incremental(store, "CUSTOMER")  # the full run's own echoes
    second = await run_incremental(store, "CUSTOMER")
    stats = await sandbox.stats()
    assert writes(stats) == 0
    assert (first.counters.modified, first.counters.inserted, first.counters.failed) == (0, 0, 0)
    assert second.counters.records == 0


async def test_synchronize_now_writes_only_what_differs_in_the_direction_chosen(
    synced: dict[str, Any], api: httpx.AsyncClient, store: Services, sandbox: SandboxHandle
) -> None:
    erp_id, crm_id = await customer_pair(store)
    systems = Systems(sandbox)
    await systems.crm("PATCH", f"accounts({crm_id})", {"telephone1": "+1 425 555 0199"})
    await sandbox.reset_stats()

    pulled = (
        await gql(
            api,
            SYNCHRONIZE_NOW,
            {"input": {"mapping": "CUSTOMER", "crmId": crm_id, "direction": "FROM_CRM"}},
        )
    )["synchronizeNow"]

    assert pulled["userErrors"] == []
    assert pulled["changedFields"] == ["phoneNumber"]
    assert pulled["syncRun"]["trigger"] == "synchronizeNow"
    assert (pulled["syncRun"]["status"], pulled["syncRun"]["modified"]) == ("SUCCEEDED", 1)
    customer = await systems.erp("GET", f"customers({erp_id})")
    assert customer["phoneNumber"] == "+1 425 555 0199"
    assert sandbox.requests_to(await sandbox.stats(), "bc", "customers") >= 1
    assert writes(await sandbox.stats()) == 1

    await sandbox.reset_stats()
    again = (
        await gql(
            api,
            SYNCHRONIZE_NOW,
            {"input": {"mapping": "CUSTOMER", "erpId": erp_id, "direction": "TO_CRM"}},
        )
    )["synchronizeNow"]
    assert again["changedFields"] == []
    assert again["syncRun"]["unchanged"] == 1
    assert writes(await sandbox.stats()) == 0


async def test_synchronize_now_refuses_with_the_reason_and_the_field(
    synced: dict[str, Any], api: httpx.AsyncClient, store: Services, sandbox: SandboxHandle
) -> None:
    erp_id, crm_id = await customer_pair(store)
    stranger = str(uuid.uuid4())
    cases = [
        (
            {"mapping": "NOPE", "erpId": erp_id, "direction": "TO_CRM"},
            "NOT_FOUND",
            ["input", "mapping"],
        ),
        (
            {"mapping": "CUSTOMER", "erpId": "not-a-guid", "direction": "TO_CRM"},
            "INVALID_INPUT",
            ["input", "erpId"],
        ),
        (
            {"mapping": "CUSTOMER", "crmId": stranger, "direction": "TO_CRM"},
            "NOT_COUPLED",
            ["input", "crmId"],
        ),
        ({"mapping": "CUSTOMER", "direction": "TO_CRM"}, "INVALID_INPUT", ["input", "erpId"]),
        (
            {"mapping": "CURRENCY", "erpId": erp_id, "direction": "FROM_CRM"},
            "INVALID_INPUT",
            ["input", "direction"],
        ),
    ]
    await sandbox.reset_stats()
    for given, code, field in cases:
        payload = (await gql(api, SYNCHRONIZE_NOW, {"input": given}))["synchronizeNow"]
        assert payload["syncRun"] is None, given
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)], given
    assert writes(await sandbox.stats()) == 0

    await sandbox.set_faults(fail_next={"count": 1, "status": 503})
    down = (
        await gql(
            api,
            SYNCHRONIZE_NOW,
            {"input": {"mapping": "CUSTOMER", "erpId": erp_id, "direction": "TO_CRM"}},
        )
    )["synchronizeNow"]
    await sandbox.clear_faults()
    assert [e["code"] for e in down["userErrors"]] == ["UPSTREAM_UNAVAILABLE"]
    assert down["syncRun"]["status"] == "FAILED"

    await Systems(sandbox).crm("DELETE", f"accounts({crm_id})")
    gone = (
        await gql(
            api,
            SYNCHRONIZE_NOW,
            {"input": {"mapping": "CUSTOMER", "erpId": erp_id, "direction": "TO_CRM"}},
        )
    )["synchronizeNow"]
    assert [e["code"] for e in gone["userErrors"]] == ["NOT_FOUND"]
    assert crm_id in gone["userErrors"][0]["message"]


async def test_a_manual_conflict_waits_for_a_person_who_settles_it(
    synced: dict[str, Any], api: httpx.AsyncClient, store: Services, sandbox: SandboxHandle
) -> None:
    changed = await gql(
        api,
        """mutation ($input: UpdateTableMappingInput!) {
            updateTableMapping(input: $input) {
                tableMapping { conflictPolicy } userErrors { code }
            }
        }""",
        {"input": {"name": "CUSTOMER", "conflictPolicy": "MANUAL"}},
    )
    assert changed["updateTableMapping"]["tableMapping"] == {"conflictPolicy": "MANUAL"}
    await run_incremental(store, "CUSTOMER")  # settle the full run's echoes
    erp_id, crm_id = await customer_pair(store)
    systems = Systems(sandbox)
    await systems.erp("PATCH", f"customers({erp_id})", {"displayName": "Changed in the ERP"})
    await systems.crm("PATCH", f"accounts({crm_id})", {"name": "Changed in the CRM"})
    await sandbox.reset_stats()

    run = await run_incremental(store, "CUSTOMER")

    assert run.counters.failed == 1
    assert writes(await sandbox.stats()) == 0
    errors = (
        await gql(
            api,
            "query ($m: String) { syncErrors(mapping: $m) { edges { node { id erpId crmId code "
            "message attempts } } } }",
            {"m": "CUSTOMER"},
        )
    )["syncErrors"]["edges"]
    [error] = [edge["node"] for edge in errors]
    assert (error["erpId"], error["crmId"], error["code"]) == (erp_id, crm_id, "CONFLICT")
    assert "Changed in the ERP" in error["message"]

    retried = await gql(
        api,
        "mutation ($input: RetrySyncErrorInput!) { retrySyncError(input: $input) "
        "{ syncRun { id } userErrors { code field } } }",
        {"input": {"id": error["id"]}},
    )
    assert retried["retrySyncError"]["userErrors"] == [
        {"code": "CONFLICT", "field": ["input", "id"]}
    ]

    settled = (
        await gql(
            api,
            SYNCHRONIZE_NOW,
            {"input": {"mapping": "CUSTOMER", "crmId": crm_id, "direction": "FROM_CRM"}},
        )
    )["synchronizeNow"]
    assert settled["userErrors"] == []
    assert (await systems.erp("GET", f"customers({erp_id})"))["displayName"] == "Changed in the CRM"
    remaining = await gql(api, ERRORS, CUSTOMER)
    assert remaining["syncErrors"]["edges"] == []


async def test_a_retried_error_synchronizes_its_record_once_the_dependency_is_coupled(
    synced: dict[str, Any], api: httpx.AsyncClient, store: Services, sandbox: SandboxHandle
) -> None:
    await run_incremental(store, "CUSTOMER")
    systems = Systems(sandbox)
    seller = await systems.erp(
        "POST", "salespeoplePurchasers", {"code": "ZZ", "displayName": "Zed"}
    )
    erp_id, crm_id = await customer_pair(store)
    await systems.erp("PATCH", f"customers({erp_id})", {"salespersonCode": "ZZ"})

    run = await run_incremental(store, "CUSTOMER")

    assert run.counters.failed == 1
    [edge] = (await gql(api, ERRORS, CUSTOMER))["syncErrors"]["edges"]
    assert edge["node"]["code"] == "DEPENDENCY_NOT_COUPLED"
    assert "couple SALESPEOPLE first" in edge["node"]["message"]
    retry = (
        "mutation ($input: RetrySyncErrorInput!) { retrySyncError(input: $input) "
        f"{{ syncRun {{ {RUN_FIELDS} }} userErrors {{ code field }} }} }}"
    )
    refused = (await gql(api, retry, {"input": {"id": edge["node"]["id"]}}))["retrySyncError"]
    assert [e["code"] for e in refused["userErrors"]] == ["DEPENDENCY_NOT_COUPLED"]

    users = await systems.all_crm("systemusers", "systemuserid")
    await store.couplings.couple(
        "SALESPEOPLE",
        CoupledRecord("business_central", "salesperson", seller["id"], key="ZZ"),
        CoupledRecord("dataverse", "user", users[-1]["systemuserid"]),
    )
    done = (await gql(api, retry, {"input": {"id": edge["node"]["id"]}}))["retrySyncError"]
    assert done["userErrors"] == []
    assert done["syncRun"]["trigger"] == "retrySyncError"
    account = await systems.crm("GET", f"accounts({crm_id})?$select=_ownerid_value")
    assert account["_ownerid_value"] == users[-1]["systemuserid"]
    assert (await gql(api, ERRORS, CUSTOMER))["syncErrors"]["edges"] == []
    unknown = (await gql(api, retry, {"input": {"id": "0" * 24}}))["retrySyncError"]
    assert unknown["userErrors"] == [{"code": "NOT_FOUND", "field": ["input", "id"]}]


async def test_account_statistics_carry_the_erp_figures_and_only_changes(
    synced: dict[str, Any], api: httpx.AsyncClient, store: Services, sandbox: SandboxHandle
) -> None:
    update = f"""mutation ($input: UpdateAccountStatisticsInput!) {{
        updateAccountStatistics(input: $input) {{
            syncRun {{ {RUN_FIELDS} }} userErrors {{ code message field }}
        }}
    }}"""
    erp_id, crm_id = await customer_pair(store)
    systems = Systems(sandbox)
    figures = await systems.erp("GET", f"customerFinancialDetails({erp_id})")

    one = (await gql(api, update, {"input": {"erpId": erp_id}}))["updateAccountStatistics"]

    assert one["userErrors"] == []
    assert one["syncRun"]["mapping"] == "CUSTOMER-STATISTICS"
    account = await systems.crm(
        "GET", f"accounts({crm_id})?$select=gw_balance,gw_totalsales,gw_overdueamount"
    )
    assert account["gw_balance"] == pytest.approx(figures["balance"])
    assert account["gw_totalsales"] == pytest.approx(figures["totalSalesExcludingTax"])
    assert account["gw_overdueamount"] == pytest.approx(figures["overdueAmount"])

    every = (await gql(api, update, {"input": {}}))["updateAccountStatistics"]["syncRun"]
    coupled = await store.couplings.count("CUSTOMER")
    assert every["modified"] + every["unchanged"] == coupled
    await sandbox.reset_stats()
    again = (await gql(api, update, {"input": {}}))["updateAccountStatistics"]["syncRun"]
    assert (again["modified"], again["unchanged"]) == (0, coupled)
    assert writes(await sandbox.stats()) == 0

    stranger = await gql(api, update, {"input": {"erpId": str(uuid.uuid4())}})
    assert [(e["code"], e["field"]) for e in stranger["updateAccountStatistics"]["userErrors"]] == [
        ("NOT_COUPLED", ["input", "erpId"])
    ]


async def test_a_full_synchronization_of_unknown_mappings_is_refused_before_it_starts(
    api: httpx.AsyncClient, store: Services
) -> None:
    answer = await gql(
        api,
        """mutation ($input: RunFullSynchronizationInput!) {
            runFullSynchronization(input: $input) { syncRun { id } userErrors { code field } }
        }""",
        {"input": {"mappings": ["CUSTOMER", "NOPE"]}},
    )
    assert answer["runFullSynchronization"] == {
        "syncRun": None,
        "userErrors": [{"code": "NOT_FOUND", "field": ["input", "mappings", "1"]}],
    }
    assert await store.db["sync_runs"].count_documents({}) == 0

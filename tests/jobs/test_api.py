"""The job queue and background runs through GraphQL over HTTP: entries listed for readers and
changed by administrators only, validated before anything is written; a full synchronization
and a many-record Synchronize Now answered QUEUED at once and carried out by a worker."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from gateway.auth.roles import Role
from gateway.services import Services
from tests.support_sandbox import SandboxHandle
from tests.sync.support import RUN_FIELDS, Systems, full_synchronization, gql, wait_for_run

ENTRIES = """
query { jobQueueEntries { mapping status onHold minutesBetweenRuns inactivityTimeoutMinutes
  lastRunAt nextRunAt message lastRun { id status } } }
"""
UPDATE = """
mutation ($input: UpdateJobQueueEntryInput!) {
  updateJobQueueEntry(input: $input) {
    jobQueueEntry { mapping status onHold minutesBetweenRuns inactivityTimeoutMinutes nextRunAt }
    userErrors { code message field }
  }
}
"""
SYNCHRONIZE_NOW = f"""
mutation ($input: SynchronizeNowInput!) {{
  synchronizeNow(input: $input) {{
    syncRun {{ {RUN_FIELDS} }} changedFields userErrors {{ code message field }}
  }}
}}
"""


async def test_readers_list_the_entries_and_admins_change_them(
    jobs_api: httpx.AsyncClient, key_of: Callable[[Role], Awaitable[str]]
) -> None:
    entries = (await gql(jobs_api, ENTRIES))["jobQueueEntries"]
    names = [entry["mapping"] for entry in entries]
    assert names.index("SALESPEOPLE") < names.index("CUSTOMER")  # dependency order
    customer = next(entry for entry in entries if entry["mapping"] == "CUSTOMER")
    assert customer["status"] == "READY"
    assert (customer["minutesBetweenRuns"], customer["inactivityTimeoutMinutes"]) == (5, 720)
    assert customer["onHold"] is False

    paused = (
        await gql(
            jobs_api,
            UPDATE,
            {"input": {"mapping": "CUSTOMER", "onHold": True, "minutesBetweenRuns": 30}},
        )
    )["updateJobQueueEntry"]
    assert paused["userErrors"] == []
    assert paused["jobQueueEntry"]["status"] == "ON_HOLD"
    assert paused["jobQueueEntry"]["minutesBetweenRuns"] == 30
    never = (
        await gql(
            jobs_api,
            UPDATE,
            {"input": {"mapping": "CUSTOMER", "onHold": False, "inactivityTimeoutMinutes": 0}},
        )
    )["updateJobQueueEntry"]["jobQueueEntry"]
    assert (never["status"], never["onHold"], never["inactivityTimeoutMinutes"]) == (
        "READY",
        False,
        None,
    )

    base = str(jobs_api.base_url)
    for role in (Role.READER, Role.INTEGRATOR):
        key = await key_of(role)
        async with httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60
        ) as other:
            if role is Role.READER:
                listed = (await gql(other, ENTRIES))["jobQueueEntries"]
                assert len(listed) == len(entries)
            body = (
                await other.post(
                    "/graphql",
                    json={"query": UPDATE, "variables": {"input": {"mapping": "CUSTOMER"}}},
                )
            ).json()
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    after = next(
        e for e in (await gql(jobs_api, ENTRIES))["jobQueueEntries"] if e["mapping"] == "CUSTOMER"
    )
    assert after["minutesBetweenRuns"] == 30  # the refused calls changed nothing


async def test_bad_entry_changes_are_refused_naming_the_field(
    jobs_api: httpx.AsyncClient,
) -> None:
    cases: list[tuple[dict[str, Any], str, list[str]]] = [
        (
            {"mapping": "CUSTOMER", "minutesBetweenRuns": 0},
            "INVALID_INPUT",
            ["input", "minutesBetweenRuns"],
        ),
        (
            {"mapping": "CUSTOMER", "minutesBetweenRuns": 10081},
            "INVALID_INPUT",
            ["input", "minutesBetweenRuns"],
        ),
        (
            {"mapping": "CUSTOMER", "inactivityTimeoutMinutes": -1},
            "INVALID_INPUT",
            ["input", "inactivityTimeoutMinutes"],
        ),
        ({"mapping": "NO SUCH MAPPING", "onHold": True}, "NOT_FOUND", ["input", "mapping"]),
    ]
    for given, code, field in cases:
        payload = (await gql(jobs_api, UPDATE, {"input": given}))["updateJobQueueEntry"]
        assert payload["jobQueueEntry"] is None, given
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)], given
    entries = (await gql(jobs_api, ENTRIES))["jobQueueEntries"]
    customer = next(entry for entry in entries if entry["mapping"] == "CUSTOMER")
    assert (customer["minutesBetweenRuns"], customer["inactivityTimeoutMinutes"]) == (5, 720)


async def test_a_full_synchronization_is_queued_and_carried_out_by_a_worker(
    jobs_api: httpx.AsyncClient, seeded: Services, sandbox: SandboxHandle
) -> None:
    run = await full_synchronization(jobs_api, ["CUSTOMER"])

    assert run["status"] == "SUCCEEDED", run
    assert run["progress"] == 1.0
    systems = Systems(sandbox)
    customers = await systems.all_erp("customers")
    assert len(customers) == await seeded.couplings.count("CUSTOMER")


async def test_synchronize_now_for_many_records_is_queued_and_carried_out(
    jobs_api: httpx.AsyncClient, seeded: Services, sandbox: SandboxHandle
) -> None:
    assert (await full_synchronization(jobs_api, ["CUSTOMER"]))["status"] == "SUCCEEDED"
    couplings, _ = await seeded.couplings.page(mapping="CUSTOMER", size=4)
    systems = Systems(sandbox)
    for index, coupling in enumerate(couplings[:2]):
        await systems.crm("PATCH", f"accounts({coupling.crm.id})", {"telephone1": f"555 1{index}"})
    stranger = "00000000-0000-0000-0000-00000000abcd"

    payload = (
        await gql(
            jobs_api,
            SYNCHRONIZE_NOW,
            {
                "input": {
                    "mapping": "CUSTOMER",
                    "direction": "FROM_CRM",
                    "crmIds": [c.crm.id for c in couplings] + [stranger],
                }
            },
        )
    )["synchronizeNow"]
    assert payload["userErrors"] == []
    assert payload["syncRun"]["status"] == "QUEUED"
    run = await wait_for_run(jobs_api, payload["syncRun"]["id"], timeout=120)

    assert run["status"] == "SUCCEEDED", run
    assert (run["modified"], run["unchanged"], run["failed"]) == (2, 2, 1)
    assert stranger in run["message"]
    for index, coupling in enumerate(couplings[:2]):
        customer = await systems.erp("GET", f"customers({coupling.erp.id})")
        assert customer["phoneNumber"] == f"555 1{index}"


async def test_many_record_requests_are_checked_before_anything_is_queued(
    jobs_api: httpx.AsyncClient, seeded: Services
) -> None:
    guid = "00000000-0000-0000-0000-000000000001"
    cases: list[tuple[dict[str, Any], str, list[str]]] = [
        ({"erpId": guid, "erpIds": [guid]}, "INVALID_INPUT", ["input", "erpIds"]),
        ({"erpIds": ["not-a-guid"]}, "INVALID_INPUT", ["input", "erpIds"]),
        ({"erpIds": []}, "INVALID_INPUT", ["input", "erpIds"]),
        ({"crmIds": [guid] * 1001}, "INVALID_INPUT", ["input", "crmIds"]),
        ({"erpIds": [guid], "mapping": "NOPE"}, "NOT_FOUND", ["input", "mapping"]),
        (
            {"erpIds": [guid], "mapping": "CURRENCY", "direction": "FROM_CRM"},
            "INVALID_INPUT",
            ["input", "direction"],
        ),
    ]
    before = await seeded.db["sync_runs"].count_documents({})
    for given, code, field in cases:
        variables = {"input": {"mapping": "CUSTOMER", "direction": "TO_CRM", **given}}
        payload = (await gql(jobs_api, SYNCHRONIZE_NOW, variables))["synchronizeNow"]
        assert payload["syncRun"] is None, given
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)], given
    assert await seeded.db["sync_runs"].count_documents({}) == before

"""`coupleByMatch`: a dry run lists what would be coupled, a real run couples it; values held
twice are ambiguous and left alone; pairs whose salesperson is not coupled are skipped."""

from __future__ import annotations

import httpx
import pytest

from adapters.base import Record
from gateway.services import Services
from tests.api.support import data, prepare_dependencies, table
from tests.support_sandbox import SandboxHandle

MATCH = """
mutation Match($input: CoupleByMatchInput!) {
  coupleByMatch(input: $input) {
    dryRun complete scanned coupledCount
    pairs { erpId crmId values coupling { mapping erpId crmId } }
    ambiguous { values erpIds crmIds }
    skipped { erpId crmId code message }
    userErrors { code message field }
  }
}
"""

BY_NUMBER = [{"erpField": "number", "crmField": "accountnumber"}]


@pytest.fixture
async def seeded(sandbox: SandboxHandle, store: Services) -> dict[str, Record]:
    """25 accounts and customers, 15 pairs sharing name and number; returns the expected
    pairs: customer by account id."""
    await sandbox.seed(accounts=25)
    assert store.crm is not None
    assert store.erp is not None
    customers = {r.values["number"]: r for r in await table(store.erp, "customer")}
    expected = {
        account.id: customers[account.values["accountnumber"]]
        for account in await table(store.crm, "account")
        if account.values.get("accountnumber")
    }
    assert len(expected) == 15
    return expected


async def match(api: httpx.AsyncClient, **inputs: object) -> dict[str, object]:
    arguments = {"mapping": "CUSTOMER", "fields": BY_NUMBER, **inputs}
    result: dict[str, object] = (await data(api, MATCH, input=arguments))["coupleByMatch"]
    return result


def pairs_of(result: dict[str, object]) -> dict[str, str]:
    return {p["crmId"]: p["erpId"] for p in result["pairs"]}  # type: ignore[attr-defined]


async def test_a_dry_run_lists_the_pairs_and_a_real_run_couples_them(
    seeded: dict[str, Record], store: Services, api: httpx.AsyncClient
) -> None:
    await prepare_dependencies(store)
    expected = {crm: customer.id for crm, customer in seeded.items()}

    dry = await match(api)
    assert dry["userErrors"] == []
    assert dry["dryRun"] is True
    assert dry["complete"] is True
    assert dry["scanned"] == 25
    assert dry["coupledCount"] == 0
    assert pairs_of(dry) == expected
    assert all(p["coupling"] is None for p in dry["pairs"])  # type: ignore[attr-defined]
    assert dry["ambiguous"] == []
    assert dry["skipped"] == []
    assert await store.couplings.count("CUSTOMER") == 0

    real = await match(api, dryRun=False)
    assert real["coupledCount"] == 15
    assert pairs_of(real) == expected
    stored = await store.couplings.by_crm_ids("CUSTOMER", expected)
    assert {crm: c.erp.id for crm, c in stored.items()} == expected
    numbers = {c.erp.key for c in stored.values()}
    assert numbers == {customer.values["number"] for customer in seeded.values()}

    again = await match(api, dryRun=False)
    assert again["pairs"] == []
    assert again["coupledCount"] == 0
    assert await store.couplings.count("CUSTOMER") == 15


async def test_values_held_twice_are_ambiguous_and_left_alone(
    seeded: dict[str, Record], store: Services, api: httpx.AsyncClient
) -> None:
    await prepare_dependencies(store)
    assert store.crm is not None
    twin_of, customer = next(iter(seeded.items()))
    number = customer.values["number"]
    twin = await store.crm.create("account", {"name": "Twin", "accountnumber": number.lower()})

    result = await match(api, dryRun=False)
    assert result["ambiguous"] == [
        {"values": [number], "erpIds": [customer.id], "crmIds": sorted([twin_of, twin.id])}
    ]
    assert twin_of not in pairs_of(result)
    assert result["coupledCount"] == 14
    assert await store.couplings.by_erp_ids("CUSTOMER", [customer.id]) == {}

    # Compared exactly, the lower-case twin is another value: the pair is no longer ambiguous.
    exact = await match(api, dryRun=True, caseSensitive=True)
    assert exact["ambiguous"] == []
    assert pairs_of(exact) == {twin_of: customer.id}


async def test_pairs_whose_salesperson_is_not_coupled_are_skipped(
    seeded: dict[str, Record], store: Services, api: httpx.AsyncClient
) -> None:
    result = await match(api, dryRun=False)
    assert result["pairs"] == []
    assert await store.couplings.count("CUSTOMER") == 0
    skipped = result["skipped"]
    assert len(skipped) == 15  # type: ignore[arg-type]
    assert {s["code"] for s in skipped} == {"DEPENDENCY_NOT_COUPLED"}  # type: ignore[attr-defined]
    assert all("SALESPEOPLE" in s["message"] for s in skipped)  # type: ignore[attr-defined]


async def test_max_stops_early_and_says_the_run_is_not_complete(
    seeded: dict[str, Record], store: Services, api: httpx.AsyncClient
) -> None:
    await prepare_dependencies(store)
    result = await match(api, dryRun=False, max=4)
    assert result["coupledCount"] == 4
    assert result["complete"] is False
    assert await store.couplings.count("CUSTOMER") == 4
    rest = await match(api, dryRun=False)
    assert rest["coupledCount"] == 11
    assert rest["complete"] is True


async def test_max_reached_on_the_last_record_is_still_complete(
    seeded: dict[str, Record], store: Services, api: httpx.AsyncClient
) -> None:
    await prepare_dependencies(store)
    every = await match(api, dryRun=True)
    pairs = len(every["pairs"])
    exactly = await match(api, dryRun=True, max=pairs)
    assert len(exactly["pairs"]) == pairs
    assert exactly["complete"] is True  # every ERP record was looked at


@pytest.mark.parametrize(
    ("inputs", "code", "field"),
    [
        (
            {"fields": [{"erpField": "nope", "crmField": "accountnumber"}]},
            "INVALID_INPUT",
            ["input", "fields", "0", "erpField"],
        ),
        (
            {"fields": [{"erpField": "number", "crmField": "$where"}]},
            "INVALID_INPUT",
            ["input", "fields", "0", "crmField"],
        ),
        ({"fields": []}, "INVALID_INPUT", ["input", "fields"]),
        ({"max": 0}, "INVALID_INPUT", ["input", "max"]),
        ({"mapping": "NOPE"}, "NOT_FOUND", ["input", "mapping"]),
    ],
)
async def test_bad_input_is_refused_before_anything_is_read(
    seeded: dict[str, Record],
    store: Services,
    sandbox: SandboxHandle,
    api: httpx.AsyncClient,
    *,
    inputs: dict[str, object],
    code: str,
    field: list[str],
) -> None:
    await sandbox.reset_stats()
    result = await match(api, dryRun=False, **inputs)
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [(code, field)]  # type: ignore[attr-defined]
    assert (await sandbox.stats())["apis"].get("bc", {}).get("requests", 0) == 0
    assert await store.couplings.count("CUSTOMER") == 0


async def test_a_system_that_does_not_answer_is_an_upstream_error(
    seeded: dict[str, Record],
    store: Services,
    sandbox: SandboxHandle,
    api: httpx.AsyncClient,
) -> None:
    await prepare_dependencies(store)
    await data(api, "{ customers(first: 1) { edges { cursor } } }")  # company id read first
    await sandbox.set_faults(error_rate=1.0, error_status=503, apis=["bc"])
    try:
        result = await match(api, dryRun=False)
    finally:
        await sandbox.clear_faults()
    (error,) = result["userErrors"]  # type: ignore[misc]
    assert error["code"] == "UPSTREAM_UNAVAILABLE"
    assert "Business Central" in error["message"]
    assert await store.couplings.count("CUSTOMER") == 0

"""Demo data: deterministic for a seed, proportionate sizes, pairs that match across systems."""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import sys
import uuid
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient

from sandbox.seed.plan import SeedPlan, SeedPlanError
from tests.support_sandbox import SandboxHandle


async def everything(dataverse: httpx.AsyncClient, bc: httpx.AsyncClient) -> dict[str, Any]:
    """What the generator decided: ids, names, numbers, amounts and states (no timestamps)."""
    snapshot: dict[str, Any] = {}
    for entity_set, select in (
        ("accounts", "name,accountnumber,emailaddress1,_ownerid_value,revenue"),
        ("systemusers", "fullname,internalemailaddress"),
        ("quotes", "name,quotenumber,totalamount,statecode,statuscode,_customerid_value"),
        ("opportunities", "name,estimatedvalue,statecode"),
    ):
        response = await dataverse.get(
            entity_set, params={"$select": select, "$orderby": "versionnumber"}
        )
        snapshot[entity_set] = [
            {k: v for k, v in row.items() if not k.startswith("@")}
            for row in response.json()["value"]
        ]
    for entity_set, select in (
        ("customers", "number,displayName,salespersonCode,balanceDue"),
        ("salespeople", "code,displayName,email"),
        ("items", "number,displayName,unitPrice"),
        ("salesInvoices", "number,customerId,totalAmountIncludingTax,remainingAmount,status"),
    ):
        order = select.split(",")[0]
        response = await bc.get(entity_set, params={"$select": select, "$orderby": order})
        snapshot[entity_set] = [
            {k: v for k, v in row.items() if not k.startswith("@")}
            for row in response.json()["value"]
        ]
    return snapshot


async def test_same_seed_same_data(
    sandbox: SandboxHandle, dataverse: httpx.AsyncClient, bc: httpx.AsyncClient
) -> None:
    first_result = await sandbox.seed(accounts=12, seed=7)
    first = await everything(dataverse, bc)
    await sandbox.reset()
    second_result = await sandbox.seed(accounts=12, seed=7)
    assert second_result == first_result
    assert await everything(dataverse, bc) == first
    await sandbox.reset()
    await sandbox.seed(accounts=12, seed=8)
    assert await everything(dataverse, bc) != first


async def test_sizes_and_matching_pairs(
    sandbox: SandboxHandle, dataverse: httpx.AsyncClient, bc: httpx.AsyncClient
) -> None:
    result = await sandbox.seed(accounts=20, customers=15, matched=9, users=4, seed=1)
    written = result["written"]
    assert written["dataverse.accounts"] == 20
    assert written["bc.customers"] == 15
    assert written["dataverse.systemusers"] == 4
    assert written["bc.salespeople"] == 4
    accounts = (await dataverse.get("accounts", params={"$select": "name,accountnumber"})).json()[
        "value"
    ]
    customers = (await bc.get("customers", params={"$select": "number,displayName"})).json()[
        "value"
    ]
    by_number = {c["number"]: c["displayName"] for c in customers}
    pairs = [a for a in accounts if a["accountnumber"] in by_number]
    assert len(pairs) == 9
    assert all(by_number[a["accountnumber"]] == a["name"] for a in pairs)
    users = (await dataverse.get("systemusers", params={"$select": "internalemailaddress"})).json()[
        "value"
    ]
    people = (await bc.get("salespeople", params={"$select": "email"})).json()["value"]
    assert {p["email"] for p in people} <= {u["internalemailaddress"] for u in users}
    products = (await dataverse.get("products", params={"$select": "productnumber,name"})).json()[
        "value"
    ]
    items = (await bc.get("items", params={"$select": "number,displayName"})).json()["value"]
    assert {(p["productnumber"], p["name"]) for p in products} == {
        (i["number"], i["displayName"]) for i in items
    }


async def test_seeded_financials_are_consistent(
    sandbox: SandboxHandle, bc: httpx.AsyncClient
) -> None:
    await sandbox.seed(accounts=30, seed=4)
    invoices = (await bc.get("salesInvoices")).json()["value"]
    payments = (await bc.get("customerPayments")).json()["value"]
    assert invoices
    assert payments
    applied: dict[str, float] = {}
    for payment in payments:
        applied[payment["appliesToInvoiceId"]] = (
            applied.get(payment["appliesToInvoiceId"], 0) + payment["amount"]
        )
    for invoice in invoices:
        expected = round(invoice["totalAmountIncludingTax"] - applied.get(invoice["id"], 0.0), 2)
        assert invoice["remainingAmount"] == pytest.approx(expected)
        assert invoice["status"] == ("Paid" if expected == 0 else "Open")
    details = (await bc.get("customerFinancialDetails")).json()["value"]
    total_balance = sum(d["balance"] for d in details)
    expected_balance = sum(i["totalAmountIncludingTax"] for i in invoices) - sum(
        p["amount"] for p in payments
    )
    assert total_balance == pytest.approx(expected_balance, abs=0.05)


async def test_open_quotes_are_still_valid(
    sandbox: SandboxHandle, dataverse: httpx.AsyncClient
) -> None:
    """A draft or active demo quote can still be offered: submitted to the ERP it is open there,
    not expired on arrival."""
    await sandbox.seed(accounts=30, seed=4)
    quotes = (
        await dataverse.get("quotes", params={"$select": "quotenumber,statecode,effectiveto"})
    ).json()["value"]
    today = dt.datetime.now(dt.UTC).date().isoformat()
    still_open = [q for q in quotes if q["statecode"] in (0, 1)]
    assert still_open
    assert [q["quotenumber"] for q in still_open if q["effectiveto"][:10] <= today] == []


async def test_seed_request_validation(sandbox: SandboxHandle) -> None:
    async with httpx.AsyncClient() as client:
        for body in ({"accounts": -1}, {"acounts": 5}, {"accounts": "ten"}):
            response = await client.post(f"{sandbox.base_url}/_sandbox/seed", json=body)
            assert response.status_code == 400
            assert response.json()["error"]["message"]


def test_plan_defaults_follow_accounts() -> None:
    sizes = SeedPlan(accounts=100_000).sizes()
    assert sizes["customers"] == 100_000
    assert sizes["matched"] == 60_000
    assert sizes["items"] == 500
    assert sizes["users"] == 50
    assert sizes["payments"] <= sizes["invoices"]
    with pytest.raises(SeedPlanError, match="'quotes'"):
        SeedPlan.from_json({"quotes": -3})


async def test_seed_command_writes_into_the_databases(mongodb_url: str) -> None:
    prefix = f"seedcli_{uuid.uuid4().hex[:8]}"
    completed = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "sandbox",
            "seed",
            "--mongodb-url",
            mongodb_url,
            "--database-prefix",
            prefix,
            "--accounts",
            "10",
            "--seed",
            "3",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert '"dataverse.accounts": 10' in completed.stdout
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_url)
    try:
        assert await client[f"{prefix}_dataverse"]["accounts"].count_documents({}) == 10
        assert await client[f"{prefix}_bc"]["customers"].count_documents({}) == 10
    finally:
        for suffix in ("dataverse", "bc"):
            await client.drop_database(f"{prefix}_{suffix}")
        await client.close()

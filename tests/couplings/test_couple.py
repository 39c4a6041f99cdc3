"""`couple` and `uncouple` over HTTP: success paths, re-coupling, synchronizing after coupling,
the dependency on salespeople, bad input, concurrent calls and an ERP that does not answer."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx
import pytest

from adapters.base import Record
from gateway.services import Services
from tests.api.support import (
    codes,
    couple_salespeople_by_email,
    data,
    gql,
    prepare_dependencies,
    table,
)
from tests.support_sandbox import SandboxHandle

COUPLE = """
mutation Couple($input: CoupleInput!) {
  couple(input: $input) {
    coupling { id mapping erpId crmId state lastDirection lastSyncedAt }
    replacedCouplings { erpId crmId }
    synchronized changedFields message
    userErrors { code message field }
  }
}
"""

UNCOUPLE = """
mutation Uncouple($input: UncoupleInput!) {
  uncouple(input: $input) {
    coupling { mapping erpId crmId }
    userErrors { code message field }
  }
}
"""

MISSING = "00000000-0000-4000-8000-00000000abcd"


@dataclass
class Records:
    customers: list[Record]  # every customer, in seed order of their numbers
    accounts: list[Record]  # accounts without an account number (no counterpart of theirs)


@pytest.fixture
async def records(sandbox: SandboxHandle, store: Services) -> Records:
    await sandbox.seed(accounts=12)
    assert store.crm is not None
    assert store.erp is not None
    customers = sorted(
        (r for r in await table(store.erp, "customer") if not r.values.get("currencyCode")),
        key=lambda r: r.values["number"],
    )
    accounts = [r for r in await table(store.crm, "account") if not r.values.get("accountnumber")]
    assert len(customers) >= 3
    assert len(accounts) >= 3
    return Records(customers, accounts)


async def couple(api: httpx.AsyncClient, erp: str, crm: str, **extra: object) -> dict[str, object]:
    inputs = {"mapping": "CUSTOMER", "erpId": erp, "crmId": crm, **extra}
    result: dict[str, object] = (await data(api, COUPLE, input=inputs))["couple"]
    return result


async def test_couple_then_uncouple(
    records: Records, store: Services, api: httpx.AsyncClient
) -> None:
    await prepare_dependencies(store)
    customer, account = records.customers[0], records.accounts[0]
    result = await couple(api, customer.id, account.id)
    assert result["userErrors"] == []
    assert result["coupling"]["erpId"] == customer.id  # type: ignore[index]
    assert result["coupling"]["state"] == "COUPLED"  # type: ignore[index]
    assert result["replacedCouplings"] == []
    assert result["synchronized"] is False
    assert result["message"] == f"Coupled ERP {customer.id} ↔ CRM {account.id} in CUSTOMER."
    stored = await store.couplings.by_erp_ids("CUSTOMER", [customer.id])
    assert stored[customer.id].crm.id == account.id
    assert stored[customer.id].erp.key == customer.values["number"]

    shown = await data(
        api,
        "query ($id: ID!) { account(crmId: $id) { coupled customer { erpId } } }",
        id=account.id,
    )
    assert shown["account"] == {"coupled": True, "customer": {"erpId": customer.id}}

    removed = await data(api, UNCOUPLE, input={"mapping": "CUSTOMER", "crmId": account.id})
    assert removed["uncouple"] == {
        "coupling": {"mapping": "CUSTOMER", "erpId": customer.id, "crmId": account.id},
        "userErrors": [],
    }
    assert await store.couplings.count("CUSTOMER") == 0
    again = await data(api, UNCOUPLE, input={"mapping": "CUSTOMER", "erpId": customer.id})
    assert again["uncouple"]["coupling"] is None
    (error,) = again["uncouple"]["userErrors"]
    assert error["code"] == "NOT_COUPLED"
    assert error["field"] == ["input", "erpId"]
    assert customer.id in error["message"]


async def test_re_coupling_replaces_the_old_coupling_and_says_so(
    records: Records, store: Services, api: httpx.AsyncClient
) -> None:
    await prepare_dependencies(store)
    first, second = records.customers[:2]
    account = records.accounts[0]
    await couple(api, first.id, account.id)
    result = await couple(api, second.id, account.id)
    assert result["userErrors"] == []
    assert result["replacedCouplings"] == [{"erpId": first.id, "crmId": account.id}]
    assert "Replaced 1 earlier coupling" in str(result["message"])
    assert (await store.couplings.by_crm_ids("CUSTOMER", [account.id]))[account.id].erp.id == (
        second.id
    )
    assert await store.couplings.by_erp_ids("CUSTOMER", [first.id]) == {}

    same = await couple(api, second.id, account.id)
    assert same["userErrors"] == []
    assert same["replacedCouplings"] == []
    assert "already coupled" in str(same["message"])
    assert await store.couplings.count("CUSTOMER") == 1


async def test_use_erp_data_overwrites_the_account_after_coupling(
    records: Records, store: Services, api: httpx.AsyncClient
) -> None:
    users = await couple_salespeople_by_email(store)
    customer, account = records.customers[0], records.accounts[0]
    result = await couple(api, customer.id, account.id, syncAfterCoupling="USE_ERP_DATA")
    assert result["userErrors"] == []
    assert result["synchronized"] is True
    assert {"name", "accountnumber", "emailaddress1"} <= set(result["changedFields"])  # type: ignore[arg-type]
    assert result["coupling"]["lastDirection"] == "TO_CRM"  # type: ignore[index]
    assert result["coupling"]["lastSyncedAt"]  # type: ignore[index]

    assert store.crm is not None
    after = (await store.crm.get_many("account", [account.id]))[account.id].values
    owner = next(
        u for u, p in users.items() if p.values["code"] == customer.values["salespersonCode"]
    )
    assert after["name"] == customer.values["displayName"]
    assert after["accountnumber"] == customer.values["number"]
    assert after["emailaddress1"] == customer.values["email"]
    assert after["address1_city"] == customer.values["city"]
    assert after["_ownerid_value"] == owner


async def test_use_crm_data_overwrites_the_customer_after_coupling(
    records: Records, store: Services, api: httpx.AsyncClient
) -> None:
    await prepare_dependencies(store)
    customer, account = records.customers[1], records.accounts[1]
    # Business Central keeps a country/region code (at most 10 characters) where the CRM
    # keeps a name; the default mapping carries it across as it is.
    assert store.crm is not None
    await store.crm.update("account", account.id, {"address1_country": "US"})
    result = await couple(api, customer.id, account.id, syncAfterCoupling="USE_CRM_DATA")
    assert result["userErrors"] == []
    assert result["synchronized"] is True
    assert result["coupling"]["lastDirection"] == "FROM_CRM"  # type: ignore[index]
    assert store.erp is not None
    after = (await store.erp.get_many("customer", [customer.id]))[customer.id].values
    assert after["displayName"] == account.values["name"]
    assert after["email"] == account.values["emailaddress1"]
    assert after["number"] == customer.values["number"]  # numbers flow to the CRM only


async def test_a_customer_whose_salesperson_is_not_coupled_is_refused(
    records: Records, store: Services, api: httpx.AsyncClient
) -> None:
    customer, account = records.customers[0], records.accounts[0]
    code = customer.values["salespersonCode"]
    result = await couple(api, customer.id, account.id)
    assert result["coupling"] is None
    (error,) = result["userErrors"]  # type: ignore[misc]
    assert error["code"] == "DEPENDENCY_NOT_COUPLED"
    assert error["field"] == ["input", "erpId"]
    assert f"salesperson code ({code}) is not coupled to a CRM record" in error["message"]
    assert "couple SALESPEOPLE first" in error["message"]
    assert await store.couplings.count("CUSTOMER") == 0


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"mapping": "NO SUCH MAPPING"}, "NOT_FOUND", ["input", "mapping"]),
        ({"erpId": "C00010"}, "INVALID_INPUT", ["input", "erpId"]),
        ({"crmId": "{'$gt': ''}"}, "INVALID_INPUT", ["input", "crmId"]),
        ({"erpId": MISSING}, "NOT_FOUND", ["input", "erpId"]),
        ({"crmId": MISSING}, "NOT_FOUND", ["input", "crmId"]),
        ({"mapping": "CUSTOMER-STATISTICS"}, "INVALID_INPUT", ["input", "mapping"]),
        (
            {"mapping": "SALESPEOPLE", "syncAfterCoupling": "USE_ERP_DATA"},
            "INVALID_INPUT",
            ["input", "syncAfterCoupling"],
        ),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_written(
    records: Records,
    store: Services,
    api: httpx.AsyncClient,
    *,
    change: dict[str, str],
    code: str,
    field: list[str],
) -> None:
    await prepare_dependencies(store)
    before = await store.db["couplings"].count_documents({})
    inputs = {
        "mapping": "CUSTOMER",
        "erpId": records.customers[0].id,
        "crmId": records.accounts[0].id,
        **change,
    }
    result = (await data(api, COUPLE, input=inputs))["couple"]
    assert result["coupling"] is None
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [(code, field)]
    assert await store.db["couplings"].count_documents({}) == before


async def test_an_id_of_the_other_system_is_not_found_there(
    records: Records, store: Services, api: httpx.AsyncClient
) -> None:
    await prepare_dependencies(store)
    account = records.accounts[0]
    inputs = {"mapping": "CUSTOMER", "erpId": account.id, "crmId": account.id}
    result = (await data(api, COUPLE, input=inputs))["couple"]
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [
        ("NOT_FOUND", ["input", "erpId"])
    ]
    assert "Business Central has no customer" in result["userErrors"][0]["message"]
    assert await store.couplings.count("CUSTOMER") == 0


async def test_two_unknown_records_are_both_named(records: Records, api: httpx.AsyncClient) -> None:
    inputs = {"mapping": "CUSTOMER", "erpId": MISSING, "crmId": MISSING}
    result = (await data(api, COUPLE, input=inputs))["couple"]
    assert sorted(e["field"][-1] for e in result["userErrors"]) == ["crmId", "erpId"]
    assert {e["code"] for e in result["userErrors"]} == {"NOT_FOUND"}


async def test_concurrent_calls_for_the_same_record_leave_one_coupling(
    records: Records, store: Services, api: httpx.AsyncClient
) -> None:
    await prepare_dependencies(store)
    customer = records.customers[0]
    one, two = records.accounts[:2]
    results = await asyncio.gather(
        couple(api, customer.id, one.id),
        couple(api, customer.id, two.id),
        couple(api, customer.id, one.id),
        couple(api, customer.id, two.id),
    )
    assert all(result["userErrors"] == [] for result in results)
    stored = await store.db["couplings"].find({"mapping": "CUSTOMER"}).to_list(None)
    assert len(stored) == 1
    assert stored[0]["erp"]["id"] == customer.id
    assert stored[0]["crm"]["id"] in {one.id, two.id}


async def test_an_erp_that_does_not_answer_is_an_upstream_error(
    records: Records, store: Services, sandbox: SandboxHandle, api: httpx.AsyncClient
) -> None:
    await prepare_dependencies(store)
    await sandbox.set_faults(error_rate=1.0, error_status=503, apis=["bc"])
    try:
        body = await gql(
            api,
            COUPLE,
            input={
                "mapping": "CUSTOMER",
                "erpId": records.customers[0].id,
                "crmId": records.accounts[0].id,
            },
        )
    finally:
        await sandbox.clear_faults()
    assert codes(body) == []
    result = body["data"]["couple"]
    (error,) = result["userErrors"]
    assert error["code"] == "UPSTREAM_UNAVAILABLE"
    assert "Business Central" in error["message"]
    assert "503" in error["message"]
    assert await store.couplings.count("CUSTOMER") == 0


async def test_uncouple_needs_an_id_and_a_known_mapping(
    records: Records, api: httpx.AsyncClient
) -> None:
    none = (await data(api, UNCOUPLE, input={"mapping": "CUSTOMER"}))["uncouple"]
    assert [(e["code"], e["field"]) for e in none["userErrors"]] == [
        ("INVALID_INPUT", ["input", "erpId"])
    ]
    unknown = (await data(api, UNCOUPLE, input={"mapping": "NOPE", "erpId": MISSING}))["uncouple"]
    assert [(e["code"], e["field"]) for e in unknown["userErrors"]] == [
        ("NOT_FOUND", ["input", "mapping"])
    ]
    bad = (await data(api, UNCOUPLE, input={"mapping": "CUSTOMER", "crmId": "x"}))["uncouple"]
    assert [(e["code"], e["field"]) for e in bad["userErrors"]] == [
        ("INVALID_INPUT", ["input", "crmId"])
    ]

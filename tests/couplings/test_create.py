"""`createCustomerFromAccount` and `createAccountFromCustomer`: the counterpart is created
through the CUSTOMER mapping and coupled, or nothing is left behind."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from adapters.base import Record
from gateway.services import Services
from tests.api.support import data, prepare_dependencies, table
from tests.support_sandbox import SandboxHandle

CREATE_CUSTOMER = """
mutation Create($input: CreateCustomerFromAccountInput!) {
  createCustomerFromAccount(input: $input) {
    customer { erpId number name email salespersonCode coupled }
    account { crmId name coupled customer { erpId } }
    coupling { mapping erpId crmId }
    replacedCouplings { erpId crmId }
    message
    userErrors { code message field }
  }
}
"""

CREATE_ACCOUNT = """
mutation Create($input: CreateAccountFromCustomerInput!) {
  createAccountFromCustomer(input: $input) {
    account { crmId name accountNumber email coupled owner { email } }
    customer { erpId number coupled }
    coupling { mapping erpId crmId }
    message
    userErrors { code message field }
  }
}
"""

MISSING = "00000000-0000-4000-8000-00000000abcd"


@pytest.fixture
async def seeded(sandbox: SandboxHandle, store: Services) -> tuple[list[Record], list[Record]]:
    """Uncoupled accounts (with a short country, as Business Central keeps codes) and
    customers in the company's currency."""
    await sandbox.seed(accounts=6)
    assert store.crm is not None
    assert store.erp is not None
    accounts = await table(store.crm, "account")
    for account in accounts:
        await store.crm.update("account", account.id, {"address1_country": "US"})
    customers = [r for r in await table(store.erp, "customer") if not r.values["currencyCode"]]
    return await table(store.crm, "account"), customers


async def test_a_customer_is_created_from_an_account_and_coupled(
    seeded: tuple[list[Record], list[Record]], store: Services, api: httpx.AsyncClient
) -> None:
    await prepare_dependencies(store)
    account = seeded[0][0]
    assert store.erp is not None
    before = len(await table(store.erp, "customer"))

    result = await data(api, CREATE_CUSTOMER, input={"crmId": account.id})
    payload = result["createCustomerFromAccount"]
    assert payload["userErrors"] == []
    customer = payload["customer"]
    assert customer["name"] == account.values["name"]
    assert customer["email"] == account.values["emailaddress1"]
    assert customer["number"]
    assert customer["coupled"] is True
    assert payload["account"]["customer"] == {"erpId": customer["erpId"]}
    assert payload["coupling"] == {
        "mapping": "CUSTOMER",
        "erpId": customer["erpId"],
        "crmId": account.id,
    }
    assert customer["number"] in payload["message"]

    stored = (await store.erp.get_many("customer", [customer["erpId"]]))[customer["erpId"]]
    assert stored.values["displayName"] == account.values["name"]
    assert len(await table(store.erp, "customer")) == before + 1
    assert (await store.couplings.by_crm_ids("CUSTOMER", [account.id]))[account.id].erp.id == (
        customer["erpId"]
    )

    # Again for the same account: refused, nothing created, the coupling kept.
    again = await data(api, CREATE_CUSTOMER, input={"crmId": account.id})
    second = again["createCustomerFromAccount"]
    assert second["customer"] is None
    [refusal] = second["userErrors"]
    assert refusal["code"] == "ALREADY_COUPLED"
    assert refusal["field"] == ["input", "crmId"]
    assert customer["number"] in refusal["message"]
    assert len(await table(store.erp, "customer")) == before + 1
    assert await store.couplings.count("CUSTOMER") == 1


@pytest.mark.parametrize("direction", ["customer from account", "account from customer"])
async def test_concurrent_creations_for_one_record_create_one_counterpart(
    seeded: tuple[list[Record], list[Record]],
    store: Services,
    api: httpx.AsyncClient,
    direction: str,
) -> None:
    """Ten identical calls at once: exactly one record is created and coupled; the others
    are told the record is already coupled."""
    await prepare_dependencies(store)
    assert store.erp is not None
    assert store.crm is not None
    if direction == "customer from account":
        document, name, source = CREATE_CUSTOMER, "createCustomerFromAccount", "crmId"
        source_id, target, entity = seeded[0][0].id, store.erp, "customer"
    else:
        document, name, source = CREATE_ACCOUNT, "createAccountFromCustomer", "erpId"
        source_id, target, entity = seeded[1][0].id, store.crm, "account"
    before = len(await table(target, entity))

    answers = await asyncio.gather(
        *(data(api, document, input={source: source_id}) for _ in range(10))
    )

    payloads = [answer[name] for answer in answers]
    made = [p for p in payloads if not p["userErrors"]]
    refused = [e["code"] for p in payloads for e in p["userErrors"]]
    assert len(made) == 1
    assert refused == ["ALREADY_COUPLED"] * 9
    assert len(await table(target, entity)) == before + 1
    assert await store.couplings.count("CUSTOMER") == 1


async def test_an_account_is_created_from_a_customer_and_coupled(
    seeded: tuple[list[Record], list[Record]], store: Services, api: httpx.AsyncClient
) -> None:
    await prepare_dependencies(store)
    customer = seeded[1][0]
    assert store.crm is not None
    assert store.erp is not None
    person = next(
        r
        for r in await table(store.erp, "salesperson")
        if r.values["code"] == customer.values["salespersonCode"]
    )
    payload = (await data(api, CREATE_ACCOUNT, input={"erpId": customer.id}))[
        "createAccountFromCustomer"
    ]
    assert payload["userErrors"] == []
    account = payload["account"]
    assert account["name"] == customer.values["displayName"]
    assert account["accountNumber"] == customer.values["number"]
    assert account["email"] == customer.values["email"]
    assert account["owner"] == {"email": person.values["email"]}
    assert account["coupled"] is True
    assert payload["customer"]["coupled"] is True
    assert "Synchronization completed" in payload["message"]
    created = (await store.crm.get_many("account", [account["crmId"]]))[account["crmId"]]
    assert created.values["accountnumber"] == customer.values["number"]


async def test_an_owner_without_a_salesperson_is_refused_and_nothing_is_created(
    seeded: tuple[list[Record], list[Record]], store: Services, api: httpx.AsyncClient
) -> None:
    account = seeded[0][0]
    assert store.erp is not None
    before = len(await table(store.erp, "customer"))
    payload = (await data(api, CREATE_CUSTOMER, input={"crmId": account.id}))[
        "createCustomerFromAccount"
    ]
    assert payload["customer"] is None
    (error,) = payload["userErrors"]
    assert error["code"] == "DEPENDENCY_NOT_COUPLED"
    assert error["field"] == ["input", "crmId"]
    assert account.values["_ownerid_value"] in error["message"]
    assert "SALESPEOPLE" in error["message"]
    assert len(await table(store.erp, "customer")) == before
    assert await store.couplings.count("CUSTOMER") == 0


@pytest.mark.parametrize(
    ("mutation", "name", "value", "code"),
    [
        (CREATE_CUSTOMER, "crmId", MISSING, "NOT_FOUND"),
        (CREATE_CUSTOMER, "crmId", "C00010", "INVALID_INPUT"),
        (CREATE_ACCOUNT, "erpId", MISSING, "NOT_FOUND"),
        (CREATE_ACCOUNT, "erpId", "$where", "INVALID_INPUT"),
    ],
)
async def test_unknown_or_malformed_ids_are_refused(
    seeded: tuple[list[Record], list[Record]],
    store: Services,
    api: httpx.AsyncClient,
    *,
    mutation: str,
    name: str,
    value: str,
    code: str,
) -> None:
    body = await data(api, mutation, input={name: value})
    (payload,) = body.values()
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, ["input", name])]
    assert await store.couplings.count("CUSTOMER") == 0


async def test_a_failed_creation_leaves_nothing_coupled(
    seeded: tuple[list[Record], list[Record]],
    store: Services,
    sandbox: SandboxHandle,
    api: httpx.AsyncClient,
) -> None:
    await prepare_dependencies(store)
    account = seeded[0][0]
    assert store.erp is not None
    before = len(await table(store.erp, "customer"))
    await data(api, "{ customers(first: 1) { edges { cursor } } }")  # company id read first
    await sandbox.set_faults(error_rate=1.0, error_status=503, apis=["bc"])
    try:
        payload = (await data(api, CREATE_CUSTOMER, input={"crmId": account.id}))[
            "createCustomerFromAccount"
        ]
    finally:
        await sandbox.clear_faults()
    (error,) = payload["userErrors"]
    assert error["code"] == "UPSTREAM_UNAVAILABLE"
    assert "Business Central" in error["message"]
    assert await store.couplings.count("CUSTOMER") == 0
    assert len(await table(store.erp, "customer")) == before


async def test_a_customer_whose_salesperson_is_not_coupled_gets_no_account(
    seeded: tuple[list[Record], list[Record]], store: Services, api: httpx.AsyncClient
) -> None:
    customer = seeded[1][0]
    assert store.crm is not None
    before = len(await table(store.crm, "account"))
    payload = (await data(api, CREATE_ACCOUNT, input={"erpId": customer.id}))[
        "createAccountFromCustomer"
    ]
    (error,) = payload["userErrors"]
    assert error["code"] == "DEPENDENCY_NOT_COUPLED"
    assert error["field"] == ["input", "erpId"]
    assert f"salesperson code ({customer.values['salespersonCode']})" in error["message"]
    assert len(await table(store.crm, "account")) == before


async def test_a_crm_that_does_not_answer_creates_nothing(
    seeded: tuple[list[Record], list[Record]],
    store: Services,
    sandbox: SandboxHandle,
    api: httpx.AsyncClient,
) -> None:
    await prepare_dependencies(store)
    customer = seeded[1][0]
    await sandbox.set_faults(error_rate=1.0, error_status=503, apis=["dataverse"])
    try:
        payload = (await data(api, CREATE_ACCOUNT, input={"erpId": customer.id}))[
            "createAccountFromCustomer"
        ]
    finally:
        await sandbox.clear_faults()
    (error,) = payload["userErrors"]
    assert error["code"] == "UPSTREAM_UNAVAILABLE"
    assert "Dynamics 365 Sales" in error["message"]
    assert await store.couplings.count("CUSTOMER") == 0

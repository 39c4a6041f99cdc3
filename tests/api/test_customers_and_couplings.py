"""Listing customers (with their coupled accounts and the CRM's figures) and couplings."""

from __future__ import annotations

import httpx
import pytest

from gateway.services import Services
from gateway.store.couplings import CouplingState
from tests.api.support import codes, couple_customers_by_number, data, gql, table
from tests.support_sandbox import SandboxHandle

CUSTOMERS = """
query Customers($first: Int, $after: String, $search: String, $coupled: Boolean) {
  customers(first: $first, after: $after, search: $search, coupled: $coupled) {
    pageInfo { hasNextPage endCursor }
    edges { node {
      id erpId number name email city salespersonCode coupled
      coupling { crmId }
      account { crmId name accountNumber coupled }
      statistics { balance totalSales overdueAmount }
      crmStatistics { openOpportunities openQuotes openCases }
    } }
  }
}
"""


@pytest.fixture
async def seeded(sandbox: SandboxHandle, store: Services) -> dict[str, str]:
    """30 customers, 18 coupled by number; returns the account id by customer id."""
    await sandbox.seed(accounts=30)
    coupled = await couple_customers_by_number(store)
    return {customer.id: account for account, customer in coupled.items()}


async def walk(api: httpx.AsyncClient, first: int, **arguments: object) -> list[dict[str, object]]:
    nodes: list[dict[str, object]] = []
    after = None
    while True:
        page = (await data(api, CUSTOMERS, first=first, after=after, **arguments))["customers"]
        nodes += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


async def test_customers_show_their_accounts_and_both_systems_figures(
    seeded: dict[str, str], store: Services, api: httpx.AsyncClient
) -> None:
    assert store.erp is not None
    assert store.crm is not None
    customers = {r.id: r.values for r in await table(store.erp, "customer")}
    accounts = {r.id: r.values for r in await table(store.crm, "account")}
    details = {r.id: r.values for r in await table(store.erp, "customer_statistics")}

    nodes = await walk(api, 8)
    assert sorted(node["erpId"] for node in nodes) == sorted(customers)  # type: ignore[type-var]
    for node in nodes:
        values = customers[node["erpId"]]  # type: ignore[index]
        assert node["number"] == values["number"]
        assert node["name"] == values["displayName"]
        assert node["salespersonCode"] == (values["salespersonCode"] or None)
        assert node["statistics"]["balance"] == details[node["erpId"]]["balance"]  # type: ignore[index]
        account_id = seeded.get(node["erpId"])  # type: ignore[arg-type]
        if account_id is None:
            assert node["coupled"] is False
            assert node["account"] is None
            assert node["crmStatistics"] is None
        else:
            assert node["coupling"] == {"crmId": account_id}
            assert node["account"] == {
                "crmId": account_id,
                "name": accounts[account_id]["name"],
                "accountNumber": values["number"],
                "coupled": True,
            }
            assert node["crmStatistics"] is not None


async def test_customers_can_be_searched_and_filtered_by_coupling(
    seeded: dict[str, str], store: Services, api: httpx.AsyncClient
) -> None:
    assert store.erp is not None
    customers = await table(store.erp, "customer")
    coupled = await walk(api, 4, coupled=True)
    uncoupled = await walk(api, 4, coupled=False)
    assert {n["erpId"] for n in coupled} == set(seeded)
    assert {n["erpId"] for n in uncoupled} == {r.id for r in customers} - set(seeded)

    target = customers[3]
    by_number = await walk(api, 5, search=target.values["number"])
    assert [n["erpId"] for n in by_number] == [target.id]
    by_email = await walk(api, 5, search=target.values["email"].upper())
    assert [n["erpId"] for n in by_email] == [target.id]
    word = target.values["displayName"].split()[0].strip(",")
    by_name = await walk(api, 5, search=word)
    assert target.id in {n["erpId"] for n in by_name}
    assert all(word.lower() in str(n["name"]).lower() for n in by_name)


async def test_one_customer_by_id(seeded: dict[str, str], api: httpx.AsyncClient) -> None:
    erp_id, crm_id = next(iter(seeded.items()))
    one = "query ($id: ID!) { customer(erpId: $id) { erpId account { crmId } } }"
    assert (await data(api, one, id=erp_id))["customer"] == {
        "erpId": erp_id,
        "account": {"crmId": crm_id},
    }
    assert (await data(api, one, id="00000000-0000-4000-8000-000000000000"))["customer"] is None
    body = await gql(api, one, id="12")
    assert codes(body) == ["INVALID_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == ["erpId"]


COUPLINGS = """
query Couplings($mapping: String, $state: CouplingState, $first: Int, $after: String) {
  couplings(mapping: $mapping, state: $state, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id mapping erpId crmId state erpKey customer { number } account { name } } }
  }
}
"""


async def test_couplings_are_listed_by_mapping_and_state(
    seeded: dict[str, str], store: Services, api: httpx.AsyncClient
) -> None:
    seen: list[dict[str, object]] = []
    after = None
    while True:
        page = (await data(api, COUPLINGS, mapping="CUSTOMER", first=5, after=after))["couplings"]
        seen += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert {(n["erpId"], n["crmId"]) for n in seen} == set(seeded.items())
    assert all(n["customer"]["number"] == n["erpKey"] for n in seen)  # type: ignore[index]
    assert all(n["account"]["name"] for n in seen)  # type: ignore[index]

    stored = await store.couplings.by_erp_ids("CUSTOMER", seeded)
    failing = next(iter(stored.values()))
    await store.couplings.set_state(failing.id, CouplingState.ERROR)
    errors = (await data(api, COUPLINGS, state="ERROR"))["couplings"]["edges"]
    assert [edge["node"]["erpId"] for edge in errors] == [failing.erp.id]
    assert (await data(api, COUPLINGS, mapping="SALESPEOPLE"))["couplings"]["edges"] == []

    unknown = await gql(api, COUPLINGS, mapping="NOPE")
    assert codes(unknown) == ["NOT_FOUND"]
    assert unknown["errors"][0]["extensions"]["field"] == ["mapping"]

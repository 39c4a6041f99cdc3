"""Listing accounts: paging with cursors, search, the coupled filter, single lookups, nodes,
contacts, and what a failing ERP leaves of a page."""

from __future__ import annotations

import httpx
import pytest

from gateway.services import Services
from tests.api.support import codes, couple_customers_by_number, data, gql, table
from tests.support_sandbox import SandboxHandle

LIST = """
query List($first: Int, $after: String, $search: String, $coupled: Boolean) {
  accounts(first: $first, after: $after, search: $search, coupled: $coupled) {
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { crmId name accountNumber email coupled } }
  }
}
"""


async def walk(api: httpx.AsyncClient, first: int, **arguments: object) -> list[dict[str, object]]:
    """Every node of a listing, page by page through the end cursors."""
    nodes: list[dict[str, object]] = []
    after = None
    for _ in range(100):
        page = (await data(api, LIST, first=first, after=after, **arguments))["accounts"]
        nodes += [edge["node"] for edge in page["edges"]]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]
    pytest.fail("the listing did not end")


@pytest.fixture
async def seeded(sandbox: SandboxHandle, store: Services) -> dict[str, str]:
    """40 accounts, 24 of them coupled; returns the account ids by name."""
    await sandbox.seed(accounts=40)
    await couple_customers_by_number(store)
    assert store.crm is not None
    return {r.values["name"]: r.id for r in await table(store.crm, "account")}


async def test_pages_follow_each_other_to_the_end(
    seeded: dict[str, str], api: httpx.AsyncClient
) -> None:
    nodes = await walk(api, 7)
    ids = [node["crmId"] for node in nodes]
    assert len(ids) == len(set(ids)) == 40
    assert set(ids) == set(seeded.values())


async def test_coupled_and_uncoupled_accounts_are_listed_apart(
    seeded: dict[str, str], store: Services, api: httpx.AsyncClient
) -> None:
    coupled = await walk(api, 5, coupled=True)
    uncoupled = await walk(api, 5, coupled=False)
    assert len(coupled) == 24
    assert all(node["coupled"] for node in coupled)
    assert len(uncoupled) == 16
    assert not any(node["coupled"] for node in uncoupled)
    stored = await store.couplings.by_crm_ids("CUSTOMER", seeded.values())
    assert {node["crmId"] for node in coupled} == set(stored)
    assert {node["crmId"] for node in coupled} | {node["crmId"] for node in uncoupled} == set(
        seeded.values()
    )


async def test_search_finds_text_in_name_number_or_email(
    seeded: dict[str, str], store: Services, api: httpx.AsyncClient
) -> None:
    assert store.crm is not None
    accounts = await table(store.crm, "account")
    numbered = next(r for r in accounts if r.values.get("accountnumber"))
    number = numbered.values["accountnumber"]
    found = await walk(api, 50, search=number.lower())
    assert [node["crmId"] for node in found] == [numbered.id]

    word = accounts[0].values["name"].split()[0].rstrip(",").upper()
    expected = {
        r.id
        for r in accounts
        if any(
            word.lower() in (r.values.get(f) or "").lower()
            for f in ("name", "accountnumber", "emailaddress1")
        )
    }
    assert {node["crmId"] for node in await walk(api, 3, search=word)} == expected
    # The same search among the coupled ones only (read by id, searched here).
    coupled = await walk(api, 3, search=word, coupled=True)
    assert {node["crmId"] for node in coupled} == {
        i for i in expected if i in await store.couplings.by_crm_ids("CUSTOMER", expected)
    }
    assert (await data(api, LIST, search="no such text anywhere"))["accounts"]["edges"] == []


async def test_cursors_only_resume_the_listing_that_made_them(
    seeded: dict[str, str], api: httpx.AsyncClient
) -> None:
    page = (await data(api, LIST, first=2, coupled=True))["accounts"]
    body = await gql(api, LIST, first=2, after=page["pageInfo"]["endCursor"], coupled=False)
    assert codes(body) == ["INVALID_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == ["after"]
    body = await gql(api, LIST, first=2, after="bm90LWEtY3Vyc29y")
    assert codes(body) == ["INVALID_INPUT"]
    body = await gql(api, LIST, first=201)
    assert codes(body) == ["INVALID_INPUT"]


ACCOUNT = """
query One($id: ID!) {
  account(crmId: $id) { id crmId name coupled customer { id erpId number } }
}
"""

NODE = """
query Node($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Account { crmId name }
    ... on Customer { erpId number }
    ... on Coupling { mapping erpId crmId }
  }
}
"""


async def test_one_account_by_id_and_every_object_by_its_global_id(
    seeded: dict[str, str], store: Services, api: httpx.AsyncClient
) -> None:
    coupled = await store.couplings.by_crm_ids("CUSTOMER", seeded.values())
    crm_id, coupling = next(iter(coupled.items()))
    account = (await data(api, ACCOUNT, id=crm_id.upper()))["account"]
    assert account["crmId"] == crm_id
    assert account["coupled"] is True
    assert account["customer"]["erpId"] == coupling.erp.id

    by_node = (await data(api, NODE, id=account["id"]))["node"]
    assert by_node == {
        "__typename": "Account",
        "id": account["id"],
        "crmId": crm_id,
        "name": account["name"],
    }
    customer = (await data(api, NODE, id=account["customer"]["id"]))["node"]
    assert customer["erpId"] == coupling.erp.id
    listed = await data(api, "{ couplings(first: 1) { edges { node { id } } } }")
    coupling_id = listed["couplings"]["edges"][0]["node"]["id"]
    assert (await data(api, NODE, id=coupling_id))["node"]["__typename"] == "Coupling"

    missing = "00000000-0000-4000-8000-000000000000"
    assert (await data(api, ACCOUNT, id=missing))["account"] is None
    body = await gql(api, ACCOUNT, id="not-a-guid")
    assert codes(body) == ["INVALID_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == ["crmId"]


async def test_owners_and_contacts_are_nodes_too(
    seeded: dict[str, str], store: Services, api: httpx.AsyncClient
) -> None:
    assert store.crm is not None
    (contact, *_) = await table(store.crm, "contact")
    parent = contact.values["_parentcustomerid_value"]
    owned = """query ($id: ID!) { account(crmId: $id) {
      owner { id crmId fullName }
      contacts(first: 50) { edges { node { id crmId fullName } } } } }"""
    found = (await data(api, owned, id=parent))["account"]
    (shown,) = [e["node"] for e in found["contacts"]["edges"] if e["node"]["crmId"] == contact.id]
    both = """query ($a: ID!, $b: ID!) {
      a: node(id: $a) { __typename ... on CrmUser { crmId fullName } }
      b: node(id: $b) { __typename ... on Contact { crmId fullName } } }"""
    nodes = await data(api, both, a=found["owner"]["id"], b=shown["id"])
    assert nodes["a"] == {"__typename": "CrmUser", **without_id(found["owner"])}
    assert nodes["b"] == {"__typename": "Contact", **without_id(shown)}
    assert nodes["b"]["fullName"] == contact.values["fullname"]


def without_id(node: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in node.items() if key != "id"}


CONTACTS = """
query Contacts($id: ID!, $first: Int, $after: String) {
  account(crmId: $id) {
    contacts(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { node { id crmId accountId fullName email } }
    }
  }
}
"""


async def test_an_accounts_contacts_are_those_whose_parent_it_is(
    seeded: dict[str, str], store: Services, api: httpx.AsyncClient
) -> None:
    assert store.crm is not None
    contacts = await table(store.crm, "contact")
    parents = [r.values["_parentcustomerid_value"] for r in contacts]
    account_id = max(set(parents), key=parents.count)
    expected = sorted(
        (r.values["fullname"], r.id)
        for r in contacts
        if r.values["_parentcustomerid_value"] == account_id
    )
    assert len(expected) >= 2
    seen, after = [], None
    while True:
        page = await data(api, CONTACTS, id=account_id, first=1, after=after)
        connection = page["account"]["contacts"]
        seen += [edge["node"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert [(node["fullName"], node["crmId"]) for node in seen] == expected
    assert {node["accountId"] for node in seen} == {account_id}


DOWN = """
query Down {
  accounts(first: 40) {
    edges { node { crmId name coupled
      customer { number }
      statistics { balance }
      crmStatistics { openOpportunities } } }
  }
}
"""


async def test_with_the_erp_down_accounts_still_answer_and_one_error_says_why(
    seeded: dict[str, str], sandbox: SandboxHandle, api: httpx.AsyncClient
) -> None:
    await data(api, DOWN)  # tokens and the company id are read before the ERP goes down
    await sandbox.set_faults(error_rate=1.0, error_status=503, apis=["bc"])
    try:
        body = await gql(api, DOWN)
    finally:
        await sandbox.clear_faults()

    nodes = [edge["node"] for edge in body["data"]["accounts"]["edges"]]
    assert len(nodes) == 40
    assert all(node["name"] for node in nodes)
    assert sum(node["coupled"] for node in nodes) == 24
    assert all(node["customer"] is None and node["statistics"] is None for node in nodes)
    assert all(node["crmStatistics"] is not None for node in nodes)
    errors = body["errors"]
    # One error per failed hop of the failed system, not one per row.
    assert len(errors) == 2
    assert {e["extensions"]["code"] for e in errors} == {"UPSTREAM_UNAVAILABLE"}
    assert {e["extensions"]["system"] for e in errors} == {"business_central"}
    assert {e["path"][-1] for e in errors} == {"customer", "statistics"}
    assert all("Business Central" in e["message"] for e in errors)

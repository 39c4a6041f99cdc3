"""Documents one at a time (by either system's id, by node id), every document of a kind page
by page, items with their availability, a coupled pair side by side, and what bad arguments
and unknown ids answer."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import httpx
import pytest

from gateway.services import Services
from gateway.settings import Settings
from tests.api.lifecycle_support import ok
from tests.api.support import (
    codes,
    couple,
    couple_customers_by_number,
    data,
    gql,
    prepare_dependencies,
    table,
)
from tests.support_sandbox import SandboxHandle
from tests.workflows.support import WRITE_IN_NUMBER, World, build_world

UNKNOWN = "7d1c6a52-4a55-4c1a-9a43-2d7b5e0c9f10"


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


def fields_of(body: dict[str, Any]) -> list[list[str] | None]:
    return [error.get("extensions", {}).get("field") for error in body.get("errors") or []]


async def test_a_document_is_found_by_either_id_and_by_its_node_id(
    api: httpx.AsyncClient, world: World
) -> None:
    quote = await world.quote("Warehouse fit-out", lines=1)
    erp_id = (await ok(api, "submitQuote", crmQuoteId=quote.id))["erpQuote"]["id"]
    lookup = "query ($crm: ID, $erp: ID) { quote(crmId: $crm, erpId: $erp) { id crmId erpId } }"

    by_crm = (await data(api, lookup, crm=quote.id))["quote"]
    by_erp = (await data(api, lookup, erp=erp_id))["quote"]
    by_both = (await data(api, lookup, crm=quote.id, erp=erp_id))["quote"]
    assert by_crm == by_erp == by_both == {"id": by_crm["id"], "crmId": quote.id, "erpId": erp_id}
    node = await data(
        api,
        "query ($id: ID!) { node(id: $id) { __typename ... on Quote { crmId erpId } } }",
        id=by_crm["id"],
    )
    assert node["node"] == {"__typename": "Quote", "crmId": quote.id, "erpId": erp_id}

    # Ids that name nothing answer null; both ids of different documents name none.
    other = await world.quote("Another quote", lines=1)
    assert (await data(api, lookup, crm=UNKNOWN))["quote"] is None
    assert (await data(api, lookup, erp=UNKNOWN))["quote"] is None
    assert (await data(api, lookup, crm=other.id, erp=erp_id))["quote"] is None
    for name in ("salesOrder", "invoice", "project"):
        found = await data(api, f"query ($id: ID) {{ {name}(crmId: $id) {{ crmId }} }}", id=UNKNOWN)
        assert found[name] is None

    # A malformed id, or none at all, is refused naming the argument.
    bad = await gql(api, lookup, crm="not-a-guid")
    assert (codes(bad), fields_of(bad)) == (["INVALID_INPUT"], [["crmId"]])
    bad = await gql(api, lookup, erp="42")
    assert (codes(bad), fields_of(bad)) == (["INVALID_INPUT"], [["erpId"]])
    bad = await gql(api, lookup)
    assert (codes(bad), fields_of(bad)) == (["INVALID_INPUT"], [["crmId"]])


async def test_node_resolves_every_kind_of_document(
    sandbox: SandboxHandle, store: Services, api: httpx.AsyncClient
) -> None:
    await sandbox.seed(accounts=30, projects=30)
    await couple_customers_by_number(store)
    listed = await data(
        api,
        """{ quotes(first: 1) { edges { node { id crmId } } }
             salesOrders(first: 1) { edges { node { id crmId } } }
             invoices(first: 1) { edges { node { id erpId } } }
             projects(first: 1) { edges { node { id erpId } } }
             opportunities(first: 1) { edges { node { id crmId } } }
             items(first: 1) { edges { node { id erpId } } } }""",
    )
    for name, typename in (
        ("quotes", "Quote"),
        ("salesOrders", "SalesOrder"),
        ("invoices", "Invoice"),
        ("projects", "Project"),
        ("opportunities", "Opportunity"),
        ("items", "Item"),
    ):
        [edge] = listed[name]["edges"]
        node = await data(
            api, "query ($id: ID!) { node(id: $id) { __typename id } }", id=edge["node"]["id"]
        )
        assert node["node"] == {"__typename": typename, "id": edge["node"]["id"]}


async def test_arguments_are_checked_before_any_system_is_read(
    sandbox: SandboxHandle, store: Services, api: httpx.AsyncClient
) -> None:
    await sandbox.seed(accounts=10)
    assert store.crm is not None
    account_id = (await table(store.crm, "quote"))[0].values["_customerid_value"]
    page = """query ($a: ID, $s: String, $f: Date, $t: Date, $after: String) {
      quotes(accountId: $a, state: $s, dateFrom: $f, dateTo: $t, after: $after) {
        edges { node { crmId } } } }"""
    await sandbox.reset_stats()
    for variables, field in (
        ({"s": "SHIPPED"}, "state"),  # a state of orders, not of quotes
        ({"s": "<script>"}, "state"),
        ({"f": "2030-01-02", "t": "2030-01-01"}, "dateTo"),
        ({"a": "not-a-guid"}, "accountId"),
        ({"after": "bm90IG91cnM"}, "after"),
    ):
        body = await gql(api, page, **variables)
        assert codes(body) == ["INVALID_INPUT"], (variables, body)
        assert fields_of(body) == [[field]]
    assert (await sandbox.stats())["requests"] == 0
    # A cursor of an account's page is not one of the listing of every quote.
    first = await data(api, page.replace("edges", "pageInfo { endCursor } edges"), a=account_id)
    cursor = first["quotes"]["pageInfo"]["endCursor"]
    body = await gql(api, page, after=cursor)
    assert (codes(body), fields_of(body)) == (["INVALID_INPUT"], [["after"]])
    # An account that does not exist has no quotes.
    assert (await data(api, page, a=UNKNOWN))["quotes"]["edges"] == []


async def test_every_quote_is_listed_once_page_by_page_crm_quotes_first(
    sandbox: SandboxHandle, store: Services, api: httpx.AsyncClient, world: World
) -> None:
    await sandbox.seed(accounts=20, quotes=30)
    quote = await world.quote("Listed once", lines=1)
    erp_id = (await ok(api, "submitQuote", crmQuoteId=quote.id))["erpQuote"]["id"]
    assert store.crm is not None
    assert store.erp is not None
    crm_ids = sorted(record.id for record in await table(store.crm, "quote"))
    erp_ids = sorted(record.id for record in await table(store.erp, "quote") if record.id != erp_id)

    seen: list[dict[str, Any]] = []
    after = None
    query = """query ($after: String) { quotes(first: 7, after: $after) {
        pageInfo { hasNextPage endCursor } edges { node { crmId erpId state } } } }"""
    while True:
        page = (await data(api, query, after=after))["quotes"]
        seen += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert [node["crmId"] for node in seen[: len(crm_ids)]] == crm_ids
    assert [node["erpId"] for node in seen[len(crm_ids) :]] == erp_ids
    assert len(seen) == len(crm_ids) + len(erp_ids)
    [coupled] = [node for node in seen if node["crmId"] == quote.id]
    assert (coupled["erpId"], coupled["state"]) == (erp_id, "SUBMITTED")

    # Filters: the state, and text in the number.
    submitted = await data(api, 'query { quotes(state: "SUBMITTED") { edges { node { crmId } } } }')
    assert [edge["node"]["crmId"] for edge in submitted["quotes"]["edges"]] == [quote.id]
    number = quote.values["quotenumber"]
    searched = await data(
        api, "query ($s: String) { quotes(search: $s) { edges { node { number } } } }", s=number
    )
    assert [edge["node"]["number"] for edge in searched["quotes"]["edges"]] == [number]


async def test_items_show_their_products_and_availability_from_the_erp(
    sandbox: SandboxHandle, store: Services, api: httpx.AsyncClient
) -> None:
    await sandbox.seed(accounts=60, orders=80)
    assert store.crm is not None
    assert store.erp is not None
    products = {r.values["productnumber"]: r for r in await table(store.crm, "product")}
    items = await table(store.erp, "item")
    for item in items:
        await couple(store, "ITEM-PRODUCT", item, products[item.values["number"]])
    on_orders: dict[str, float] = defaultdict(float)
    for line in await table(store.erp, "sales_order_line"):
        on_orders[line.values["itemId"]] += line.values["quantity"] - (
            line.values.get("shippedQuantity") or 0
        )

    page = await data(
        api,
        """{ items(first: 200) { edges { node { erpId crmId number name unitPrice
              availability { inventory onOpenSalesOrders available } } } } }""",
    )

    shown = {edge["node"]["erpId"]: edge["node"] for edge in page["items"]["edges"]}
    assert set(shown) == {item.id for item in items}
    for item in items:
        node = shown[item.id]
        ordered = round(on_orders.get(item.id, 0.0), 6)
        assert node["crmId"] == products[item.values["number"]].id
        assert (node["number"], node["name"], node["unitPrice"]) == (
            item.values["number"],
            item.values["displayName"],
            item.values["unitPrice"],
        )
        assert node["availability"] == {
            "inventory": item.values["inventory"],
            "onOpenSalesOrders": ordered,
            "available": round(item.values["inventory"] - ordered, 6),
        }
    assert any(node["availability"]["onOpenSalesOrders"] for node in shown.values())
    some = items[0]
    by_product = await data(
        api,
        "query ($id: ID) { item(crmId: $id) { erpId } }",
        id=products[some.values["number"]].id,
    )
    assert by_product["item"] == {"erpId": some.id}


async def test_a_coupled_pair_side_by_side_says_which_fields_differ(
    sandbox: SandboxHandle, store: Services, api: httpx.AsyncClient
) -> None:
    await sandbox.seed(accounts=5, matched=5)
    await prepare_dependencies(store)
    customers = await couple_customers_by_number(store)
    account_id, customer = next(iter(customers.items()))
    assert store.crm is not None
    await store.crm.update("account", account_id, {"telephone1": "+1 425 555 0199"})
    query = """query ($id: ID!) { account(crmId: $id) { coupling { fields {
        erpField crmField erpValue crmValue lastSyncedValue differs direction } } } }"""

    rows = (await data(api, query, id=account_id))["account"]["coupling"]["fields"]

    by_row = {(row["erpField"], row["crmField"]): row for row in rows}
    phone = by_row[("phoneNumber", "telephone1")]
    assert (phone["erpValue"], phone["crmValue"]) == (
        customer.values["phoneNumber"],
        "+1 425 555 0199",
    )
    assert phone["differs"] is True
    assert phone["lastSyncedValue"] is None  # coupled without synchronizing
    name = by_row[("displayName", "name")]
    assert (name["erpValue"], name["crmValue"], name["differs"]) == (
        customer.values["displayName"],
        customer.values["displayName"],
        False,
    )
    number = by_row[("number", "accountnumber")]
    assert (number["direction"], number["differs"]) == ("TO_CRM", False)

    synchronized = await data(
        api,
        """mutation ($input: SynchronizeNowInput!) { synchronizeNow(input: $input) {
            userErrors { code message } } }""",
        input={"mapping": "CUSTOMER", "crmId": account_id, "direction": "FROM_CRM"},
    )
    assert synchronized["synchronizeNow"]["userErrors"] == []
    rows = (await data(api, query, id=account_id))["account"]["coupling"]["fields"]
    phone = {(row["erpField"], row["crmField"]): row for row in rows}[("phoneNumber", "telephone1")]
    assert phone == {
        **phone,
        "erpValue": "+1 425 555 0199",
        "lastSyncedValue": "+1 425 555 0199",
        "differs": False,
    }

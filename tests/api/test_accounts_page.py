"""A page of accounts with their coupled customers and both systems' figures: exact results,
and a cost in backend requests that does not grow with the number of rows."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx

from adapters.filters import Compare, In
from gateway.services import Services
from tests.api.support import (
    couple_customers_by_number,
    couple_salespeople_by_email,
    data,
    table,
)
from tests.support_sandbox import SandboxHandle

PAGE = """
query Page($first: Int!, $after: String) {
  accounts(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id crmId name accountNumber email city coupled
      owner { fullName email }
      coupling { mapping erpId crmId state }
      customer { erpId number name email salespersonCode coupled
                 statistics { balance totalSales overdueAmount currencyCode } }
      statistics { balance totalSales overdueAmount currencyCode }
      crmStatistics { openOpportunities openQuotes openCases }
    } }
  }
}
"""


async def expected_crm_figures(services: Services) -> dict[str, dict[str, int]]:
    """Open opportunities, quotes and cases per account, counted from the raw tables."""
    assert services.crm is not None
    figures: dict[str, Counter[str]] = {}
    rules = [
        (
            "opportunity",
            "_parentaccountid_value",
            Compare("statecode", "eq", 0),
            "openOpportunities",
        ),
        ("quote", "_customerid_value", In("statecode", (0, 1)), "openQuotes"),
        ("case", "_customerid_value", Compare("statecode", "eq", 0), "openCases"),
    ]
    for entity, account_field, open_filter, name in rules:
        for record in await table(services.crm, entity, open_filter):
            account = record.values.get(account_field)
            if account:
                figures.setdefault(account, Counter())[name] += 1
    return {
        account: {name: counts[name] for *_, name in rules} for account, counts in figures.items()
    }


def zero_crm() -> dict[str, int]:
    return {"openOpportunities": 0, "openQuotes": 0, "openCases": 0}


async def expected_page(services: Services, customers: dict[str, Any]) -> list[dict[str, Any]]:
    assert services.crm is not None
    assert services.erp is not None
    accounts = sorted(await table(services.crm, "account"), key=lambda r: r.id)
    users = {r.id: r.values for r in await table(services.crm, "user")}
    details = {r.id: r.values for r in await table(services.erp, "customer_statistics")}
    crm_figures = await expected_crm_figures(services)
    rows = []
    for account in accounts:
        values = account.values
        owner = users[values["_ownerid_value"]]
        customer = customers.get(account.id)
        statistics = None
        shown_customer = None
        if customer is not None:
            detail = details[customer.id]
            statistics = {
                "balance": detail["balance"],
                "totalSales": detail["totalSalesExcludingTax"],
                "overdueAmount": detail["overdueAmount"],
                "currencyCode": customer.values["currencyCode"] or None,
            }
            shown_customer = {
                "erpId": customer.id,
                "number": customer.values["number"],
                "name": customer.values["displayName"],
                "email": customer.values["email"],
                "salespersonCode": customer.values["salespersonCode"] or None,
                "coupled": True,
                "statistics": statistics,
            }
        rows.append(
            {
                "crmId": account.id,
                "name": values["name"],
                "accountNumber": values["accountnumber"],
                "email": values["emailaddress1"],
                "city": values["address1_city"],
                "coupled": customer is not None,
                "owner": {"fullName": owner["fullname"], "email": owner["internalemailaddress"]},
                "coupling": None
                if customer is None
                else {
                    "mapping": "CUSTOMER",
                    "erpId": customer.id,
                    "crmId": account.id,
                    "state": "COUPLED",
                },
                "customer": shown_customer,
                "statistics": statistics,
                "crmStatistics": crm_figures.get(account.id, zero_crm()),
            }
        )
    return rows


def without_ids(node: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in node.items() if key != "id"}


async def test_a_page_of_100_accounts_shows_customers_and_figures_exactly(
    sandbox: SandboxHandle, store: Services, api: httpx.AsyncClient
) -> None:
    await sandbox.seed(accounts=100)
    customers = await couple_customers_by_number(store)
    assert len(customers) == 60
    expected = await expected_page(store, customers)

    page = (await data(api, PAGE, first=100))["accounts"]

    nodes = [edge["node"] for edge in page["edges"]]
    assert page["pageInfo"]["hasNextPage"] is False
    assert [without_ids(node) for node in nodes] == expected
    assert sum(1 for node in nodes if node["customer"] is not None) == 60
    assert any(node["statistics"]["balance"] > 0 for node in nodes if node["statistics"])
    assert any(node["crmStatistics"] != zero_crm() for node in nodes)


def backend_requests(stats: dict[str, Any]) -> dict[tuple[str, str, str], int]:
    """Requests per API, entity set and method (token requests left out)."""
    counts = {}
    for api, entry in stats["apis"].items():
        if api == "token":
            continue
        for entity_set, methods in entry["entity_sets"].items():
            for method, count in methods.items():
                counts[(api, entity_set, method)] = count
    return counts


async def test_a_page_costs_the_same_requests_for_10_rows_as_for_100(
    sandbox: SandboxHandle, store: Services, api: httpx.AsyncClient
) -> None:
    await sandbox.seed(accounts=200)
    await couple_customers_by_number(store)
    await couple_salespeople_by_email(store)
    costs = []
    for first in (10, 100):
        await data(api, PAGE, first=first)  # warm: tokens and the company id are read once
        await sandbox.reset_stats()
        page = (await data(api, PAGE, first=first))["accounts"]
        assert len(page["edges"]) == first
        assert any(edge["node"]["customer"] for edge in page["edges"])
        costs.append(backend_requests(await sandbox.stats()))
    small, large = costs
    assert small == large
    # One request per hop: accounts, users, customers, customer statistics, and one per
    # figure of the CRM statistics.
    assert small == {
        ("dataverse", "accounts", "GET"): 1,
        ("dataverse", "systemusers", "GET"): 1,
        ("dataverse", "opportunities", "GET"): 1,
        ("dataverse", "quotes", "GET"): 1,
        ("dataverse", "incidents", "GET"): 1,
        ("bc", "customers", "GET"): 2,
    }

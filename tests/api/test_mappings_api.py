"""Table mappings over the API: listing them with what keeps one from running, and changing
them with every problem named by its input field, nothing stored unless all is well."""

from __future__ import annotations

from typing import Any

import httpx

from gateway.auth.keys import ApiKeyStore
from gateway.auth.roles import Role
from gateway.services import Services
from tests.sync.support import gql

UPDATE = """
mutation ($input: UpdateTableMappingInput!) {
  updateTableMapping(input: $input) {
    tableMapping {
      name direction syncOnlyCoupled conflictPolicy deletionPolicy enabled dependsOn
      crmTemplate { field value }
      fields { erpField crmField direction transform constant lookup { mapping erpBy crmBy } }
      problems
    }
    userErrors { code message field }
  }
}
"""


async def stored(services: Services, name: str) -> dict[str, Any] | None:
    return await services.db["table_mappings"].find_one({"name": name}, {"_id": 0})


async def update(client: httpx.AsyncClient, change: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = (await gql(client, UPDATE, {"input": change}))["updateTableMapping"]
    return payload


async def test_the_default_mappings_are_listed_in_dependency_order_and_can_run(
    connected_http: httpx.AsyncClient,
) -> None:
    data = await gql(
        connected_http,
        """{ tableMappings { name erpEntity crmEntity direction enabled dependsOn coupledThrough
             problems fields { erpField crmField direction } } }""",
    )
    mappings = {m["name"]: m for m in data["tableMappings"]}
    names = [m["name"] for m in data["tableMappings"]]
    assert names.index("SALESPEOPLE") < names.index("CUSTOMER") < names.index("CONTACT")
    customer = mappings["CUSTOMER"]
    assert (customer["erpEntity"], customer["crmEntity"], customer["direction"]) == (
        "customer",
        "account",
        "BIDIRECTIONAL",
    )
    assert {"erpField": "number", "crmField": "accountnumber", "direction": "TO_CRM"} in customer[
        "fields"
    ]
    assert mappings["CUSTOMER-STATISTICS"]["coupledThrough"] == "CUSTOMER"
    assert all(m["problems"] == [] for m in mappings.values() if m["enabled"])
    one = await gql(
        connected_http,
        "query ($n: String!) { tableMapping(name: $n) { name direction } }",
        {"n": "SALESPEOPLE"},
    )
    assert one["tableMapping"] == {"name": "SALESPEOPLE", "direction": "FROM_CRM"}
    missing = await gql(
        connected_http, "query ($n: String!) { tableMapping(name: $n) { name } }", {"n": "NOPE"}
    )
    assert missing["tableMapping"] is None


async def test_an_administrator_changes_direction_policies_rows_and_templates(
    connected_http: httpx.AsyncClient, connected_services: Services
) -> None:
    payload = await update(
        connected_http,
        {
            "name": "CONTACT",
            "direction": "TO_CRM",
            "syncOnlyCoupled": False,
            "conflictPolicy": "ERP_WINS",
            "deletionPolicy": "IGNORE",
            "crmTemplate": [{"field": "jobtitle", "value": "Buyer"}],
            "fields": [
                {"erpField": "displayName", "crmField": "lastname", "direction": "TO_CRM"},
                {"erpField": "email", "crmField": "emailaddress1", "transform": "lower"},
                {"crmField": "telephone1", "direction": "TO_CRM", "constant": "n/a"},
            ],
        },
    )

    assert payload["userErrors"] == []
    mapping = payload["tableMapping"]
    assert (mapping["direction"], mapping["conflictPolicy"], mapping["deletionPolicy"]) == (
        "TO_CRM",
        "ERP_WINS",
        "IGNORE",
    )
    assert mapping["crmTemplate"] == [{"field": "jobtitle", "value": "Buyer"}]
    assert [row["transform"] for row in mapping["fields"]] == [None, "lower", None]
    assert mapping["fields"][2]["constant"] == "n/a"
    saved = await stored(connected_services, "CONTACT")
    assert saved is not None
    assert saved["direction"] == "TO_CRM"
    assert len(saved["fields"]) == 3


async def test_every_problem_is_named_by_its_input_field_and_nothing_is_stored(
    connected_http: httpx.AsyncClient, connected_services: Services
) -> None:
    before = await stored(connected_services, "CUSTOMER")
    cases: list[tuple[dict[str, Any], str, list[str], str]] = [
        ({"name": "NOPE"}, "NOT_FOUND", ["input", "name"], "NOPE"),
        (
            {"name": "CUSTOMER", "fields": [{"erpField": "displayName", "crmField": "nope"}]},
            "INVALID_INPUT",
            ["input", "fields", "0", "crmField"],
            "'nope'",
        ),
        (
            {
                "name": "CUSTOMER",
                "fields": [
                    {"erpField": "number", "crmField": "accountnumber"},
                    {"erpField": "displayName", "crmField": "name", "transform": "shout"},
                ],
            },
            "INVALID_INPUT",
            ["input", "fields", "1", "transform"],
            "unknown transform 'shout'",
        ),
        (
            {"name": "CUSTOMER", "dependsOn": ["SALESPEOPLE", "CURRENCY", "GHOST"]},
            "INVALID_INPUT",
            ["input", "dependsOn"],
            "GHOST",
        ),
        (
            {"name": "CUSTOMER", "dependsOn": ["CURRENCY"]},
            "INVALID_INPUT",
            ["input", "dependsOn"],
            "SALESPEOPLE",
        ),
        (
            {"name": "CUSTOMER", "dependsOn": ["SALESPEOPLE", "CURRENCY", "CONTACT"]},
            "INVALID_INPUT",
            ["input", "dependsOn"],
            "cycle",
        ),
        (
            {
                "name": "CUSTOMER",
                "fields": [{"erpField": "number", "crmField": "x", "constant": 1}],
            },
            "INVALID_INPUT",
            ["input", "fields", "0"],
            "constant",
        ),
        (
            {"name": "CUSTOMER", "crmTemplate": [{"field": "name", "value": {"$gt": ""}}]},
            "INVALID_INPUT",
            ["input", "crmTemplate", "0", "value"],
            "string, a number",
        ),
        (
            {"name": "CUSTOMER", "erpKeyField": "nope"},
            "INVALID_INPUT",
            ["input", "erpKeyField"],
            "'nope'",
        ),
    ]
    for change, code, field, words in cases:
        payload = await update(connected_http, change)
        assert payload["tableMapping"] is None, change
        assert any(
            e["code"] == code and e["field"] == field and words in e["message"]
            for e in payload["userErrors"]
        ), (change, payload["userErrors"])
    assert await stored(connected_services, "CUSTOMER") == before


async def test_readers_see_mappings_but_only_administrators_change_them(
    connected_http: httpx.AsyncClient, connected_services: Services
) -> None:
    _, key = await ApiKeyStore(connected_services.db).create("integrator-1", Role.INTEGRATOR)
    headers = {"Authorization": f"Bearer {key}"}
    response = await connected_http.post(
        "/graphql",
        json={"query": UPDATE, "variables": {"input": {"name": "CUSTOMER", "enabled": False}}},
        headers=headers,
    )
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    saved = await stored(connected_services, "CUSTOMER")
    assert saved is not None
    assert saved["enabled"] is True

"""Each role against each class of operation, table-driven from the schema: a mutation added
without a role check, or with too low a one, fails here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from gateway.auth.roles import Role
from gateway.services import Services
from gateway.settings import Settings
from schema import build_schema
from schema.permissions import required_role
from tests.security.conftest import PROBE_CALLS, ServeApp, client, error_codes
from tests.security.schema_walk import RootField, root_fields

Document = dict[str, Any]


def product_fields(settings: Settings, operation: str) -> list[RootField]:
    return [f for f in root_fields(build_schema(settings)) if f.operation == operation]


def declared_roles(settings: Settings, type_name: str) -> dict[str, Role | None]:
    schema = build_schema(settings)
    definition = schema.get_type_by_name(type_name)
    assert definition is not None
    names = schema.config.name_converter
    return {names.get_graphql_name(f): required_role(f) for f in definition.fields}  # type: ignore[union-attr]


def test_every_mutation_declares_a_role_above_reader(settings: Settings) -> None:
    roles = declared_roles(settings, "Mutation")
    assert roles, "the schema has no mutations"
    undeclared = sorted(name for name, role in roles.items() if role is None)
    assert undeclared == [], f"mutations without requires(Role.X): {undeclared}"
    for_readers = sorted(name for name, role in roles.items() if role is Role.READER)
    assert for_readers == [], f"readers may only query, yet may call: {for_readers}"


def test_api_keys_and_the_log_need_their_roles(settings: Settings) -> None:
    assert declared_roles(settings, "Mutation")["createApiKey"] is Role.ADMIN
    assert declared_roles(settings, "Mutation")["revokeApiKey"] is Role.ADMIN
    queries = declared_roles(settings, "Query")
    assert queries["apiKeys"] is Role.ADMIN
    assert queries["integrationLog"] is Role.INTEGRATOR


async def snapshot(services: Services) -> dict[str, list[Document]]:
    """Every document of every collection but the integration log (refusals are audited)."""
    names = await services.db.list_collection_names()
    return {
        name: await services.db[name].find().sort("_id", 1).to_list(None)
        for name in sorted(names)
        if name != "integration_log"
    }


async def call(http: httpx.AsyncClient, field: RootField) -> Document:
    document, variables = field.call()
    response = await http.post("/graphql", json={"query": document, "variables": variables})
    assert response.status_code == 200, response.text
    body: Document = response.json()
    return body


@pytest.mark.parametrize("role", [Role.READER, Role.INTEGRATOR])
async def test_callers_are_refused_every_operation_above_their_role(
    role: Role,
    settings: Settings,
    gateway_url: str,
    services: Services,
    make_key: Callable[..., Any],
) -> None:
    key = await make_key(role, "limited")
    required = {
        **declared_roles(settings, "Query"),
        **declared_roles(settings, "Mutation"),
    }
    above = [
        field
        for field in (*product_fields(settings, "query"), *product_fields(settings, "mutation"))
        if (needed := required[field.name]) is not None and not role.allows(needed)
    ]
    assert above, f"nothing is above {role.value}?"
    async with client(gateway_url, key) as caller:
        assert (
            "errors" not in (await caller.post("/graphql", json={"query": "{ __typename }"})).json()
        )
        before = await snapshot(services)
        for field in above:
            body = await call(caller, field)
            assert error_codes(body) == ["FORBIDDEN"], (field.name, body)
            assert f"needs the {required[field.name].value} role" in body["errors"][0]["message"]  # type: ignore[union-attr]
            assert not body.get("data") or body["data"].get(field.name) is None
    assert await snapshot(services) == before

    refused = await services.db["integration_log"].find({"actor": "limited"}).to_list(None)
    mutations = sorted(f.name for f in above if f.operation == "mutation")
    assert sorted(entry["operation"] for entry in refused) == mutations
    assert all(entry["result"]["codes"] == ["FORBIDDEN"] for entry in refused)


async def test_readers_may_query(gateway_url: str, make_key: Callable[..., Any]) -> None:
    key = await make_key(Role.READER)
    async with client(gateway_url, key) as reader:
        body = (await reader.post("/graphql", json={"query": "{ systemInfo { version } }"})).json()
    assert body["data"]["systemInfo"]["version"]


async def test_integrators_may_read_the_log_and_admins_manage_keys(
    gateway_url: str, make_key: Callable[..., Any]
) -> None:
    integrator = await make_key(Role.INTEGRATOR)
    admin = await make_key(Role.ADMIN)
    async with client(gateway_url, integrator) as http:
        body = (
            await http.post("/graphql", json={"query": "{ integrationLog { edges { cursor } } }"})
        ).json()
    assert body == {"data": {"integrationLog": {"edges": []}}}
    async with client(gateway_url, admin) as http:
        body = (await http.post("/graphql", json={"query": "{ apiKeys { name } }"})).json()
    assert "errors" not in body
    assert {key["name"] for key in body["data"]["apiKeys"]} >= {"integrator-key", "admin-key"}


async def test_one_forbidden_field_refuses_the_whole_request(
    settings: Settings, serve_app: ServeApp, services: Services, make_key: Callable[..., Any]
) -> None:
    """An allowed mutation before a forbidden one does not run either, in one document or in
    a batch: the client is never told "nothing happened" after something did."""
    key = await make_key(Role.INTEGRATOR, "integrator")
    allowed = "mutation { remember }"
    forbidden = (
        'mutation { storeCredential(input: {name: "n", clientSecret: "s", note: ""}) { name } }'
    )
    both = (
        "mutation Both { remember "
        'storeCredential(input: {name: "n", clientSecret: "s", note: ""}) { name } }'
    )
    async with serve_app(settings) as url, client(url, key) as http:
        single = await http.post("/graphql", json={"query": both})
        batch = await http.post("/graphql", json=[{"query": allowed}, {"query": forbidden}])
        alone = await http.post("/graphql", json={"query": allowed})
    assert single.status_code == 200
    assert error_codes(single.json()) == ["FORBIDDEN"]
    assert "data" not in single.json()
    first, second = batch.json()
    assert error_codes(first) == error_codes(second) == ["FORBIDDEN"]
    assert "Not run" in first["errors"][0]["message"]
    assert "needs the admin role" in second["errors"][0]["message"]
    assert PROBE_CALLS == ["remember"]  # only the request with nothing forbidden ran
    assert alone.json() == {"data": {"remember": 1}}
    refused = await services.db["integration_log"].find({"result.status": "error"}).to_list(None)
    assert [(e["operation"], e["result"]["codes"]) for e in refused] == [
        ("storeCredential", ["FORBIDDEN"]),
        ("storeCredential", ["FORBIDDEN"]),
    ]


async def test_readers_do_not_see_server_versions(
    gateway_url: str, make_key: Callable[..., Any]
) -> None:
    document = {"query": "{ systemInfo { version mongo redis } }"}
    async with client(gateway_url, await make_key(Role.READER)) as reader:
        seen = (await reader.post("/graphql", json=document)).json()["data"]["systemInfo"]
    async with client(gateway_url, await make_key(Role.ADMIN)) as admin:
        shown = (await admin.post("/graphql", json=document)).json()["data"]["systemInfo"]
    assert seen["version"] == shown["version"]
    assert seen["mongo"] is None
    assert seen["redis"] is None
    assert shown["mongo"][0].isdigit()
    assert shown["redis"][0].isdigit()

"""Operator injection: every String and ID argument of every query and mutation of the
product schema, at any depth of its input objects, receives MongoDB-operator-looking values,
as strings and as objects. Each call must find nothing, break nothing (no internal error, no
existing document changed or gone) and run nothing for the objects, which GraphQL refuses.

The table comes from the schema, so fields added later are covered without changing this."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from gateway.auth.roles import Role
from gateway.services import Services
from gateway.settings import Settings
from schema import build_schema
from tests.conftest import TEST_API_KEY
from tests.security.conftest import ServeApp, client, error_codes
from tests.security.schema_walk import RootField, root_fields

HOSTILE_STRINGS = [
    '{"$gt": ""}',
    '{"$ne": null}',
    '{"$regex": ".*"}',
    '{"$where": "sleep(1000)"}',
    "$gt",
    "$where",
    ".*",
    "^",
    "'; return true; var x='",
    "a\u0000b",
]
HOSTILE_OBJECTS: list[Any] = [{"$gt": ""}, {"$ne": None}, ["$gt", ""]]

Document = dict[str, Any]


async def seed(services: Services, make_key: Callable[..., Any], http: httpx.AsyncClient) -> None:
    """Something to find and something to break: keys of each role and log entries."""
    for role in Role:
        await make_key(role, f"victim-{role.value}")
    create = "mutation ($i: CreateApiKeyInput!) { createApiKey(input: $i) { key } }"
    await http.post(
        "/graphql", json={"query": create, "variables": {"i": {"name": "x", "role": "READER"}}}
    )


async def everything(services: Services) -> dict[str, dict[Any, Document]]:
    found: dict[str, dict[Any, Document]] = {}
    for name in await services.db.list_collection_names():
        documents = await services.db[name].find().to_list(None)
        found[name] = {
            d["_id"]: {k: v for k, v in d.items() if k != "last_used_at"} for d in documents
        }
    return found


def cases(settings: Settings) -> list[tuple[RootField, tuple[str, ...]]]:
    return [
        (field, path)
        for field in root_fields(build_schema(settings))
        for path in field.text_paths()
    ]


async def test_the_sweep_covers_the_api_key_and_log_arguments(settings: Settings) -> None:
    covered = {(field.name, path) for field, path in cases(settings)}
    assert {
        ("createApiKey", ("input", "name")),
        ("revokeApiKey", ("input", "name")),
        ("integrationLog", ("after",)),
    } <= covered


async def test_operator_values_find_nothing_and_break_nothing(
    settings: Settings,
    serve_app: ServeApp,
    services: Services,
    make_key: Callable[..., Any],
) -> None:
    generous = settings.model_copy(update={"api_rate_limit": 0})
    async with serve_app(generous, probe=False) as url, client(url, TEST_API_KEY) as admin:
        await seed(services, make_key, admin)
        before = await everything(services)
        for field, path in cases(settings):
            for value in HOSTILE_STRINGS:
                document, variables = field.call(path, value)
                response = await admin.post(
                    "/graphql", json={"query": document, "variables": variables}
                )
                where = f"{field.name}{list(path)} = {value!r}"
                assert response.status_code == 200, where
                body = response.json()
                assert "INTERNAL" not in error_codes(body), (where, body)
                data = (body.get("data") or {}).get(field.name)
                if field.operation == "query" and field.finds_records:
                    assert RootField.found_nothing(data), (where, data)
                if field.operation == "mutation" and isinstance(data, dict):
                    assert data.get("__typename"), where
            for value in HOSTILE_OBJECTS:
                document, variables = field.call(path, value)
                body = (
                    await admin.post("/graphql", json={"query": document, "variables": variables})
                ).json()
                assert body.get("data") is None, (field.name, path, value, body)
                assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"], (field.name, body)
        after = await everything(services)

    for collection, documents in before.items():
        for key, document in documents.items():
            assert after[collection].get(key) == document, f"{collection} {key} changed or gone"
    names = {d["name"] for d in after["api_keys"].values()}
    assert not [name for name in names if "$" in name or "{" in name]


@pytest.mark.parametrize("value", HOSTILE_STRINGS)
async def test_a_hostile_key_name_is_refused_before_anything_is_written(
    http: httpx.AsyncClient, services: Services, value: str
) -> None:
    create = """
    mutation ($i: CreateApiKeyInput!) { createApiKey(input: $i) { key userErrors { code field } } }
    """
    body = (
        await http.post(
            "/graphql", json={"query": create, "variables": {"i": {"name": value, "role": "ADMIN"}}}
        )
    ).json()
    assert body["data"]["createApiKey"] == {
        "key": None,
        "userErrors": [{"code": "INVALID_INPUT", "field": ["input", "name"]}],
    }
    assert await services.db["api_keys"].count_documents({"role": "admin"}) == 1  # the dev key

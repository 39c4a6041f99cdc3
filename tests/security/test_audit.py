"""The integration log: every mutation call is recorded (who, what, with which arguments,
how it ended, how long it took) with secrets redacted, and can be read page by page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest
from pydantic import SecretStr

from gateway.auth.roles import Role
from gateway.services import Services
from gateway.settings import Settings
from gateway.store.integration_log import (
    EntryKind,
    IntegrationLog,
    LogEntry,
    Outcome,
    ResultStatus,
    Target,
)
from tests.conftest import TEST_API_KEY
from tests.security.conftest import PROBE_CALLS, ServeApp, client, error_codes

CREATE = """
mutation Create($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { key apiKey { name role } }
}
"""
LOG = """
query Log($first: Int, $after: String) {
  integrationLog(first: $first, after: $after) {
    edges { cursor node {
      id at kind actor operation durationMs details
      target { system entity id } result { status codes message }
    } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def gql(http: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    body: dict[str, Any] = (
        await http.post("/graphql", json={"query": query, "variables": variables})
    ).json()
    return body


async def log_nodes(http: httpx.AsyncClient, first: int = 50) -> list[dict[str, Any]]:
    body = await gql(http, LOG, first=first)
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"]["integrationLog"]["edges"]]


async def test_a_mutation_call_is_logged_without_the_key_it_returned(
    http: httpx.AsyncClient, services: Services
) -> None:
    created = await gql(http, CREATE, input={"name": "ci", "role": "READER"})
    key = created["data"]["createApiKey"]["key"]
    assert key.startswith("gw_")

    (entry,) = await log_nodes(http)
    assert entry["kind"] == "mutation"
    assert entry["actor"] == "dev"
    assert entry["operation"] == "createApiKey"
    assert entry["result"] == {"status": "ok", "codes": [], "message": None}
    assert entry["target"] is None
    assert entry["durationMs"] >= 0
    assert entry["details"]["operationName"] == "Create"
    assert entry["details"]["role"] == "admin"
    assert entry["details"]["arguments"] == {"input": {"name": "ci", "role": "reader"}}
    assert entry["details"]["variables"] == {"input": {"name": "ci", "role": "reader"}}

    stored = await services.db["integration_log"].find().to_list(None)
    assert key not in repr(stored)


async def test_user_errors_are_logged_even_when_not_selected(http: httpx.AsyncClient) -> None:
    await gql(http, CREATE, input={"name": "twice", "role": "READER"})
    again = await gql(http, CREATE, input={"name": "twice", "role": "ADMIN"})
    assert again["data"]["createApiKey"] == {"key": None, "apiKey": None}
    revoke = "mutation ($name: String!) { revokeApiKey(input: {name: $name}) { apiKey { name } } }"
    await gql(http, revoke, name="nobody")

    newest_first = await log_nodes(http)
    assert [
        (e["operation"], e["result"]["status"], e["result"]["codes"]) for e in newest_first
    ] == [
        ("revokeApiKey", "user_errors", ["NOT_FOUND"]),
        ("createApiKey", "user_errors", ["CONFLICT"]),
        ("createApiKey", "ok", []),
    ]


async def test_secrets_are_redacted_in_the_log(
    settings: Settings, serve_app: ServeApp, services: Services
) -> None:
    configured = "configured-crm-secret-4711"
    with_secret = settings.model_copy(update={"crm_client_secret": SecretStr(configured)})
    document = """
    mutation Store($apiToken: String!, $note: String!) {
      storeCredential(input: {name: "erp", clientSecret: $apiToken, note: $note}) { name }
    }
    """
    async with serve_app(with_secret) as url, client(url, TEST_API_KEY) as http:
        body = await gql(
            http, document, apiToken="plain-token-0815", note=f"rotated from {configured}"
        )
        assert body == {"data": {"storeCredential": {"name": "erp"}}}
        assert PROBE_CALLS == ["storeCredential"]
        (entry,) = await log_nodes(http)
    assert entry["details"]["variables"] == {
        "apiToken": "[REDACTED]",
        "note": "rotated from [REDACTED]",
    }
    assert entry["details"]["arguments"] == {
        "input": {"name": "erp", "client_secret": "[REDACTED]", "note": "rotated from [REDACTED]"}
    }
    raw = orjson.dumps(await services.db["integration_log"].find().to_list(None), default=str)
    assert b"plain-token-0815" not in raw
    assert configured.encode() not in raw


async def seed(services: Services, count: int) -> list[str]:
    log = IntegrationLog(services.db)
    return await log.append_many(
        LogEntry(
            kind=EntryKind.WRITE,
            actor="sync:CUSTOMER",
            operation="update",
            target=Target(system="dataverse", entity="account", id=f"id-{n}"),
            result=Outcome(ResultStatus.OK),
            details={"n": n},
            duration_ms=1.5,
        )
        for n in range(count)
    )


async def test_the_log_pages_newest_first_with_opaque_cursors(
    http: httpx.AsyncClient, services: Services
) -> None:
    await seed(services, 5)
    seen: list[int] = []
    after = None
    pages = 0
    while True:
        body = await gql(http, LOG, first=2, after=after)
        connection = body["data"]["integrationLog"]
        seen += [edge["node"]["details"]["n"] for edge in connection["edges"]]
        pages += 1
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
        assert "id" not in after  # opaque
    assert seen == [4, 3, 2, 1, 0]
    assert pages == 3

    first = (await log_nodes(http, first=1))[0]
    assert first["target"] == {"system": "dataverse", "entity": "account", "id": "id-4"}
    assert first["kind"] == "write"
    assert first["actor"] == "sync:CUSTOMER"


@pytest.mark.parametrize("cursor", ["garbage", "e30", '{"$gt": ""}', "eyJpZCI6eyIkZ3QiOiIifX0"])
async def test_a_cursor_that_is_not_ours_is_refused(
    http: httpx.AsyncClient, services: Services, cursor: str
) -> None:
    await seed(services, 1)
    body = await gql(http, LOG, first=1, after=cursor)
    assert error_codes(body) == ["INVALID_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == ["after"]


async def test_entries_are_nodes_only_integrators_may_fetch(
    settings: Settings,
    serve_app: ServeApp,
    services: Services,
    make_key: Callable[..., Any],
) -> None:
    await seed(services, 1)
    reader, integrator = await make_key(Role.READER), await make_key(Role.INTEGRATOR)
    node = "query ($id: ID!) { node(id: $id) { id ... on IntegrationLogEntry { operation } } }"
    async with serve_app(settings) as url:
        async with client(url, integrator) as http:
            (entry,) = await log_nodes(http)
            fetched = await gql(http, node, id=entry["id"])
        async with client(url, reader) as http:
            refused = await gql(http, node, id=entry["id"])
    assert fetched == {"data": {"node": {"id": entry["id"], "operation": "update"}}}
    assert error_codes(refused) == ["FORBIDDEN"]


def deep_json(levels: int) -> Any:
    value: Any = "bottom"
    for _ in range(levels):
        value = {"next": value}
    return value


async def test_deep_json_is_refused_before_the_call_and_its_audit(
    settings: Settings, serve_app: ServeApp, services: Services
) -> None:
    document = "mutation Remember($value: JSON) { remember(value: $value) }"
    async with serve_app(settings) as url, client(url, TEST_API_KEY) as http:
        body = await gql(http, document, value=deep_json(600))
        literal = await gql(
            http, "mutation { remember(value: " + "{a: " * 40 + "1" + "}" * 40 + ") }"
        )
        within = await gql(http, document, value=deep_json(20))
    assert body["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": ["value"]}
    assert body["errors"][0]["message"] == "value: nested deeper than 32 levels"
    assert literal["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": ["value"]}
    assert within == {"data": {"remember": 1}}
    assert PROBE_CALLS == ["remember"]  # only the call within the bound ran, and was logged
    (entry,) = await services.db["integration_log"].find().to_list(None)
    assert entry["operation"] == "remember"
    assert entry["result"]["status"] == "ok"


async def test_a_call_whose_audit_cannot_be_written_does_not_run(
    settings: Settings, serve_app: ServeApp, services: Services
) -> None:
    """MongoDB stores integers of 8 bytes: a larger one in the variables makes the entry
    unwritable, and the call must not run without it."""
    document = "mutation Remember($value: JSON) { remember(value: $value) }"
    async with serve_app(settings) as url, client(url, TEST_API_KEY) as http:
        body = await gql(http, document, value={"count": 2**64 - 1})
    assert error_codes(body) == ["AUDIT_UNAVAILABLE"]
    assert "was not made" in body["errors"][0]["message"]
    assert PROBE_CALLS == []
    assert await services.db["integration_log"].count_documents({}) == 0


async def test_what_is_recorded_is_bounded(
    settings: Settings, serve_app: ServeApp, services: Services
) -> None:
    document = "mutation Remember($value: JSON) { remember(value: $value) }"
    async with serve_app(settings) as url, client(url, TEST_API_KEY) as http:
        body = await gql(http, document, value={"text": "x" * 50_000, "items": list(range(5000))})
    assert body == {"data": {"remember": 1}}
    (entry,) = await services.db["integration_log"].find().to_list(None)
    recorded = entry["details"]["variables"]["value"]
    assert len(recorded["text"]) == 10_001
    assert recorded["items"] == list(range(1000))

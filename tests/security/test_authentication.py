"""Who may come in: a known, unrevoked key in `Authorization: Bearer`, or a browser fetching
the GraphiQL page where it is enabled. Everyone else gets 401 and a GraphQL-shaped error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.asgi_server import running_server
from gateway.auth.keys import DEV_KEY_NAME, ApiKeyStore, hash_key
from gateway.auth.roles import Role
from gateway.processes import free_port
from gateway.services import Services
from gateway.settings import ConfigurationError, Settings, load_settings
from tests.conftest import TEST_API_KEY
from tests.security.conftest import ServeApp, client, error_codes
from tests.support import poll_readiness

QUERY = {"query": "{ systemInfo { version } }"}


def assert_unauthenticated(response: httpx.Response) -> None:
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert "data" not in body


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": f"Basic {TEST_API_KEY}"},
        {"Authorization": TEST_API_KEY},
        {"Authorization": "Bearer gw_not_a_key_anyone_was_given"},
        {"Authorization": "Bearer " + "x" * 5000},
        {"Authorization": f"Bearer {TEST_API_KEY}x"},
    ],
    ids=[
        "missing",
        "empty",
        "no-key",
        "basic-scheme",
        "no-scheme",
        "unknown",
        "oversized",
        "near-miss",
    ],
)
async def test_requests_without_a_valid_key_are_refused(
    gateway_url: str, headers: dict[str, str]
) -> None:
    async with httpx.AsyncClient(base_url=gateway_url) as anonymous:
        response = await anonymous.post("/graphql", json=QUERY, headers=headers)
        assert_unauthenticated(response)
        response = await anonymous.get("/graphql", params=QUERY, headers=headers)
        assert_unauthenticated(response)


async def test_the_scheme_is_case_insensitive(gateway_url: str) -> None:
    async with httpx.AsyncClient(base_url=gateway_url) as anonymous:
        response = await anonymous.post(
            "/graphql", json=QUERY, headers={"Authorization": f"bearer {TEST_API_KEY}"}
        )
    assert response.status_code == 200
    assert response.json()["data"]["systemInfo"]["version"]


async def test_a_revoked_key_is_refused_from_the_next_request(
    gateway_url: str, services: Services, make_key: Callable[..., Any]
) -> None:
    key = await make_key(Role.READER, "leaving")
    async with client(gateway_url, key) as reader:
        assert (await reader.post("/graphql", json=QUERY)).status_code == 200
        await ApiKeyStore(services.db).revoke("leaving")
        assert_unauthenticated(await reader.post("/graphql", json=QUERY))


async def test_the_dev_key_is_an_admin_key_named_dev(
    http: httpx.AsyncClient, services: Services
) -> None:
    response = await http.post("/graphql", json={"query": "{ apiKeys { name role active } }"})
    assert response.json() == {
        "data": {"apiKeys": [{"name": DEV_KEY_NAME, "role": "ADMIN", "active": True}]}
    }
    stored = await services.db["api_keys"].find_one({"name": DEV_KEY_NAME})
    assert stored is not None
    assert stored["hash"] == hash_key(TEST_API_KEY)
    assert TEST_API_KEY not in repr(stored)


async def test_ensuring_the_dev_key_is_idempotent_and_follows_its_value(
    services: Services,
) -> None:
    store = ApiKeyStore(services.db)
    await store.ensure(DEV_KEY_NAME, "gw_dev_first_value_0123", Role.ADMIN)
    await store.ensure(DEV_KEY_NAME, "gw_dev_first_value_0123", Role.ADMIN)
    assert [k.name for k in await store.list()] == [DEV_KEY_NAME]
    first = await store.authenticate("gw_dev_first_value_0123")
    assert first is not None
    assert first.role is Role.ADMIN

    await store.revoke(DEV_KEY_NAME)
    await store.ensure(DEV_KEY_NAME, "gw_dev_first_value_0123", Role.ADMIN)
    assert await store.authenticate("gw_dev_first_value_0123") is not None  # active again

    await store.ensure(DEV_KEY_NAME, "gw_dev_second_value_456", Role.ADMIN)
    assert await store.authenticate("gw_dev_first_value_0123") is None
    assert await store.authenticate("gw_dev_second_value_456") is not None
    assert await services.db["api_keys"].count_documents({}) == 1


async def test_production_ensures_no_dev_key(
    production: Settings, serve_app: ServeApp, services: Services
) -> None:
    async with serve_app(production) as url, client(url, TEST_API_KEY) as caller:
        assert_unauthenticated(await caller.post("/graphql", json=QUERY))
    assert await services.db["api_keys"].count_documents({}) == 0


async def test_graphiql_loads_without_a_key_where_enabled(gateway_url: str) -> None:
    async with httpx.AsyncClient(base_url=gateway_url) as browser:
        page = await browser.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200
        assert "graphiql" in page.text.lower()
        # ... but a query over GET still needs the key.
        assert_unauthenticated(
            await browser.get("/graphql", params=QUERY, headers={"Accept": "text/html"})
        )


async def test_graphiql_is_not_served_in_production(
    production: Settings, serve_app: ServeApp, make_key: Callable[..., Any]
) -> None:
    key = await make_key(Role.ADMIN)
    async with serve_app(production) as url:
        async with httpx.AsyncClient(base_url=url) as browser:
            assert_unauthenticated(await browser.get("/graphql", headers={"Accept": "text/html"}))
        async with client(url, key) as admin:
            page = await admin.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert "graphiql" not in page.text.lower()
    assert error_codes(page.json()) == ["NOT_FOUND"]


async def test_last_use_is_recorded_at_most_once_a_minute(
    services: Services, make_key: Callable[..., Any]
) -> None:
    key = await make_key(Role.READER, "counted")
    store = ApiKeyStore(services.db)
    before = await store.get("counted")
    assert before is not None
    assert before.last_used_at is None

    assert await store.authenticate(key) is not None
    first = await store.get("counted")
    assert first is not None
    assert first.last_used_at is not None

    assert await store.authenticate(key) is not None
    second = await store.get("counted")
    assert second is not None
    assert second.last_used_at == first.last_used_at

    await services.db["api_keys"].update_one(
        {"name": "counted"}, {"$set": {"last_used_at": first.last_used_at.replace(year=2020)}}
    )
    assert await store.authenticate(key) is not None
    third = await store.get("counted")
    assert third is not None
    assert third.last_used_at is not None
    assert third.last_used_at >= first.last_used_at


async def test_keys_cannot_be_checked_without_mongodb(settings: Settings) -> None:
    """An unreachable store is a 503 the client may retry, not a 401 or a hang."""
    unreachable = f"mongodb://127.0.0.1:{free_port()}/?serverSelectionTimeoutMS=300"
    broken = settings.model_copy(update={"mongodb_url": unreachable})
    async with running_server(create_app(broken)) as url:
        await poll_readiness(url, until="redis")
        async with client(url, TEST_API_KEY) as http:
            response = await http.post("/graphql", json=QUERY)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert error_codes(response.json()) == ["UNAVAILABLE"]


async def test_unknown_keys_are_throttled_per_address_without_a_lookup(
    settings: Settings, serve_app: ServeApp, services: Services
) -> None:
    """After `API_AUTH_FAILURE_LIMIT` unknown keys from an address, the address is answered
    429 from Redis alone until its window ends: no lookup in MongoDB, not even for a key."""
    strict = settings.model_copy(update={"api_auth_failure_limit": 3})
    async with serve_app(strict) as url:
        answers = []
        for attempt in range(5):
            async with client(url, f"gw_guess_{attempt:040d}") as guesser:
                answers.append(await guesser.post("/graphql", json={"query": "{ __typename }"}))
        async with client(url, TEST_API_KEY) as same_address:
            known = await same_address.post("/graphql", json={"query": "{ __typename }"})
    assert [a.status_code for a in answers] == [401, 401, 401, 429, 429]
    refused = answers[3]
    assert error_codes(refused.json()) == ["RATE_LIMITED"]
    assert "More than 3 unknown API keys came from this address" in refused.text
    assert 1 <= int(refused.headers["retry-after"]) <= strict.api_rate_window_seconds
    assert known.status_code == 429
    assert int(await services.redis.get("gateway:authfail:127.0.0.1")) == 3


def test_a_dev_key_shorter_than_24_characters_is_refused() -> None:
    with pytest.raises(ConfigurationError) as refused:
        load_settings(_env_file=None, gateway_dev_api_key="gw_dev_short")
    assert str(refused.value) == "GATEWAY_DEV_API_KEY: must be at least 24 characters"
    assert load_settings(_env_file=None, gateway_dev_api_key="x" * 24).gateway_dev_api_key

"""The per-key rate limit lives in Redis: replicas share one budget per key."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from gateway.app import create_app
from gateway.asgi_server import running_server
from gateway.auth.keys import ApiKeyStore
from gateway.auth.roles import Role
from gateway.processes import free_port
from gateway.security.ratelimit import KEY_PREFIX
from gateway.services import Services
from gateway.settings import Settings
from tests.security.conftest import PROBE_CALLS, ServeApp, client, error_codes, probe_schema
from tests.support import poll_readiness

QUERY = {"query": "{ probe { value } }"}


async def test_two_replicas_share_the_budget_of_a_key(
    settings: Settings,
    serve_app: ServeApp,
    services: Services,
    make_key: Callable[..., Any],
) -> None:
    limited = settings.model_copy(update={"api_rate_limit": 3, "api_rate_window_seconds": 60})
    key = await make_key(Role.READER, "script")
    other = await make_key(Role.READER, "other")
    caller = await ApiKeyStore(services.db).authenticate(key)
    assert caller is not None

    async with serve_app(limited) as first_url, serve_app(limited) as second_url:
        async with client(first_url, key) as first, client(second_url, key) as second:
            answers = [
                await first.post("/graphql", json=QUERY),
                await second.post("/graphql", json=QUERY),
                await first.post("/graphql", json=QUERY),
            ]
            assert [a.status_code for a in answers] == [200, 200, 200]
            refused = await second.post("/graphql", json=QUERY)
            refused_again = await first.post("/graphql", json=QUERY)
        async with client(second_url, other) as fresh:
            other_answer = await fresh.post("/graphql", json=QUERY)

    assert PROBE_CALLS.count("probe") == 4  # three of `script`, one of `other`
    for response in (refused, refused_again):
        assert response.status_code == 429
        assert 1 <= int(response.headers["retry-after"]) <= 60
        body = response.json()
        assert error_codes(body) == ["RATE_LIMITED"]
        assert "'script' used more than 3 points in 60s" in body["errors"][0]["message"]
    assert other_answer.status_code == 200

    counter = KEY_PREFIX + caller.key_id
    assert int(await services.redis.get(counter)) == 5
    assert 0 < await services.redis.pttl(counter) <= 60_000


async def test_a_limit_of_zero_turns_it_off(
    settings: Settings, serve_app: ServeApp, services: Services, make_key: Callable[..., Any]
) -> None:
    off = settings.model_copy(update={"api_rate_limit": 0})
    key = await make_key(Role.READER)
    async with serve_app(off) as url, client(url, key) as reader:
        for _ in range(5):
            assert (await reader.post("/graphql", json=QUERY)).status_code == 200
    assert await services.redis.keys(KEY_PREFIX + "*") == []


async def test_without_redis_requests_pass_and_the_log_says_why(
    settings: Settings,
    make_key: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Redis carries background work; its outage must not stop reads (every other limit
    still holds), and the missing rate limit is reported."""
    key = await make_key(Role.READER)
    broken = settings.model_copy(
        update={"redis_url": f"redis://127.0.0.1:{free_port()}/0", "api_rate_limit": 1}
    )
    caplog.set_level(logging.WARNING, logger="gateway.security.gate")
    async with running_server(create_app(broken, schema=probe_schema(broken))) as url:
        await poll_readiness(url, until="mongodb")
        async with client(url, key) as reader:
            answers = [await reader.post("/graphql", json=QUERY) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert "rate limit not applied: Redis failed" in caplog.text

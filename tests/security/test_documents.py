"""Hostile documents: what a document may cost is known, and bounded, before anything runs.

A fragment that spreads another twice, thirty levels deep, stands for a billion fields; a
batch of aliased pages stands for hundreds of backend requests. Both are refused in time
linear in their size, and the API answers everyone else meanwhile."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from gateway.auth.roles import Role
from gateway.processes import free_port, spawn
from gateway.security.ratelimit import KEY_PREFIX
from gateway.services import Services
from gateway.settings import Settings
from tests.conftest import TEST_API_KEY
from tests.security.conftest import PROBE_CALLS, ServeApp, client, error_codes

AUTH = {"Authorization": f"Bearer {TEST_API_KEY}"}


def fragment_bomb(levels: int) -> str:
    """876 bytes at 21 levels: each fragment spreads the next one twice."""
    parts = ["query { ...F0 }"]
    parts += [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    parts.append(f"fragment F{levels} on Query {{ __typename }}")
    return " ".join(parts)


@pytest.fixture
async def served_api(settings: Settings) -> AsyncIterator[str]:
    """`gateway serve` in a process of its own: a request that held its event loop would
    hold nothing of the test's, so the test can see it."""
    port = free_port()
    env = {
        "GATEWAY_ENV": "dev",
        "GATEWAY_PORT": str(port),
        "GATEWAY_DEV_API_KEY": TEST_API_KEY,
        "MONGODB_URL": str(settings.mongodb_url),
        "MONGODB_DATABASE": settings.mongodb_database,
        "REDIS_URL": str(settings.redis_url),
        "GATEWAY_LOG_LEVEL": "warning",
    }
    api = spawn("API", [sys.executable, "-m", "gateway", "serve"], env=env, port=port)
    try:
        await asyncio.to_thread(api.wait_listening, 60)
        yield f"http://127.0.0.1:{port}"
    finally:
        api.stop()


async def test_a_fragment_bomb_is_refused_while_healthz_answers(served_api: str) -> None:
    bomb = fragment_bomb(30)
    async with httpx.AsyncClient(base_url=served_api, timeout=30) as http:
        requests = [
            http.post("/graphql", json={"query": bomb}, headers=AUTH),
            http.get("/graphql", params={"query": bomb}, headers=AUTH),
            http.post("/graphql", json={"query": bomb}, headers=AUTH),
        ]
        # /healthz is asked while the bombs are in flight, and every answer must come back
        # long before a doubling walk of thirty levels would end.
        *refused, health = await asyncio.wait_for(
            asyncio.gather(*requests, http.get("/healthz")), 30
        )
        assert health.status_code == 200
        assert health.json() == {"status": "ok"}
        for answer in refused:
            body = answer.json()
            assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
            assert f"selects {2**30} fields once its fragments are written out" in str(body)
        within = await http.post("/graphql", json={"query": fragment_bomb(5)}, headers=AUTH)
        assert within.json() == {"data": {"__typename": "Query"}}


def aliased_pages(aliases: int) -> str:
    """`aliases` pages of 200 probes, each with two hops."""
    pages = " ".join(
        f"a{i}: probes(first: 200) {{ probe {{ probe {{ value }} }} }}" for i in range(aliases)
    )
    return "{ " + pages + " }"


async def test_a_batch_over_the_cost_limit_runs_nothing(
    settings: Settings, serve_app: ServeApp
) -> None:
    batch = [{"query": aliased_pages(30)}] * settings.graphql_max_batch_operations
    async with serve_app(settings) as url, client(url, TEST_API_KEY) as http:
        response = await http.post("/graphql", json=batch)
        answers = response.json()
        single = (await http.post("/graphql", json={"query": aliased_pages(30)})).json()
    # 600 objects per page (200 probes, 200 x 2 hops), 30 aliases, 10 operations
    assert len(answers) == len(batch)
    for answer in answers:
        (error,) = answer["errors"]
        assert error["extensions"] == {
            "code": "COST_LIMIT_EXCEEDED",
            "cost": 180_000,
            "maxCost": settings.graphql_max_cost,
        }
    assert "at most 50000" in answers[0]["errors"][0]["message"]
    assert "errors" not in single, single
    assert PROBE_CALLS.count("probes") == 30  # the single operation within the limit ran
    assert len(single["data"]["a0"]) == 200


async def test_the_rate_limit_is_charged_by_cost(
    settings: Settings, serve_app: ServeApp, services: Services, make_key: Callable[..., Any]
) -> None:
    limited = settings.model_copy(update={"api_rate_limit": 400})
    key = await make_key(Role.READER, "pages")
    async with serve_app(limited) as url, client(url, key) as http:
        document = {"query": aliased_pages(30)}  # 18,000 objects: 180 points
        answers = [await http.post("/graphql", json=document) for _ in range(3)]
        cheap = await http.post("/graphql", json={"query": "{ probe { value } }"})
    assert [a.status_code for a in answers] == [200, 200, 429]
    refused = answers[2].json()
    assert error_codes(refused) == ["RATE_LIMITED"]
    assert "this request costs 180" in refused["errors"][0]["message"]
    assert 1 <= int(answers[2].headers["retry-after"]) <= limited.api_rate_window_seconds
    assert PROBE_CALLS.count("probes") == 60  # two pages of 30 aliases ran, not the third
    assert cheap.status_code == 429  # the refused request's points count too: 540 of 400
    counters = await services.redis.keys(KEY_PREFIX + "*")
    assert [int(await services.redis.get(c)) for c in counters] == [541]


async def test_several_operations_need_an_operation_name(probe: httpx.AsyncClient) -> None:
    document = "query A { probe { value } } mutation B { remember }"
    refused = await probe.post("/graphql", json={"query": document})
    assert refused.status_code == 400
    body = refused.json()
    assert error_codes(body) == ["OPERATION_NAME_REQUIRED"]
    assert "holds 2 operations (A, B)" in body["errors"][0]["message"]
    assert PROBE_CALLS == []

    chosen = await probe.post("/graphql", json={"query": document, "operationName": "A"})
    assert chosen.json() == {"data": {"probe": {"value": 1}}}


@pytest.fixture
async def probe(settings: Settings, serve_app: ServeApp) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_app(settings) as url, client(url, TEST_API_KEY) as http:
        yield http


SUGGESTING = [
    ("{ probes(frist: 1) { value } }", {}),  # an argument
    ("{ ...F } fragment F on Prob { value }", {}),  # a type
    ("{ couplings(state: COUPLD) { edges { cursor } } }", {}),  # an enum value
    ("query ($s: CouplingState) { couplings(state: $s) { edges { cursor } } }", {"s": "COUPLD"}),
    ('mutation { storeCredential(input: {nme: "a", clientSecret: "b", note: "c"}) { name } }', {}),
    ("{ prob { value } }", {}),  # a field
]


async def test_production_suggests_no_names(
    production: Settings,
    serve_app: ServeApp,
    make_key: Callable[..., Any],
    probe: httpx.AsyncClient,
) -> None:
    dev = [
        (await probe.post("/graphql", json={"query": q, "variables": v})).json()
        for q, v in SUGGESTING
    ]
    assert all("Did you mean" in str(body["errors"]) for body in dev), dev

    key = await make_key(Role.ADMIN)
    async with serve_app(production) as url, client(url, key) as admin:
        answers = [
            (await admin.post("/graphql", json={"query": q, "variables": v})).json()
            for q, v in SUGGESTING
        ]
    for body in answers:
        assert body["errors"], body
        assert "Did you mean" not in str(body)
        assert "COUPLED" not in str(body)
    assert PROBE_CALLS == []

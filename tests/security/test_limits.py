"""A hostile corpus: each request is refused before anything runs.

The probe fields of the test schema count their calls; every refusal below must leave the
count at zero, and the same document within the limits must run (so the test would notice a
probe that never counts)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import orjson
import pytest
from starlette.types import Message

from gateway.auth.keys import DevKeyBootstrap
from gateway.auth.roles import Role
from gateway.security.gate import GraphQLGate
from gateway.services import Services
from gateway.settings import Settings
from schema.view import GatewayGraphQL
from tests.conftest import TEST_API_KEY
from tests.security.conftest import PROBE_CALLS, ServeApp, client, error_codes, probe_schema

TEN_MEGABYTES = 10 * 1024 * 1024


@pytest.fixture
async def probe(settings: Settings, serve_app: ServeApp) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_app(settings) as url, client(url, TEST_API_KEY) as http:
        yield http


def nested(depth: int) -> str:
    return "{ " + "probe { " * depth + "value" + " }" * depth + " }"


def aliased(count: int) -> str:
    return "{ " + " ".join(f"a{i}: probe {{ value }}" for i in range(count)) + " }"


async def post(http: httpx.AsyncClient, document: str, **variables: Any) -> httpx.Response:
    return await http.post("/graphql", json={"query": document, "variables": variables})


async def test_the_probe_counts_when_it_runs(probe: httpx.AsyncClient) -> None:
    response = await post(probe, nested(3))
    assert response.json()["data"]["probe"]["probe"]["probe"]["value"] == 1
    assert PROBE_CALLS.count("value") == 1


async def test_depth_100_is_refused(probe: httpx.AsyncClient, settings: Settings) -> None:
    response = await post(probe, nested(100))
    body = response.json()
    assert body.get("data") is None
    assert f"exceeds maximum operation depth of {settings.graphql_max_depth}" in str(body)
    assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert PROBE_CALLS == []

    response = await post(probe, nested(settings.graphql_max_depth - 1))
    assert "errors" not in response.json()


async def test_10000_aliases_are_refused_while_parsing(
    probe: httpx.AsyncClient, settings: Settings
) -> None:
    response = await post(probe, aliased(10_000))
    body = response.json()
    assert f"more than {settings.graphql_max_tokens} tokens" in body["errors"][0]["message"]
    assert error_codes(body) == ["GRAPHQL_PARSE_FAILED"]
    assert PROBE_CALLS == []


async def test_aliases_above_the_limit_are_refused(
    probe: httpx.AsyncClient, settings: Settings
) -> None:
    limit = settings.graphql_max_aliases
    body = (await post(probe, aliased(limit + 1))).json()
    assert f"{limit + 1} aliases found. Allowed: {limit}" in body["errors"][0]["message"]
    assert PROBE_CALLS == []

    assert "errors" not in (await post(probe, aliased(limit))).json()


async def test_1000_batched_operations_are_refused(
    probe: httpx.AsyncClient, settings: Settings
) -> None:
    batch = [{"query": "{ probe { value } }"}] * 1000
    response = await probe.post("/graphql", json=batch)
    assert response.status_code == 400
    body = response.json()
    assert error_codes(body) == ["BAD_REQUEST"]
    assert "Too many operations" in body["errors"][0]["message"]
    assert PROBE_CALLS == []

    allowed = [{"query": "{ probe { value } }"}] * settings.graphql_max_batch_operations
    answers = (await probe.post("/graphql", json=allowed)).json()
    assert [answer["data"]["probe"]["value"] for answer in answers] == [1] * len(allowed)


def padded_body(size: int) -> bytes:
    body = orjson.dumps({"query": "{ probe { value } }", "padding": ""})
    return body[:-2] + b"x" * (size - len(body)) + b'"}'


async def _send_head(url: str, head: str) -> bytes:
    """Send a request head over a raw socket (no body) and return the response head."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(head.encode())
        await writer.drain()
        return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    finally:
        writer.close()


async def test_a_10_megabyte_body_is_refused_from_its_declared_length(
    settings: Settings, serve_app: ServeApp
) -> None:
    body = padded_body(TEN_MEGABYTES)
    async with serve_app(settings) as url:
        head = await _send_head(
            url,
            "POST /graphql HTTP/1.1\r\nHost: gateway\r\n"
            f"Authorization: Bearer {TEST_API_KEY}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n",
        )
    assert head.startswith(b"HTTP/1.1 413 ")
    assert PROBE_CALLS == []


async def test_a_streamed_body_is_cut_off_at_the_limit(
    settings: Settings, services: Services
) -> None:
    """A body without a declared length is refused once it passes the limit: the gate pulls
    no more than the limit and one chunk from the client, never the whole 10 MB."""
    body = padded_body(TEN_MEGABYTES)
    step = 64 * 1024
    pulled = 0

    async def receive() -> Message:
        nonlocal pulled
        chunk = body[pulled : pulled + step]
        pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": pulled < len(body)}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    view = GatewayGraphQL(probe_schema(settings), graphql_ide=None, settings=settings)
    gate = GraphQLGate(view, settings, dev_key=DevKeyBootstrap(TEST_API_KEY))
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "query_string": b"",
        "headers": [
            (b"authorization", f"Bearer {TEST_API_KEY}".encode()),
            (b"content-type", b"application/json"),
            (b"transfer-encoding", b"chunked"),
        ],
        "state": {"services": services},
    }
    await gate(scope, receive, send)
    assert sent[0]["status"] == 413
    assert error_codes(orjson.loads(sent[1]["body"])) == ["REQUEST_TOO_LARGE"]
    assert pulled <= settings.graphql_max_body_bytes + step
    assert PROBE_CALLS == []

    body, pulled, sent = padded_body(settings.graphql_max_body_bytes - 100), 0, []
    await gate(scope, receive, send)
    assert sent[0]["status"] == 200
    assert orjson.loads(sent[1]["body"]) == {"data": {"probe": {"value": 1}}}


@pytest.mark.parametrize(
    "document",
    [
        "{ __schema { types { name } } }",
        '{ __type(name: "Query") { fields { name } } }',
        "{ probe { value } __schema { queryType { name } } }",
    ],
)
async def test_introspection_is_refused_in_production(
    production: Settings,
    serve_app: ServeApp,
    make_key: Callable[..., Any],
    document: str,
) -> None:
    key = await make_key(Role.ADMIN)
    async with serve_app(production) as url, client(url, key) as admin:
        body = (await post(admin, document)).json()
    assert body.get("data") is None
    assert "introspection has been disabled" in body["errors"][0]["message"]
    assert PROBE_CALLS == []


async def test_introspection_answers_in_dev(probe: httpx.AsyncClient) -> None:
    body = (await post(probe, "{ __schema { queryType { name } } }")).json()
    assert body == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


async def test_field_suggestions_are_off_in_production_and_on_in_dev(
    production: Settings,
    serve_app: ServeApp,
    make_key: Callable[..., Any],
    probe: httpx.AsyncClient,
) -> None:
    document = "{ prob { value } }"
    dev_message = (await post(probe, document)).json()["errors"][0]["message"]
    assert "Did you mean 'probe'" in dev_message

    key = await make_key(Role.ADMIN)
    async with serve_app(production) as url, client(url, key) as admin:
        message = (await post(admin, document)).json()["errors"][0]["message"]
    assert "Cannot query field 'prob'" in message
    assert "Did you mean" not in message


async def test_page_sizes_above_the_setting_are_refused_before_resolving(
    settings: Settings, serve_app: ServeApp
) -> None:
    small = settings.model_copy(update={"graphql_max_page_size": 5})
    async with serve_app(small) as url, client(url, TEST_API_KEY) as http:
        literal = (await post(http, "{ probes(first: 6) { value } }")).json()
        variable = (await post(http, "query ($n: Int) { probes(first: $n) { value } }", n=6)).json()
        log_page = (
            await post(
                http, "query ($n: Int) { integrationLog(first: $n) { edges { cursor } } }", n=6
            )
        ).json()
        within = (await post(http, "query ($n: Int) { probes(first: $n) { value } }", n=5)).json()
    for body in (literal, variable, log_page):
        assert body.get("data") is None
        assert body["errors"][0]["message"] == "first: must be at most 5"
        assert body["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": ["first"]}
    assert PROBE_CALLS.count("probes") == 1  # only the request within the limit ran
    assert len(within["data"]["probes"]) == 5

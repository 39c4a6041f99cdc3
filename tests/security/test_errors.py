"""What a client sees of an error: ours to show as they are, faults of ours masked with an id
the server log repeats, with the traceback."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from gateway.auth.roles import Role
from gateway.settings import Settings
from schema.extensions.masking import INTERNAL_MESSAGE
from tests.conftest import TEST_API_KEY
from tests.security.conftest import PROBE_CALLS, ServeApp, client, error_codes


async def test_unexpected_errors_are_masked_in_production_and_logged_with_their_id(
    production: Settings,
    serve_app: ServeApp,
    make_key: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    key = await make_key(Role.READER)
    caplog.set_level(logging.ERROR, logger="schema.extensions.masking")
    async with serve_app(production) as url, client(url, key) as reader:
        body = (await reader.post("/graphql", json={"query": "{ boom probe { value } }"})).json()
    assert PROBE_CALLS.count("boom") == 1
    (error,) = body["errors"]
    assert error["message"] == INTERNAL_MESSAGE
    assert error["path"] == ["boom"]
    assert error["extensions"]["code"] == "INTERNAL"
    error_id = error["extensions"]["errorId"]
    assert set(error["extensions"]) == {"code", "errorId"}
    assert "secret-path" not in str(body)
    assert body["data"] is None or body["data"].get("boom") is None

    logged = [record for record in caplog.records if error_id in record.getMessage()]
    assert len(logged) == 1
    assert logged[0].exc_info is not None
    text = caplog.text
    assert "RuntimeError: the ledger at /srv/secret-path exploded" in text
    assert "Traceback" in text


async def test_dev_shows_the_message_but_still_gives_an_id(
    settings: Settings, serve_app: ServeApp
) -> None:
    async with serve_app(settings) as url, client(url, TEST_API_KEY) as http:
        body = (await http.post("/graphql", json={"query": "{ boom }"})).json()
    (error,) = body["errors"]
    assert error["message"] == "the ledger at /srv/secret-path exploded"
    assert error["extensions"]["code"] == "INTERNAL"
    assert len(error["extensions"]["errorId"]) == 32


@pytest.mark.parametrize(
    "case",
    [
        ("{ apiKeys { name } }", "FORBIDDEN", "needs the admin role"),
        ("{ integrationLog { edges { cursor } } }", "FORBIDDEN", "needs the integrator role"),
        ("{ probes(first: 1000) { value } }", "INVALID_INPUT", "first: must be at most"),
        ("{ probe { value ", "GRAPHQL_PARSE_FAILED", "Syntax Error"),
        ("{ probe { nope } }", "GRAPHQL_VALIDATION_FAILED", "Cannot query field 'nope'"),
    ],
)
async def test_errors_that_are_ours_to_show_pass_through_in_production(
    production: Settings,
    serve_app: ServeApp,
    make_key: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
    case: tuple[str, str, str],
) -> None:
    document, code, message = case
    key = await make_key(Role.READER)
    caplog.set_level(logging.ERROR)
    async with serve_app(production) as url, client(url, key) as reader:
        body = (await reader.post("/graphql", json={"query": document})).json()
    assert error_codes(body) == [code]
    assert message in body["errors"][0]["message"]
    assert "errorId" not in body["errors"][0]["extensions"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_variables_of_the_wrong_shape_are_the_clients_fault(
    production: Settings, serve_app: ServeApp, make_key: Callable[..., Any]
) -> None:
    key = await make_key(Role.ADMIN)
    document = "query ($id: ID!) { node(id: $id) { id } }"
    async with serve_app(production) as url, client(url, key) as admin:
        body = (
            await admin.post(
                "/graphql", json={"query": document, "variables": {"id": '{"$gt": ""}'}}
            )
        ).json()
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "INVALID_INPUT"}
    assert error["message"].startswith("Value cannot represent a GlobalID")

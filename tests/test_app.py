"""The API over real HTTP: health, readiness and GraphQL as clients use them."""

from __future__ import annotations

import httpx
import pytest

from gateway.app import create_app
from gateway.asgi_server import running_server
from gateway.processes import free_port
from gateway.settings import Settings
from tests.support import poll_readiness


async def test_healthz_answers(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_both_dependencies(http: httpx.AsyncClient) -> None:
    response = await http.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"mongodb": "ok", "redis": "ok"}


async def test_readyz_names_the_dependency_that_is_down(settings: Settings) -> None:
    unreachable = f"redis://127.0.0.1:{free_port()}/0"
    broken = settings.model_copy(update={"redis_url": unreachable})
    async with running_server(create_app(broken)) as url:
        response = await poll_readiness(url, until="mongodb")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["redis"]
    assert body["checks"]["mongodb"] == "ok"


async def test_a_query_reaches_mongodb_and_redis(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql", json={"query": "{ systemInfo { version environment mongo redis } }"}
    )
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body
    info = body["data"]["systemInfo"]
    assert info["environment"] == "dev"
    assert info["mongo"][0].isdigit()
    assert info["redis"][0].isdigit()


async def test_queries_work_over_get(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", params={"query": "{ systemInfo { version } }"})
    assert response.status_code == 200
    assert response.json()["data"]["systemInfo"]["version"]


async def test_graphiql_is_served_to_browsers_in_dev(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("{ systemInfo { version ", "Syntax Error"),
        ("{ systemInfo { nope } }", "Cannot query field 'nope'"),
    ],
)
async def test_malformed_graphql_names_the_problem(
    http: httpx.AsyncClient, document: str, expected: str
) -> None:
    response = await http.post("/graphql", json={"query": document})
    assert response.status_code in (200, 400)
    errors = response.json()["errors"]
    assert expected in errors[0]["message"]


async def test_a_wrong_variable_type_is_refused(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql",
        json={
            "query": "query ($n: Int!) { systemInfo { version } }",
            "variables": {"n": "not a number"},
        },
    )
    errors = response.json()["errors"]
    assert "Variable '$n'" in errors[0]["message"]

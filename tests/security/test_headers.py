"""Security headers on API answers and on the GraphiQL page; CORS off unless configured."""

from __future__ import annotations

import base64
import hashlib
import re

import httpx

from gateway.security.headers import API_POLICY, page_policy
from gateway.settings import Settings
from tests.conftest import TEST_API_KEY
from tests.security.conftest import ServeApp, client

PAGE_ORIGIN = "https://app.example.com"


def assert_common(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"


async def test_api_answers_carry_the_headers(http: httpx.AsyncClient) -> None:
    async with httpx.AsyncClient(base_url=str(http.base_url)) as anonymous:
        refused = await anonymous.post("/graphql", json={})
    assert refused.status_code == 401
    for response in (
        await http.post("/graphql", json={"query": "{ __typename }"}),
        await http.get("/healthz"),
        refused,
    ):
        assert_common(response)
        assert response.headers["content-security-policy"] == API_POLICY


async def test_the_graphiql_page_may_run_only_its_own_scripts(http: httpx.AsyncClient) -> None:
    page = await http.get("/graphql", headers={"Accept": "text/html"})
    assert_common(page)
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    inline = re.findall(r"<script>(.*?)</script>", page.text, re.DOTALL)
    assert inline
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    assert page_policy("<script>alert(1)</script>") != policy


async def test_cors_is_off_by_default(http: httpx.AsyncClient) -> None:
    preflight = await http.options(
        "/graphql",
        headers={"Origin": PAGE_ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    answer = await http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Origin": PAGE_ORIGIN}
    )
    assert "access-control-allow-origin" not in answer.headers


async def test_cors_allows_the_configured_origins_only(
    settings: Settings, serve_app: ServeApp
) -> None:
    allowed = settings.model_copy(update={"api_cors_origins": [PAGE_ORIGIN]})
    async with serve_app(allowed, probe=False) as url, client(url, TEST_API_KEY) as http:
        preflight = await http.options(
            "/graphql",
            headers={
                "Origin": PAGE_ORIGIN,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        stranger = await http.options(
            "/graphql",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        answer = await http.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"Origin": PAGE_ORIGIN}
        )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == PAGE_ORIGIN
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in preflight.headers
    assert stranger.status_code == 400
    assert "access-control-allow-origin" not in stranger.headers
    assert answer.headers["access-control-allow-origin"] == PAGE_ORIGIN


def test_origins_may_be_given_as_a_comma_separated_variable() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        api_cors_origins="https://a.example, https://b.example",
    )
    assert settings.api_cors_origins == ["https://a.example", "https://b.example"]

"""Security headers on API answers and on the GraphiQL page; CORS off unless configured."""

from __future__ import annotations

import re

import httpx

from gateway.security.headers import API_POLICY, PAGE_POLICY
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


async def test_the_pages_may_load_only_the_gateways_own_files(http: httpx.AsyncClient) -> None:
    for path in ("/graphql", "/console"):
        page = await http.get(path, headers={"Accept": "text/html"})
        assert page.status_code == 200
        assert_common(page)
        policy = page.headers["content-security-policy"]
        assert policy == PAGE_POLICY
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        assert directives["default-src"] == "'none'"
        assert directives["script-src"] == "'self'"  # no inline script, no other origin
        assert directives["connect-src"] == "'self'"
        assert directives["frame-ancestors"] == "'none'"
        assert "<script>" not in page.text
        loaded = re.findall(r'<(?:script|link)[^>]*?(?:src|href)="([^"]+)"', page.text)
        assert loaded
        for source in loaded:
            if source == "data:,":  # the empty icon: no request
                continue
            assert source.startswith("/static/"), source
            asset = await http.get(source)
            assert asset.status_code == 200, source
            assert asset.headers["cache-control"] == "no-cache"


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

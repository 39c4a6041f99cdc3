"""GraphQL over HTTP: graphql-http's reference audit against the running gateway, and the
current media type `application/graphql-response+json` with the status codes of the spec.

The audit is an npm package pinned in `tests/http_audit/` and installed there by `npm ci` the
first time (and whenever its lock file changes); without Node.js and npm this test fails."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.conftest import TEST_API_KEY

AUDIT_DIR = Path(__file__).resolve().parents[1] / "http_audit"
GRAPHQL_RESPONSE = "application/graphql-response+json"


def _node_tools() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("the GraphQL-over-HTTP audit needs Node.js and npm on the PATH")
    return node, npm


@pytest.fixture(scope="session")
def audit_command() -> list[str]:
    node, npm = _node_tools()
    installed = AUDIT_DIR / "node_modules" / ".package-lock.json"
    lock = AUDIT_DIR / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=AUDIT_DIR,
            check=True,
            timeout=300,
            capture_output=True,
        )
    return [node, str(AUDIT_DIR / "audit.mjs")]


async def run_audit(command: list[str], url: str) -> list[dict[str, Any]]:
    process = await asyncio.create_subprocess_exec(
        *command,
        env={**os.environ, "GATEWAY_URL": f"{url}/graphql", "GATEWAY_KEY": TEST_API_KEY},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 180)
    assert process.returncode == 0, err.decode()
    report: list[dict[str, Any]] = orjson.loads(out)
    return report


async def test_the_reference_audit_passes_every_must_and_should(
    gateway_url: str, audit_command: list[str]
) -> None:
    """graphql-http fails an audit of a MUST as an error and one of a SHOULD or a MAY as a
    warning; all 61 pass: the 13 MUSTs and the 48 others."""
    report = await run_audit(audit_command, gateway_url)
    must = [a for a in report if a["name"].startswith("MUST")]
    others = [a for a in report if not a["name"].startswith("MUST")]
    failing = [f"{a['id']} {a['name']}: {a['reason']}" for a in report if a["status"] != "ok"]
    passed_must = sum(a["status"] == "ok" for a in must)
    passed = sum(a["status"] == "ok" for a in others)
    print(f"graphql-http audit: MUST {passed_must}/{len(must)}, SHOULD and MAY {passed}/48")
    assert failing == []
    assert (len(must), len(others)) == (13, 48)


async def post(
    http: httpx.AsyncClient, body: object, accept: str = GRAPHQL_RESPONSE
) -> httpx.Response:
    return await http.post(
        "/graphql",
        content=orjson.dumps(body),
        headers={"Content-Type": "application/json", "Accept": accept},
    )


async def test_the_current_media_type_speaks_in_status_codes(http: httpx.AsyncClient) -> None:
    ok = await post(http, {"query": "{ __typename }"})
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert ok.json() == {"data": {"__typename": "Query"}}

    for document in ("{ __typename ", "{ nope }"):
        refused = await post(http, {"query": document})
        assert refused.status_code == 400, document
        assert refused.headers["content-type"].startswith(GRAPHQL_RESPONSE)
        assert "data" not in refused.json()
        assert refused.json()["errors"]


async def test_application_json_stays_the_default(http: httpx.AsyncClient) -> None:
    for accept in ("application/json", "*/*", ""):
        answer = await post(http, {"query": "{ nope }"}, accept=accept)
        assert answer.status_code == 200, accept
        assert answer.headers["content-type"].startswith("application/json")
        assert answer.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


@pytest.mark.parametrize(
    "body", ['"x"', "123", "null", "[1,2]", '[{"query": "{ __typename }"}, 1]']
)
async def test_a_body_that_is_not_an_object_is_a_bad_request(
    http: httpx.AsyncClient, body: str, caplog: pytest.LogCaptureFixture
) -> None:
    response = await http.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    answer = response.json()
    assert answer["errors"][0]["extensions"] == {"code": "BAD_REQUEST"}
    assert "Expected a JSON object" in answer["errors"][0]["message"]
    assert "Traceback" not in caplog.text

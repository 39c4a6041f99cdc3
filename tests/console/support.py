"""Helpers of the console and live-update tests: a worker in a process of its own, configured
from the environment like a deployed one, and GraphQL over HTTP."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from gateway.processes import ChildProcess, spawn
from gateway.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def environment(settings: Settings) -> dict[str, str]:
    """The variables a child process reads to get the same settings (sandbox included)."""
    secret = {
        name: getattr(settings, name).get_secret_value()
        for name in ("crm_client_secret", "bc_client_secret")
        if getattr(settings, name) is not None
    }
    values = {
        "GATEWAY_ENV": settings.gateway_env.value,
        "MONGODB_URL": str(settings.mongodb_url),
        "MONGODB_DATABASE": settings.mongodb_database,
        "REDIS_URL": str(settings.redis_url),
        "CRM_URL": str(settings.crm_url),
        "CRM_TOKEN_URL": str(settings.crm_token_url),
        "CRM_CLIENT_ID": settings.crm_client_id or "",
        "BC_URL": str(settings.bc_url),
        "BC_TOKEN_URL": str(settings.bc_token_url),
        "BC_CLIENT_ID": settings.bc_client_id or "",
        "BC_COMPANY_ID": settings.bc_company_id or "",
        "SYNC_PAGE_SIZE": str(settings.sync_page_size),
        "SCHEDULER_ENABLED": "false",  # only what a test queues runs
    }
    values.update({name.upper(): value for name, value in secret.items()})
    return values


@contextlib.contextmanager
def worker_process(settings: Settings, log_path: Path) -> Iterator[ChildProcess]:
    """`gateway worker` in a process of its own, stopped when the block ends."""
    child = spawn(
        "worker",
        [sys.executable, "-m", "gateway", "worker"],
        env=environment(settings),
        log_path=log_path,
        cwd=ROOT,
    )
    try:
        yield child
    finally:
        child.stop()


async def data(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body.get("errors") is None, body["errors"]
    result: dict[str, Any] = body["data"]
    return result

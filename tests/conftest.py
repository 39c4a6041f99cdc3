"""Test infrastructure: a real MongoDB wire server and a real Redis server for the session.

By default the session starts SecantusDB and Valkey itself (from the `embedded` extra) on free
ports, with data in temporary storage; `MONGODB_URL` / `REDIS_URL` point the suite at real
servers instead. Each test gets its own database and an empty Redis. Children are started so
that they die with the test process, even when the run is interrupted.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from pymongo import AsyncMongoClient, MongoClient
from redis.asyncio import Redis

from gateway.app import create_app
from gateway.asgi_server import running_server
from gateway.embedded import mongo_url, redis_url, start_mongo, start_valkey
from gateway.processes import free_port, spawn
from gateway.services import Services, open_services
from gateway.settings import Settings
from tests.support import poll_readiness
from tests.support_sandbox import SandboxHandle

pytest_plugins = ["tests.connected"]

TEST_API_KEY = "gw_test_admin_key_0123456789"


@pytest.fixture(scope="session")
def mongodb_url() -> Iterator[str]:
    if url := os.environ.get("MONGODB_URL"):
        yield url
        return
    server = start_mongo(None)
    try:
        server.wait_listening(timeout=60)
        yield mongo_url(server)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_url_() -> Iterator[str]:
    if url := os.environ.get("REDIS_URL"):
        yield url
        return
    server = start_valkey(None)
    try:
        server.wait_listening(timeout=30)
        yield redis_url(server)
    finally:
        server.stop()


@pytest.fixture
async def database_name(mongodb_url: str) -> AsyncIterator[str]:
    """A database of this test's own, dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    yield name
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongodb_url)
    try:
        await client.drop_database(name)
    finally:
        await client.close()


@pytest.fixture
async def clean_redis(redis_url_: str) -> str:
    redis: Redis = Redis.from_url(redis_url_)
    try:
        await redis.flushdb()
    finally:
        await redis.aclose()
    return redis_url_


@pytest.fixture
def settings(mongodb_url: str, clean_redis: str, database_name: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        gateway_env="dev",
        mongodb_url=mongodb_url,
        mongodb_database=database_name,
        redis_url=clean_redis,
        gateway_dev_api_key=TEST_API_KEY,
    )


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    async with open_services(settings, wait_for_store=True) as opened:
        yield opened


@pytest.fixture
async def gateway_url(settings: Settings) -> AsyncIterator[str]:
    """The gateway's API served over real TCP, with its own lifespan and clients, ready."""
    async with running_server(create_app(settings)) as url:
        await poll_readiness(url)
        yield url


@pytest.fixture
async def http(gateway_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=gateway_url, headers={"Authorization": f"Bearer {TEST_API_KEY}"}, timeout=30
    ) as client:
        yield client


SANDBOX_CLIENT_ID = "sandbox-test-client"
SANDBOX_CLIENT_SECRET = "sandbox-test-secret"  # a local emulator's credential


@pytest.fixture(scope="session")
def sandbox_server(
    mongodb_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SandboxHandle]:
    """`python -m sandbox serve` as a child process on a free port, with databases of its own
    on the session's MongoDB; see `tests/support_sandbox.py`."""
    port = free_port()
    prefix = f"sandbox_{uuid.uuid4().hex[:10]}"
    child = spawn(
        "sandbox",
        [
            sys.executable,
            "-m",
            "sandbox",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--mongodb-url",
            mongodb_url,
            "--client-id",
            SANDBOX_CLIENT_ID,
            "--database-prefix",
            prefix,
        ],
        env={"SANDBOX_CLIENT_SECRET": SANDBOX_CLIENT_SECRET},
        port=port,
        log_path=tmp_path_factory.mktemp("sandbox") / "sandbox.log",
    )
    try:
        child.wait_listening(timeout=120)
        base = f"http://127.0.0.1:{port}"
        info = httpx.get(f"{base}/_sandbox/", timeout=30).json()
        yield SandboxHandle.at(base, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, info["company_id"])
    finally:
        child.stop()
        client: MongoClient[dict[str, object]] = MongoClient(mongodb_url)
        try:
            for suffix in ("dataverse", "bc", "projectserver"):
                client.drop_database(f"{prefix}_{suffix}")
        finally:
            client.close()


@pytest.fixture
async def sandbox(sandbox_server: SandboxHandle) -> SandboxHandle:
    """The session's sandbox, reset: only the default company and reference data."""
    await sandbox_server.reset()
    return sandbox_server

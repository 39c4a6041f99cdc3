"""Test infrastructure: a real MongoDB wire server and a real Redis server for the session.

By default the session starts SecantusDB and Valkey itself (from the `embedded` extra) on free
ports, with data in temporary storage; `MONGODB_URL` / `REDIS_URL` point the suite at real
servers instead. Each test gets its own database and an empty Redis. Children are started so
that they die with the test process, even when the run is interrupted.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from pymongo import AsyncMongoClient
from redis.asyncio import Redis

from gateway.app import create_app
from gateway.asgi_server import running_server
from gateway.embedded import mongo_url, redis_url, start_mongo, start_valkey
from gateway.services import Services, open_services
from gateway.settings import Settings
from tests.support import poll_readiness

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

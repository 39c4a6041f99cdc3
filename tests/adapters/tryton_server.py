"""A live trytond for the tests: one per session, serving a copy of the cached template.

The template (see `tests.adapters.tryton_template`) is built once per machine; each session
copies its SQLite file into a temporary directory and serves it with `trytond` on a free port,
as a child process that dies with the test process.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson
import pytest
from pydantic import SecretStr

from adapters.tryton import TrytonConfig, TrytonConnector
from gateway.processes import ChildProcess, ProcessFailedError, free_port, spawn
from gateway.settings import ErpKind, Settings
from tests.adapters.tryton_template import (
    ADMIN_LOGIN,
    ADMIN_PASSWORD,
    DATABASE,
    ensure_template,
    tryton_bin,
    write_config,
)
from tests.support import eventually_sync


@dataclass(frozen=True, slots=True)
class TrytonServer:
    """Where the session's trytond listens and how to log in."""

    url: str
    database: str
    user: str
    password: str
    log_path: Path


def _wait_for_rpc(url: str, child: ChildProcess, timeout: float = 60.0) -> None:
    """trytond listens before it has loaded its modules: wait until it answers a call."""
    payload = {"id": 0, "method": "common.server.version", "params": []}

    def answers() -> bool:
        if not child.running:
            raise ProcessFailedError(f"trytond exited early:\n{child.log_tail()}")
        with contextlib.suppress(httpx.TransportError):
            return httpx.post(f"{url}/rpc/", json=payload, timeout=5).status_code < 500
        return False

    eventually_sync(answers, timeout=timeout, what="trytond answering a call")


@contextlib.contextmanager
def running_trytond(workdir: Path) -> Iterator[TrytonServer]:
    """A copy of the template served by a trytond child process."""
    template = ensure_template()
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, workdir / f"{DATABASE}.sqlite")
    port = free_port()
    config = write_config(workdir, port)
    log_path = workdir / "trytond.log"
    child = spawn(
        "trytond",
        [tryton_bin("trytond"), "-c", str(config), "-d", DATABASE],
        log_path=log_path,
        port=port,
    )
    try:
        child.wait_listening(timeout=60)
        url = f"http://127.0.0.1:{port}"
        _wait_for_rpc(url, child)
        yield TrytonServer(url, DATABASE, ADMIN_LOGIN, ADMIN_PASSWORD, log_path)
    finally:
        child.stop()


def gateway_settings(settings: Settings, server: TrytonServer, **extra: object) -> Settings:
    """`settings` with the session's trytond as the gateway's ERP."""
    return settings.model_copy(
        update={
            "erp": ErpKind.TRYTON,
            "tryton_url": server.url,
            "tryton_database": server.database,
            "tryton_user": server.user,
            "tryton_password": SecretStr(server.password),
            **extra,
        }
    )


@pytest.fixture(scope="session")
def tryton_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TrytonServer]:
    with running_trytond(tmp_path_factory.mktemp("trytond")) as server:
        yield server


@dataclass
class LiveTryton:
    """A connector to the session's trytond, and what went over the wire: each JSON-RPC
    method called and the Authorization header it carried."""

    connector: TrytonConnector
    calls: list[tuple[str, str | None]] = field(default_factory=list)

    @property
    def methods(self) -> list[str]:
        return [method for method, _ in self.calls]

    def count(self, method: str) -> int:
        return self.methods.count(method)


@contextlib.asynccontextmanager
async def live_connector(
    server: TrytonServer,
    *,
    user: str | None = None,
    password: str | None = None,
    batch_size: int = 200,
) -> AsyncIterator[LiveTryton]:
    live: LiveTryton

    async def record(request: httpx.Request) -> None:
        method = orjson.loads(request.content).get("method", "")
        live.calls.append((method, request.headers.get("Authorization")))

    async with httpx.AsyncClient(event_hooks={"request": [record]}) as client:
        config = TrytonConfig(
            url=server.url,
            database=server.database,
            user=user or server.user,
            password=password or server.password,
            batch_size=batch_size,
        )
        live = LiveTryton(TrytonConnector(config, client))
        try:
            yield live
        finally:
            await live.connector.aclose()


@pytest.fixture
async def tryton(tryton_server: TrytonServer) -> AsyncIterator[LiveTryton]:
    async with live_connector(tryton_server) as live:
        yield live

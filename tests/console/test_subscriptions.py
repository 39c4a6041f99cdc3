"""GraphQL subscriptions over WebSocket (graphql-transport-ws): a client follows a run carried
out by a worker in another process, from queued to its end; a socket without a valid key is
refused before any operation."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from gateway.auth.roles import Role
from gateway.settings import Settings
from tests.console.support import data, worker_process

PROTOCOL = "graphql-transport-ws"
RUN = "id status progress inserted modified failed"
START = """mutation ($input: RunFullSynchronizationInput!) { runFullSynchronization(input: $input) {
  syncRun { id status } userErrors { message } } }"""


def socket_url(http_url: str) -> str:
    return http_url.replace("http://", "ws://") + "/graphql"


async def receive(socket: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await socket.recv(decode=True))
    return message


async def opened(url: str, key: str) -> ClientConnection:
    socket = await connect(socket_url(url), subprotocols=[PROTOCOL])  # type: ignore[list-item]
    await socket.send(
        json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {key}"}})
    )
    ack = await receive(socket)
    assert ack["type"] == "connection_ack", ack
    assert ack["payload"]["role"] == "reader"
    return socket


async def subscribe(socket: ClientConnection, ident: str, query: str, **variables: Any) -> None:
    payload = {"query": query, "variables": variables}
    await socket.send(json.dumps({"id": ident, "type": "subscribe", "payload": payload}))


async def test_a_subscriber_follows_a_run_made_by_a_worker_in_another_process(
    console_url: str,
    console_settings: Settings,
    admin_api: httpx.AsyncClient,
    key_of: Callable[[Role], Awaitable[str]],
    tmp_path: Path,
) -> None:
    started = await data(admin_api, START, input={"mappings": ["CUSTOMER"]})
    run_id = started["runFullSynchronization"]["syncRun"]["id"]
    socket = await opened(console_url, await key_of(Role.READER))
    try:
        await subscribe(
            socket,
            "one",
            f"subscription ($id: ID!) {{ syncRunUpdated(id: $id) {{ {RUN} }} }}",
            id=run_id,
        )
        await subscribe(
            socket, "all", f'subscription {{ syncRunsUpdated(mapping: "CUSTOMER") {{ {RUN} }} }}'
        )
        first = await receive(socket)
        assert first["id"] == "one"
        assert first["payload"]["data"]["syncRunUpdated"]["status"] == "QUEUED"

        followed: list[dict[str, Any]] = []
        listed: list[dict[str, Any]] = []
        with worker_process(console_settings, tmp_path / "worker.log") as worker:
            while True:
                message = await receive(socket)
                if message == {"id": "one", "type": "complete"}:
                    break
                assert message["type"] == "next", message
                if message["id"] == "one":
                    followed.append(message["payload"]["data"]["syncRunUpdated"])
                else:
                    listed.append(message["payload"]["data"]["syncRunsUpdated"])
            assert worker.running, worker.log_tail()
    finally:
        await socket.close()

    statuses = [run["status"] for run in followed]
    assert statuses[-1] == "SUCCEEDED"
    assert "RUNNING" in statuses  # its progress, not only its end
    progress = [run["progress"] for run in followed]
    assert progress == sorted(progress)
    assert progress[-1] == 1.0
    assert followed[-1]["inserted"] + followed[-1]["modified"] > 0
    assert {run["id"] for run in listed} == {run_id}  # the mapping's runs: this one
    assert listed[-1]["status"] in ("RUNNING", "SUCCEEDED")


@pytest.mark.parametrize("key", [None, "gw_unknown_key_000000000000000"])
async def test_a_socket_without_a_valid_key_is_refused(console_url: str, key: str | None) -> None:
    async with connect(socket_url(console_url), subprotocols=[PROTOCOL]) as socket:  # type: ignore[list-item]
        payload = {} if key is None else {"Authorization": f"Bearer {key}"}
        await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
        with pytest.raises(ConnectionClosed) as closed:
            await receive(socket)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403


async def test_a_subscription_before_the_key_is_refused(console_url: str) -> None:
    async with connect(socket_url(console_url), subprotocols=[PROTOCOL]) as socket:  # type: ignore[list-item]
        await subscribe(socket, "1", "subscription { syncRunsUpdated { id } }")
        with pytest.raises(ConnectionClosed) as closed:
            await receive(socket)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401

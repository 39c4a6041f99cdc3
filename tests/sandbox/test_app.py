"""The sandbox as an application: in-process `create_app`, the control plane, the CLI."""

from __future__ import annotations

import uuid

import httpx
from pymongo import AsyncMongoClient
from typer.testing import CliRunner

from gateway.asgi_server import running_server
from gateway.cli import app as gateway_cli
from sandbox.app import create_app
from sandbox.bc.context import DEFAULT_COMPANY_ID
from sandbox.config import SandboxConfig
from tests.support_sandbox import BC_SCOPE, SandboxHandle


async def test_create_app_in_process_seeds_when_empty(mongodb_url: str) -> None:
    prefix = f"inproc_{uuid.uuid4().hex[:8]}"
    config = SandboxConfig(
        mongodb_url=mongodb_url,
        client_id="in-process",
        client_secret="in-process-secret",
        database_prefix=prefix,
        seed_if_empty=True,
        demo_size=5,
    )
    try:
        async with running_server(create_app(config)) as url:
            handle = SandboxHandle.at(url, "in-process", "in-process-secret", DEFAULT_COMPANY_ID)
            token = await handle.token(BC_SCOPE)
            async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as client:
                customers = await client.get(f"{handle.bc_company_api}customers")
                assert len(customers.json()["value"]) == 5
                info = await client.get(f"{url}/_sandbox/")
                assert info.json()["company_id"] == DEFAULT_COMPANY_ID
                assert info.json()["dataverse_api"] == f"{url}/dataverse/api/data/v9.2/"
    finally:
        mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongodb_url)
        for suffix in ("dataverse", "bc"):
            await mongo.drop_database(f"{prefix}_{suffix}")
        await mongo.close()


async def test_reset_removes_data_and_restores_reference_data(
    sandbox: SandboxHandle, bc: httpx.AsyncClient
) -> None:
    await sandbox.seed(accounts=5, seed=2)
    await sandbox.set_faults(latency_ms=1)
    assert (await bc.get("customers")).json()["value"]
    await sandbox.reset()
    assert (await bc.get("customers")).json()["value"] == []
    assert (await bc.get("currencies")).json()["value"]
    created = await bc.post("customers", json={"displayName": "After reset"})
    assert created.json()["number"] == "C00010"  # number series start again
    async with httpx.AsyncClient() as client:
        faults = (await client.get(f"{sandbox.base_url}/_sandbox/faults")).json()
    assert faults["latency_ms"] == 0


def test_gateway_cli_forwards_to_the_sandbox_cli() -> None:
    runner = CliRunner()
    result = runner.invoke(gateway_cli, ["sandbox", "--help"])
    assert result.exit_code == 0
    assert "seed" in result.output
    assert "serve" in result.output
    no_secret = runner.invoke(
        gateway_cli,
        ["sandbox", "serve", "--mongodb-url", "mongodb://127.0.0.1:1", "--client-id", "x"],
        env={"SANDBOX_CLIENT_SECRET": ""},
    )
    assert no_secret.exit_code == 2

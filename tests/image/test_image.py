"""The production path: the image built with Podman from Debian's packages serves the API and
runs a worker against the session's MongoDB, Valkey and sandbox, as a user that is not root,
and keeps nothing of what its build was handed (pip's settings, the CA bundle)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from deploy.image import BuiltImage
from deploy.pip_settings import PIP_CONF_ID, SECRETS_DIR
from deploy.podman import podman
from gateway.sync.currency import LOCAL_CURRENCY_ID
from tests.image.support import (
    Container,
    Deployment,
    ready,
    run_detached,
    run_once,
    saved_layers,
    uids,
)
from tests.support_sandbox import SandboxHandle
from tests.sync.support import PARTIES_ONLY, Systems, gql, wait_for_run

# The cold build (debootstrap, then every dependency) happens within the first test.
pytestmark = [pytest.mark.image, pytest.mark.timeout(1800)]

GATEWAY_UID = 10001
MAPPINGS = "query { tableMappings { name } }"
RUN_FULL = """mutation ($input: RunFullSynchronizationInput!) {
    runFullSynchronization(input: $input) { syncRun { id status } userErrors { code message } }
}"""
COUPLINGS = """query ($mapping: String) {
    couplings(mapping: $mapping, first: 100) { edges { node { erpId crmId } } }
}"""


def erp_ids(couplings: dict[str, Any]) -> set[str]:
    return {edge["node"]["erpId"] for edge in couplings["edges"]}


def inspect(reference: str, field: str) -> object:
    return orjson.loads(podman("image", "inspect", f"--format={{{{json .{field}}}}}", reference))


def test_no_build_secret_is_left_in_any_layer(built_image: BuiltImage, tmp_path: Path) -> None:
    looked_for = {"pip.conf": built_image.pip.conf.encode()}
    if built_image.pip.ca_bundle is not None:
        looked_for["ca bundle"] = built_image.pip.ca_bundle.read_bytes()
    layers = saved_layers(built_image.tag, tmp_path / "image.tar", looked_for)
    base_layers = inspect(built_image.base, "RootFS.Layers")
    assert isinstance(base_layers, list)
    ours = [layer for layer in layers if layer.diff_id not in base_layers]

    assert len(ours) == len(layers) - len(base_layers) > 0
    assert any("opt/gateway/bin/gateway" in layer.paths for layer in ours)
    mounted = SECRETS_DIR.strip("/") + "/"
    for layer in layers:
        assert [path for path in layer.paths if path.startswith(mounted)] == [], layer.diff_id
        named = [path for path in layer.paths if Path(path).name in (PIP_CONF_ID, "pip.ini")]
        assert named == [], layer.diff_id
        assert layer.copies["pip.conf"] == [], layer.diff_id
    # The base was made without the bundle (debootstrap never saw it): ours could hold a copy.
    for layer in ours:
        assert layer.copies.get("ca bundle", []) == [], layer.diff_id
    environment = inspect(built_image.tag, "Config.Env")
    assert isinstance(environment, list)
    assert [value for value in environment if value.startswith("PIP_")] == []


async def test_the_image_serves_the_api_and_a_worker_synchronizes_as_a_user_not_root(
    built_image: BuiltImage,
    deployment: Deployment,
    sandbox: SandboxHandle,
    containers: list[Container],
) -> None:
    await sandbox.seed(accounts=10, **PARTIES_ONLY)
    image, env_file = built_image.tag, deployment.env_file
    created = await asyncio.to_thread(
        run_once, image, env_file, "gateway", "apikey", "create", "--name", "ops", "--role", "admin"
    )
    key = created.splitlines()[-1]
    api = run_detached(image, env_file, "api")  # the image's default command: gateway serve
    containers.append(api)
    await ready(api, deployment.url)
    await asyncio.to_thread(podman, "healthcheck", "run", api.name)  # the image's HEALTHCHECK

    async with httpx.AsyncClient(base_url=deployment.url, timeout=60) as anonymous:
        refused = await anonymous.post("/graphql", json={"query": MAPPINGS})
    assert refused.status_code == 401
    async with httpx.AsyncClient(
        base_url=deployment.url, headers={"Authorization": f"Bearer {key}"}, timeout=60
    ) as client:
        names = [m["name"] for m in (await gql(client, MAPPINGS))["tableMappings"]]
        assert {"SALESPEOPLE", "CURRENCY", "CUSTOMER"} <= set(names)

        started = await gql(client, RUN_FULL, {"input": {"mappings": ["SALESPEOPLE", "CURRENCY"]}})
        payload = started["runFullSynchronization"]
        assert payload["userErrors"] == []
        assert payload["syncRun"]["status"] == "QUEUED"  # the API leaves it to a worker
        worker = run_detached(image, env_file, "worker", "gateway", "worker")
        containers.append(worker)
        run = await wait_for_run(client, payload["syncRun"]["id"], timeout=300)
        assert run["status"] == "SUCCEEDED", run
        currencies = (await gql(client, COUPLINGS, {"mapping": "CURRENCY"}))["couplings"]
        salespeople = (await gql(client, COUPLINGS, {"mapping": "SALESPEOPLE"}))["couplings"]

    # What the worker did, seen from each system's own API: every ERP currency has its CRM
    # counterpart (created where missing), and every salesperson is coupled to a CRM user.
    systems = Systems(sandbox)
    erp_currencies = await systems.all_erp("currencies")
    crm_currencies = await systems.all_crm("transactioncurrencies", "isocurrencycode")
    assert {c["code"] for c in erp_currencies} <= {c["isocurrencycode"] for c in crm_currencies}
    # ... and the local currency, which has no record, is coupled to the CRM's base currency.
    assert erp_ids(currencies) == {c["id"] for c in erp_currencies} | {LOCAL_CURRENCY_ID}
    assert erp_ids(salespeople) == {p["id"] for p in await systems.all_erp("salespeople")}
    assert run["inserted"] > 0

    for container in (api, worker):
        assert uids(container.pid()) == {GATEWAY_UID}, container.name

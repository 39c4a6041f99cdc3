"""/metrics: what a run carried out by a worker did, counted before and after; requests of the
API and to the backends; the job queue's lag. Admin keys only, unless METRICS_PUBLIC."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from gateway.app import create_app
from gateway.asgi_server import running_server
from gateway.auth.roles import Role
from gateway.settings import Settings
from tests.console.support import data, worker_process
from tests.support import eventually, poll_readiness

START = """mutation ($input: RunFullSynchronizationInput!) { runFullSynchronization(input: $input) {
  syncRun { id } userErrors { message } } }"""
RUN = "query ($id: ID!) { syncRun(id: $id) { status inserted modified unchanged failed } }"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_metrics_count_what_a_run_did(
    console_url: str, console_settings: Settings, admin_api: httpx.AsyncClient, tmp_path: Path
) -> None:
    before = await scrape(admin_api)
    runs = {"mapping": "CUSTOMER", "trigger": "fullSynchronization", "status": "SUCCEEDED"}
    records = {"mapping": "CUSTOMER", "direction": "BIDIRECTIONAL"}
    assert value(before, "gateway_sync_runs_total", **runs) == 0

    run_id = (await data(admin_api, START, input={"mappings": ["CUSTOMER"]}))[
        "runFullSynchronization"
    ]["syncRun"]["id"]
    with worker_process(console_settings, tmp_path / "worker.log"):

        async def finished() -> dict[str, object] | None:
            run: dict[str, object] = (await data(admin_api, RUN, id=run_id))["syncRun"]
            return run if run["status"] == "SUCCEEDED" else None

        run = await eventually(finished, timeout=120, what="the run's end")

        async def counted() -> Samples | None:
            after = await scrape(admin_api)
            return after if value(after, "gateway_sync_runs_total", **runs) == 1 else None

        after = await eventually(counted, timeout=30, what="the run in /metrics")
    for outcome in ("inserted", "modified", "unchanged", "failed"):
        assert value(after, "gateway_sync_records_total", **records, outcome=outcome) == (
            value(before, "gateway_sync_records_total", **records, outcome=outcome) + run[outcome]
        ), outcome
    # The API's own requests, and its requests to the CRM for a page of accounts.
    queries = {"operation_type": "query", "outcome": "ok"}
    backend = {"system": "dataverse", "status": "200"}
    await data(admin_api, "{ accounts(first: 5) { edges { node { name } } } }")
    later = await scrape(admin_api)
    assert value(later, "gateway_graphql_requests_total", **queries) > value(
        before, "gateway_graphql_requests_total", **queries
    )
    assert value(later, "gateway_backend_requests_total", **backend) > value(
        before, "gateway_backend_requests_total", **backend
    )
    assert value(later, "gateway_backend_request_duration_seconds_count", system="dataverse") > 0
    assert ("gateway_job_queue_lag_seconds", frozenset({("mapping", "CUSTOMER")})) in later


async def test_metrics_are_for_admins_unless_public(
    console_url: str,
    console_settings: Settings,
    key_of: Callable[[Role], Awaitable[str]],
) -> None:
    async with httpx.AsyncClient(base_url=console_url) as anonymous:
        assert (await anonymous.get("/metrics")).status_code == 401
        for role in (Role.READER, Role.INTEGRATOR):
            key = await key_of(role)
            refused = await anonymous.get("/metrics", headers={"Authorization": f"Bearer {key}"})
            assert refused.status_code == 403
            assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
            assert "gateway_" not in refused.text
    public = console_settings.model_copy(update={"metrics_public": True})
    async with running_server(create_app(public)) as url:
        await poll_readiness(url)
        async with httpx.AsyncClient(base_url=url) as anonymous:
            answer = await anonymous.get("/metrics")
    assert answer.status_code == 200
    assert "# TYPE gateway_graphql_requests_total counter" in answer.text

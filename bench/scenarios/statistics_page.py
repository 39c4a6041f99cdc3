"""Scenario 1 — the statistics page over HTTP, against the same page built by hand.

Data: `page_accounts` Dataverse accounts, each coupled to its Business Central customer, with
opportunities, quotes, cases, invoices and payments behind the figures. The gateway's API and
the hand-written baseline (`bench.page_baseline`) each run in a child process; a closed-loop
client walks the pages (`page_size` rows) at concurrency 1 and 16, the two servers taking
turns, `repeat` times. Before timing, every page of both is compared: the baseline must answer
the same JSON. Backend calls per request come from the sandbox's request statistics, at
several page sizes: they must not grow with the page.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx

from bench.data import couple_matched_customers
from bench.environment import API_KEY, Environment
from bench.load import Call, LoadResult, run_load
from bench.options import Options
from bench.page_baseline import PAGE_QUERY
from bench.results import ScenarioResult, median
from bench.sandbox_client import api_requests
from bench.servers import gateway_api, page_baseline
from gateway.services import open_services

NAME = "statistics-page"
TITLE = "Statistics page over HTTP (GraphQL vs hand-built endpoint)"
CALL_SIZES = (10, 50, 100, 200)
LIMIT_AT_16 = 1.5


def _gateway_call(url: str, first: int, after: str | None) -> Call:
    return Call(
        f"{url}/graphql",
        {"query": PAGE_QUERY, "variables": {"first": first, "after": after}},
        {"Authorization": f"Bearer {API_KEY}"},
    )


def _baseline_call(url: str, first: int, after: str | None) -> Call:
    return Call(f"{url}/page", {"first": first, "after": after}, {})


def graphql_ok(response: httpx.Response) -> bool:
    return response.status_code == 200 and b'"errors"' not in response.content


async def _walk(
    client: httpx.AsyncClient, gateway: str, baseline: str, size: int
) -> tuple[list[str | None], list[str | None], int]:
    """Every page of both servers, compared; the `after` values that reach each page."""
    gateway_afters: list[str | None] = [None]
    baseline_afters: list[str | None] = [None]
    mismatches = 0
    while True:
        ours = await client.post(**request_of(_gateway_call(gateway, size, gateway_afters[-1])))
        theirs = await client.post(
            **request_of(_baseline_call(baseline, size, baseline_afters[-1]))
        )
        body, expected = ours.json(), theirs.json()
        if body.get("errors"):
            raise RuntimeError(f"the gateway answered errors: {body['errors']}")
        page, hand = body["data"]["accounts"], expected["data"]["accounts"]
        if (
            page["edges"] != hand["edges"]
            or page["pageInfo"]["hasNextPage"] != hand["pageInfo"]["hasNextPage"]
        ):
            mismatches += 1
        if not page["pageInfo"]["hasNextPage"]:
            return gateway_afters, baseline_afters, mismatches
        gateway_afters.append(page["pageInfo"]["endCursor"])
        baseline_afters.append(hand["pageInfo"]["endCursor"])


def request_of(call: Call) -> dict[str, Any]:
    return {"url": call.url, "json": call.body, "headers": call.headers}


async def calls_per_request(
    environment: Environment, client: httpx.AsyncClient, call: Call, repeat: int = 3
) -> dict[str, float]:
    """Backend requests per page request, by API, counted by the sandbox."""
    await client.post(**request_of(call))  # tokens and connections first
    await environment.sandbox.reset_stats()
    for _ in range(repeat):
        response = await client.post(**request_of(call))
        response.raise_for_status()
    stats = await environment.sandbox.stats()
    return {
        "dataverse": api_requests(stats, "dataverse") / repeat,
        "bc": api_requests(stats, "bc") / repeat,
        "token": api_requests(stats, "token") / repeat,
        "total": api_requests(stats, "dataverse", "bc") / repeat,
    }


async def run(environment: Environment, options: Options) -> ScenarioResult:
    result = ScenarioResult(NAME, TITLE)
    sizes = options.sizes
    accounts = sizes.page_accounts
    sandbox = environment.sandbox
    await sandbox.reset()
    started = time.monotonic()
    await sandbox.seed(
        seed=7,
        accounts=accounts,
        customers=accounts,
        matched=accounts,
        users=max(3, min(50, accounts // 20)),
        opportunities=accounts // 2,
        quotes=accounts // 2,
        cases=accounts // 4,
        invoices=accounts // 2,
        payments=accounts // 3,
    )
    values = environment.gateway_values(environment.database("page"))
    async with open_services(environment.settings(values), wait_for_store=True) as services:
        coupled = await couple_matched_customers(services)
    result.figures["setup_seconds"] = round(time.monotonic() - started, 1)
    result.figures["accounts"] = accounts
    result.figures["coupled"] = coupled
    size = sizes.page_size

    async with (
        gateway_api(environment, values) as gateway,
        page_baseline(environment, values) as baseline,
        httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=64)) as client,
    ):
        gateway_afters, baseline_afters, mismatches = await _walk(client, gateway, baseline, size)
        result.check(
            "baseline answers the same JSON",
            "0 differing pages",
            f"{mismatches} of {len(gateway_afters)} pages differ",
            mismatches == 0,
        )
        calls: dict[str, dict[str, dict[str, float]]] = {"gateway": {}, "baseline": {}}
        counted = sorted({*CALL_SIZES, size})
        for rows in counted:
            calls["gateway"][str(rows)] = await calls_per_request(
                environment, client, _gateway_call(gateway, rows, None)
            )
            calls["baseline"][str(rows)] = await calls_per_request(
                environment, client, _baseline_call(baseline, rows, None)
            )
        result.figures["backend_calls_per_request"] = calls
        totals = {rows: calls["gateway"][str(rows)]["total"] for rows in counted}
        result.check(
            "backend calls per request independent of page size",
            "the same count at " + ", ".join(str(rows) for rows in counted) + " rows",
            ", ".join(f"{rows} rows: {count:g}" for rows, count in totals.items()),
            len(set(totals.values())) == 1,
        )
        result.compare(
            f"backend calls per request ({size} rows)",
            calls["gateway"][str(size)]["total"],
            calls["baseline"][str(size)]["total"],
            "requests",
            limit=1.0,
        )

        def gateway_calls() -> Iterator[Call]:
            return (_gateway_call(gateway, size, after) for after in gateway_afters)

        def baseline_calls() -> Iterator[Call]:
            return (_baseline_call(baseline, size, after) for after in baseline_afters)

        runs: dict[str, dict[int, list[LoadResult]]] = {"gateway": {}, "baseline": {}}
        for concurrency in (1, 16):
            count = sizes.page_requests if concurrency > 1 else max(8, sizes.page_requests // 4)
            for round_ in range(options.repeat):
                for name, source, check in (
                    ("gateway", gateway_calls, graphql_ok),
                    ("baseline", baseline_calls, plain_ok),
                ):
                    if round_ == 0:  # warm-up: connections at this concurrency, caches
                        await run_load(
                            client, source, requests=concurrency, concurrency=concurrency
                        )
                    measured = await run_load(
                        client, source, requests=count, concurrency=concurrency, check=check
                    )
                    runs[name].setdefault(concurrency, []).append(measured)
        _report(result, runs, size, options.repeat)
    return result


def plain_ok(response: httpx.Response) -> bool:
    return response.status_code == 200


def _report(
    result: ScenarioResult, runs: dict[str, dict[int, list[LoadResult]]], size: int, repeat: int
) -> None:
    load: dict[str, Any] = {}
    for name, by_concurrency in runs.items():
        load[name] = {
            str(concurrency): [measured.summary() for measured in measured_runs]
            for concurrency, measured_runs in by_concurrency.items()
        }
    result.figures["load"] = load

    def med(name: str, concurrency: int, key: str) -> float:
        return median([run.summary()[key] for run in runs[name][concurrency]])

    for concurrency in (1, 16):
        limit = LIMIT_AT_16 if concurrency == 16 else None
        for key, label in (("p50_ms", "p50"), ("p95_ms", "p95"), ("p99_ms", "p99")):
            result.compare(
                f"latency {label}, concurrency {concurrency}",
                med("gateway", concurrency, key),
                med("baseline", concurrency, key),
                "ms",
                limit=limit if key != "p99_ms" else None,
            )
        result.compare(
            f"requests/s, concurrency {concurrency}",
            med("gateway", concurrency, "requests_per_second"),
            med("baseline", concurrency, "requests_per_second"),
            "req/s",
            better="higher",
            limit=1 / LIMIT_AT_16 if concurrency == 16 else None,
        )
        failures = sum(run.failures for name in runs for run in runs[name][concurrency])
        result.check(
            f"no failed requests at concurrency {concurrency}", "0", failures, not failures
        )
    result.notes.append(
        f"{size} rows per page, pages walked in turn; median of {repeat} runs per server and "
        "concurrency, the servers taking turns; latency from send to last byte."
    )

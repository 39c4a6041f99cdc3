"""Scenario 7 — the "account 360" page over HTTP, against the same page built by hand, and its
GraphQL layer in-process beside the statistics page's.

Data: `page_accounts` Dataverse accounts coupled to their Business Central customers, with
quotes (each account's first coupled to an ERP quote of its customer, as a submitted quote
is), invoices and payments, and projects on both sides. The page (`bench.account_360_baseline`)
shows accounts with their last five quotes and lines, unpaid invoices and projects. The gateway
and the hand-written endpoint each run in a child process; a closed-loop client walks the
pages of 10 and of `page_size` rows at concurrency 1 and 16, the two servers taking turns,
`repeat` times, after checking that both answer the same JSON. Backend calls per request come
from the sandbox's statistics at 10, 50 and 100 rows. In process, the schema's execution of the
page over memory backends is timed against `read_page` over the same objects, and the
statistics page's ratio is measured beside it the same way.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import orjson

from bench.account_360_baseline import PAGE_QUERY
from bench.data import couple_matched_customers, table
from bench.environment import API_KEY, Environment
from bench.load import Call, LoadResult, run_load
from bench.memory_documents import build_documents_world
from bench.memory_world import build_world
from bench.options import Options
from bench.results import ScenarioResult, median
from bench.scenarios import graphql_overhead
from bench.scenarios.statistics_page import calls_per_request, graphql_ok, plain_ok, request_of
from bench.servers import served
from gateway.services import Services, open_services
from gateway.store.couplings import CoupledRecord

NAME = "account-360"
TITLE = "Account 360 page over HTTP (GraphQL vs hand-built endpoint) and in process"
CALL_SIZES = (10, 50, 100)
LIMIT_AT_16 = 1.5
BLOCK = 10


def _gateway_call(url: str, first: int, after: str | None) -> Call:
    return Call(
        f"{url}/graphql",
        {"query": PAGE_QUERY, "variables": {"first": first, "after": after}},
        {"Authorization": f"Bearer {API_KEY}"},
    )


def _baseline_call(url: str, first: int, after: str | None) -> Call:
    return Call(f"{url}/page", {"first": first, "after": after}, {})


async def _couple_quotes(services: Services) -> int:
    """Each coupled account's first quote to its customer's first ERP quote (SALESQUOTE)."""
    assert services.crm is not None
    assert services.erp is not None
    customers = await services.couplings.by_ids(
        "CUSTOMER", "crm", [r.id for r in await table(services.crm, "account")]
    )
    crm_quotes: dict[str, Any] = {}
    for quote in await table(services.crm, "quote"):
        crm_quotes.setdefault(str(quote.values.get("_customerid_value")), quote)
    erp_quotes: dict[str, Any] = {}
    for quote in await table(services.erp, "quote"):
        erp_quotes.setdefault(str(quote.values.get("customerId")), quote)
    coupled = 0
    for account, coupling in customers.items():
        crm, erp = crm_quotes.get(account), erp_quotes.get(coupling.erp.id)
        if crm is None or erp is None:
            continue
        await services.couplings.couple(
            "SALESQUOTE",
            CoupledRecord(erp.system, "quote", erp.id, erp.values.get("number")),
            CoupledRecord(crm.system, "quote", crm.id, crm.values.get("quotenumber")),
        )
        coupled += 1
    return coupled


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
        if page["edges"] != hand["edges"]:
            mismatches += 1
        if not page["pageInfo"]["hasNextPage"]:
            return gateway_afters, baseline_afters, mismatches
        gateway_afters.append(page["pageInfo"]["endCursor"])
        baseline_afters.append(hand["pageInfo"]["endCursor"])


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
        quotes=accounts * 2,
        invoices=accounts * 2,
        payments=accounts,
        projects=accounts // 2,
        orders=accounts // 4,
    )
    values = environment.gateway_values(environment.database("account360"))
    async with open_services(environment.settings(values), wait_for_store=True) as services:
        result.figures["coupled_accounts"] = await couple_matched_customers(services)
        result.figures["coupled_quotes"] = await _couple_quotes(services)
    result.figures["setup_seconds"] = round(time.monotonic() - started, 1)
    result.figures["accounts"] = accounts
    page_sizes = sorted({10, sizes.page_size})

    async with (
        served(
            environment, "gateway-api", ["-m", "gateway", "serve"], values, "/readyz"
        ) as gateway,
        served(
            environment,
            "account-360-baseline",
            ["-m", "bench.account_360_baseline"],
            values,
            "/healthz",
        ) as baseline,
        # Idle connections are dropped before uvicorn's 5-second keep-alive closes them, so a
        # request never goes out on a connection the server is closing.
        httpx.AsyncClient(
            timeout=300, limits=httpx.Limits(max_connections=64, keepalive_expiry=3)
        ) as client,
    ):
        afters: dict[int, tuple[list[str | None], list[str | None]]] = {}
        for size in page_sizes:
            gateway_afters, baseline_afters, mismatches = await _walk(
                client, gateway, baseline, size
            )
            afters[size] = (gateway_afters, baseline_afters)
            result.check(
                f"baseline answers the same JSON ({size} rows)",
                "0 differing pages",
                f"{mismatches} of {len(gateway_afters)} pages differ",
                mismatches == 0,
            )
        calls: dict[str, dict[str, dict[str, float]]] = {"gateway": {}, "baseline": {}}
        for rows in CALL_SIZES:
            calls["gateway"][str(rows)] = await calls_per_request(
                environment, client, _gateway_call(gateway, rows, None)
            )
            calls["baseline"][str(rows)] = await calls_per_request(
                environment, client, _baseline_call(baseline, rows, None)
            )
        result.figures["backend_calls_per_request"] = calls
        totals = {rows: calls["gateway"][str(rows)]["total"] for rows in CALL_SIZES}
        result.check(
            "backend calls per request independent of page size",
            "the same count at " + ", ".join(str(rows) for rows in CALL_SIZES) + " rows",
            ", ".join(f"{rows} rows: {count:g}" for rows, count in totals.items()),
            len(set(totals.values())) == 1,
        )
        result.compare(
            "backend calls per request (100 rows)",
            calls["gateway"]["100"]["total"],
            calls["baseline"]["100"]["total"],
            "requests",
            limit=1.0,
        )
        for size in page_sizes:
            await _load(
                result, client, (gateway, baseline), afters[size], size=size, options=options
            )
    await _in_process(result, environment, options)
    return result


async def _load(
    result: ScenarioResult,
    client: httpx.AsyncClient,
    servers: tuple[str, str],
    afters: tuple[list[str | None], list[str | None]],
    *,
    size: int,
    options: Options,
) -> None:
    gateway, baseline = servers

    def gateway_calls() -> Iterator[Call]:
        return (_gateway_call(gateway, size, after) for after in afters[0])

    def baseline_calls() -> Iterator[Call]:
        return (_baseline_call(baseline, size, after) for after in afters[1])

    runs: dict[str, dict[int, list[LoadResult]]] = {"gateway": {}, "baseline": {}}
    requests = options.sizes.page_requests
    for concurrency in (1, 16):
        count = requests if concurrency > 1 else max(8, requests // 4)
        for round_ in range(options.repeat):
            for name, source, check in (
                ("gateway", gateway_calls, graphql_ok),
                ("baseline", baseline_calls, plain_ok),
            ):
                if round_ == 0:
                    await run_load(client, source, requests=concurrency, concurrency=concurrency)
                measured = await run_load(
                    client, source, requests=count, concurrency=concurrency, check=check
                )
                runs[name].setdefault(concurrency, []).append(measured)
    result.figures.setdefault("load", {})[str(size)] = {
        name: {str(c): [m.summary() for m in measured] for c, measured in by_c.items()}
        for name, by_c in runs.items()
    }

    def med(name: str, concurrency: int, key: str) -> float:
        return median([run.summary()[key] for run in runs[name][concurrency]])

    for concurrency in (1, 16):
        limit = LIMIT_AT_16 if concurrency == 16 else None
        for key, label in (("p50_ms", "p50"), ("p95_ms", "p95")):
            result.compare(
                f"latency {label}, {size} rows, concurrency {concurrency}",
                med("gateway", concurrency, key),
                med("baseline", concurrency, key),
                "ms",
                limit=limit,
            )
        failures = sum(run.failures for name in runs for run in runs[name][concurrency])
        result.check(
            f"no failed requests ({size} rows, concurrency {concurrency})",
            "0",
            failures,
            not failures,
        )


async def _in_process(result: ScenarioResult, environment: Environment, options: Options) -> None:
    """The schema against `read_page` over the same memory backends, for this page and for the
    statistics page, measured alternately in blocks."""
    rows = options.sizes.overhead_rows
    iterations = options.sizes.overhead_iterations
    settings = environment.settings(environment.gateway_values("bench_account360"))
    documents_world = build_documents_world(settings, rows)
    statistics_world = build_world(settings, rows)
    try:
        pages = {
            "account 360": graphql_overhead.account_360_calls(documents_world, settings, rows),
            "statistics page": graphql_overhead.calls(statistics_world, environment, rows),
        }
        ours, theirs = await pages["account 360"][0](), await pages["account 360"][1]()
        same = (
            orjson.loads(ours)["data"]["accounts"]["edges"]
            == orjson.loads(theirs)["data"]["accounts"]["edges"]
        )
        result.check("in process: baseline answers the same JSON", "identical edges", same, same)
        times: dict[str, dict[str, list[float]]] = {
            name: {"gateway": [], "baseline": []} for name in pages
        }
        for _ in range(options.repeat):
            for name, (gateway, baseline) in pages.items():
                for _ in range(2):  # warm-up
                    await gateway()
                    await baseline()
                for _ in range(max(1, iterations // BLOCK)):
                    for side, call in (("gateway", gateway), ("baseline", baseline)):
                        for _ in range(BLOCK):
                            began = time.perf_counter()
                            await call()
                            times[name][side].append(time.perf_counter() - began)
        for name in pages:
            result.compare(
                f"GraphQL layer in process, {name} ({rows} rows, median)",
                median(times[name]["gateway"]) * 1000,
                median(times[name]["baseline"]) * 1000,
                "ms",
                limit=10.0 if name == "statistics page" else None,
            )
        result.figures["in_process_memory_calls"] = {
            "crm": dict(documents_world.crm.calls),
            "erp": dict(documents_world.erp.calls),
        }
    finally:
        await documents_world.aclose()
        await statistics_world.aclose()

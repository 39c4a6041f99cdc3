"""Scenario 2 — the cost of the GraphQL layer alone: the statistics page, and the "account 360"
page, executed in-process over backends answered from memory, against the same JSON built by
hand from the same data.

Both sides read the same `MemoryConnector`s and the same in-memory couplings, make the same
connector calls and end with `orjson.dumps` of the whole answer; the difference is strawberry
(parsing, validation, the security extensions, resolvers, serialisation of the result) and our
schema code. Each measurement alternates blocks of both; the result is the median time per page.
A pyinstrument profile of the schema's side says where its time goes.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import strawberry
from starlette.requests import Request
from starlette.responses import Response

from bench import account_360_baseline
from bench.environment import Environment
from bench.memory_documents import build_documents_world
from bench.memory_world import MemoryWorld, build_world
from bench.options import Options
from bench.page_baseline import PAGE_QUERY, read_page
from bench.profiling import profile_calls
from bench.results import ScenarioResult, latency_summary, median
from gateway.auth.roles import Caller, Role
from gateway.settings import Settings
from schema import build_schema
from schema.context import Context

NAME = "graphql-overhead"
TITLE = "GraphQL layer in-process over memory backends (schema vs hand-built JSON)"
LIMIT = 4.0
BLOCK = 10  # executions of one side before the other takes its turn
# The account 360 page costs some fifty times the statistics page: fewer executions of it.
ACCOUNT_360_SHARE = 5

Call = Callable[[], Awaitable[bytes]]


def request_stub() -> Request:
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "headers": [],
        "query_string": b"",
        "client": ("127.0.0.1", 0),
        "state": {},
    }
    return Request(scope)


def schema_call(schema: strawberry.Schema, query: str, world: MemoryWorld, rows: int) -> Call:
    """The schema's execution of a page of `rows` accounts, as JSON bytes."""
    caller = Caller(key_id="bench", name="bench", role=Role.READER)
    variables = {"first": rows, "after": None}

    async def gateway() -> bytes:
        context = Context(
            request=request_stub(), response=Response(), services=world.services, caller=caller
        )
        result = await schema.execute(query, variable_values=variables, context_value=context)
        if result.errors:
            raise RuntimeError(f"the schema answered errors: {result.errors}")
        return orjson.dumps({"data": result.data})

    return gateway


def calls(world: MemoryWorld, environment: Environment, rows: int) -> tuple[Call, Call]:
    """The schema's execution of the page and the hand-built page, as JSON bytes."""
    values = environment.gateway_values("bench_overhead")
    schema = build_schema(environment.settings(values))

    async def baseline() -> bytes:
        page = await read_page(world.crm, world.erp, world.couplings, first=rows, after=None)
        return orjson.dumps(page)

    return schema_call(schema, PAGE_QUERY, world, rows), baseline


def account_360_calls(world: MemoryWorld, settings: Settings, rows: int) -> tuple[Call, Call]:
    """The schema's execution of the account 360 page and the page built by hand."""
    schema = build_schema(settings)

    async def baseline() -> bytes:
        page = await account_360_baseline.read_page(world.services, first=rows, after=None)
        return orjson.dumps(page)

    return schema_call(schema, account_360_baseline.PAGE_QUERY, world, rows), baseline


async def _timed(call: Call, times: list[float], count: int) -> None:
    for _ in range(count):
        started = time.perf_counter()
        await call()
        times.append(time.perf_counter() - started)


def _same_page(ours: bytes, theirs: bytes) -> bool:
    page: dict[str, Any] = orjson.loads(ours)["data"]["accounts"]
    hand: dict[str, Any] = orjson.loads(theirs)["data"]["accounts"]
    return bool(page["edges"] == hand["edges"])


Samples = dict[str, list[float]]


async def _measure(
    gateway: Call, baseline: Call, repeat: int, iterations: int, block: int
) -> tuple[Samples, Samples]:
    """Medians per repetition and every sample, per side, the sides taking turns in blocks."""
    medians: Samples = {"gateway": [], "baseline": []}
    samples: Samples = {"gateway": [], "baseline": []}
    for _ in range(repeat):
        times: Samples = {"gateway": [], "baseline": []}
        await _timed(gateway, [], block)  # warm-up: caches, first-call imports
        await _timed(baseline, [], block)
        for _ in range(max(1, iterations // block)):
            await _timed(gateway, times["gateway"], block)
            await _timed(baseline, times["baseline"], block)
        for name, measured in times.items():
            medians[name].append(median(measured))
            samples[name] += measured
    return medians, samples


def _report(
    result: ScenarioResult, label: str, prefix: str, medians: Samples, samples: Samples
) -> None:
    """The ratio of the sides' medians against the target, and each side's latencies."""
    result.compare(
        label,
        median(medians["gateway"]) * 1000,
        median(medians["baseline"]) * 1000,
        "ms",
        limit=LIMIT,
    )
    for side in ("gateway", "baseline"):
        result.figures[prefix + side] = latency_summary(samples[side])


async def run(environment: Environment, options: Options) -> ScenarioResult:
    result = ScenarioResult(NAME, TITLE)
    rows = options.sizes.overhead_rows
    iterations = options.sizes.overhead_iterations
    settings = environment.settings(environment.gateway_values("bench_overhead"))
    world = build_world(settings, rows)
    try:
        gateway, baseline = calls(world, environment, rows)
        same = _same_page(await gateway(), await baseline())
        result.check("baseline answers the same JSON", "identical edges", same, same)
        measured = await _measure(gateway, baseline, options.repeat, iterations, BLOCK)
        _report(result, f"time per page ({rows} rows, median)", "", *measured)
        result.figures["rows"] = rows
        result.figures["fields_per_row"] = 13
        result.figures["memory_calls_per_page"] = {
            "crm": dict(world.crm.calls),
            "erp": dict(world.erp.calls),
        }
        if options.profile:
            stamp = time.strftime("%Y%m%dT%H%M%S")
            result.figures["profile"] = await profile_calls(
                gateway,
                max(20, iterations // 2),
                options.results_dir / f"profile-{NAME}-{stamp}.txt",
            )
        result.notes.append(
            f"{iterations} executions per side and repetition in blocks of {BLOCK}, the sides "
            f"taking turns; median per repetition, then the median of {options.repeat}."
        )
    finally:
        await world.aclose()
    await _account_360(result, settings, options)
    return result


async def _account_360(result: ScenarioResult, settings: Settings, options: Options) -> None:
    """The account 360 page measured the same way, with fewer executions."""
    rows = options.sizes.overhead_rows
    iterations = max(2, options.sizes.overhead_iterations // ACCOUNT_360_SHARE)
    block = max(1, BLOCK // ACCOUNT_360_SHARE)
    world = build_documents_world(settings, rows)
    try:
        gateway, baseline = account_360_calls(world, settings, rows)
        same = _same_page(await gateway(), await baseline())
        result.check("account 360: baseline answers the same JSON", "identical edges", same, same)
        measured = await _measure(gateway, baseline, options.repeat, iterations, block)
        label = f"time per page, account 360 ({rows} rows, median)"
        _report(result, label, "account_360_", *measured)
        result.notes.append(
            f"account 360: {iterations} executions per side and repetition in blocks of {block}."
        )
    finally:
        await world.aclose()

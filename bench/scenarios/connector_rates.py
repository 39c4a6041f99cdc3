"""Connector rates (the adapters' note): requests/s and records/s of a full change read and of
a bulk update against the sandbox, each against the same requests sent with a plain httpx
client.

- Change read: every Dataverse account through `changes(account, None)` (change tracking,
  pages of 500) and every Business Central customer (last-modified watermark, pages of 500);
  baseline: the same URLs, headers and pages followed by hand, JSON parsed, nothing else.
- Bulk update: `write_many` of `bulk` account updates (multipart `$batch` of 100, sent one
  after another); baseline: the same batches built and sent by hand.
Connector and raw client run in the runner's process, one after the other, `repeat` times.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from adapters.base import Connector, Update
from adapters.odata.connector import ODataConnector
from adapters.odata.query import with_query
from bench.environment import Environment
from bench.options import Options
from bench.raw_api import RawApi
from bench.results import ScenarioResult, median
from bench.sandbox_client import api_requests
from gateway.connectors import build_crm, build_erp

NAME = "connector-rates"
TITLE = "Connector rates: change reads and bulk updates (vs plain httpx)"
PAGE = 500
BATCH = 100


async def _timed(
    environment: Environment, action: Callable[[], Awaitable[int]]
) -> dict[str, float]:
    """Run `action` (which returns records handled); time, records/s, requests/s."""
    await environment.sandbox.reset_stats()
    started = time.perf_counter()
    records = await action()
    seconds = time.perf_counter() - started
    requests = api_requests(await environment.sandbox.stats(), "dataverse", "bc")
    return {
        "seconds": round(seconds, 3),
        "records": records,
        "requests": requests,
        "records_per_second": round(records / seconds, 1),
        "requests_per_second": round(requests / seconds, 2),
    }


async def _read_changes(connector: Connector, entity: str) -> int:
    count = 0
    async for batch in connector.changes(entity, None, page_size=PAGE):
        count += len(batch.upserts)
    return count


def _select(connector: ODataConnector, entity: str) -> str:
    spec = connector.entities()[entity]
    return ",".join(value for _, value in connector.select(spec, None))


async def run(environment: Environment, options: Options) -> ScenarioResult:
    result = ScenarioResult(NAME, TITLE)
    n, bulk = options.sizes.changes, options.sizes.bulk
    await environment.sandbox.reset()
    await environment.sandbox.seed(seed=5, accounts=n, customers=n, matched=0)
    settings = environment.settings(environment.gateway_values("bench_rates"))
    crm, erp = build_crm(settings), build_erp(settings)
    assert isinstance(crm, ODataConnector)
    assert isinstance(erp, ODataConnector)
    raw_crm = await RawApi.dataverse(environment.sandbox)
    raw_erp = await RawApi.business_central(environment.sandbox)
    try:
        account_select = _select(crm, "account")
        customer_spec = erp.entities()["customer"]
        customer_url = with_query(
            "customers",
            [
                *erp.select(customer_spec, None),
                ("$orderby", f"{customer_spec.modified_field} asc"),
            ],
        )
        account_ids: list[str] = []

        async def raw_accounts() -> int:
            reads = await raw_crm.read_pages(
                f"accounts?$select={account_select}",
                page_size=PAGE,
                track=True,
                keep_ids="accountid",
            )
            account_ids[:] = reads.ids
            return reads.records

        async def raw_customers() -> int:
            return (await raw_erp.read_pages(customer_url, page_size=PAGE)).records

        updates: list[tuple[str, dict[str, Any]]] = []

        async def connector_update() -> int:
            operations = [Update("account", id, values) for id, values in updates]
            results = await crm.write_many(operations)
            return sum(1 for item in results if item.ok)

        async def raw_update() -> int:
            written = 0
            for start in range(0, len(updates), BATCH):
                written += await raw_crm.batch_patch(
                    "accounts", updates[start : start + BATCH], select=account_select
                )
            return written

        # Tokens, connections and the company id first.
        await raw_accounts()
        updates[:] = [
            (account_id, {"telephone1": f"+1 425 555 {index:04d}"})
            for index, account_id in enumerate(account_ids[:bulk])
        ]
        await _read_changes(erp, "customer")
        await crm.write_many([Update("account", *updates[0])])
        measured: dict[str, dict[str, list[dict[str, float]]]] = {}
        cases: list[tuple[str, Callable[[], Awaitable[int]], Callable[[], Awaitable[int]]]] = [
            (
                "dataverse accounts change read",
                lambda: _read_changes(crm, "account"),
                raw_accounts,
            ),
            (
                "business central customers change read",
                lambda: _read_changes(erp, "customer"),
                raw_customers,
            ),
            ("dataverse accounts bulk update", connector_update, raw_update),
        ]
        for _ in range(options.repeat):
            for label, connector_side, raw_side in cases:
                entry = measured.setdefault(label, {"connector": [], "raw": []})
                entry["connector"].append(await _timed(environment, connector_side))
                entry["raw"].append(await _timed(environment, raw_side))
    finally:
        await raw_crm.aclose()
        await raw_erp.aclose()
        if crm is not None:
            await crm.aclose()
        if erp is not None:
            await erp.aclose()
    _report(result, measured, n, bulk, options.repeat)
    return result


def _report(
    result: ScenarioResult,
    measured: dict[str, dict[str, list[dict[str, float]]]],
    n: int,
    bulk: int,
    repeat: int,
) -> None:
    figures: dict[str, Any] = {}
    for label, sides in measured.items():

        def med(side: str, key: str, sides: dict[str, list[dict[str, float]]] = sides) -> float:
            return median([run[key] for run in sides[side]])

        figures[label] = {
            side: {key: med(side, key) for key in runs[0]} for side, runs in sides.items()
        }
        result.compare(
            f"{label}: records/s",
            med("connector", "records_per_second"),
            med("raw", "records_per_second"),
            "rec/s",
            better="higher",
        )
        result.compare(
            f"{label}: requests/s",
            med("connector", "requests_per_second"),
            med("raw", "requests_per_second"),
            "req/s",
            better="higher",
        )
        same = med("connector", "records") == med("raw", "records")
        result.check(
            f"{label}: both sides handled the same records",
            "equal",
            f"{med('connector', 'records'):g} vs {med('raw', 'records'):g}",
            same,
        )
    result.figures["rates"] = figures
    result.notes.append(
        f"{n:,} accounts and {n:,} customers; bulk update of {bulk:,} accounts; pages of "
        f"{PAGE}, batches of {BATCH}; median of {repeat} runs, connector and raw client "
        "taking turns."
    )

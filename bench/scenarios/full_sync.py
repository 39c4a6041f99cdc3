"""Scenario 3 — full synchronization of N Business Central customers to Dataverse accounts,
then an incremental run after 1% of them changed, then one with nothing changed, then a full
synchronization again with nothing changed.

The gateway's side runs in a child process (`bench.sync_child`), timed inside it from the
start of the run to its end; its peak RSS is its own. Baseline: the same N account creations
sent straight through the connector's `write_many`, in pages of the same size, from the same
kind of child. Writes are read from the sandbox: write requests from its request statistics
(Dataverse takes them as `$batch` requests of 100), records written from Dataverse change
tracking (a delta link taken before each run).
"""

from __future__ import annotations

from typing import Any

from bench.children import run_child
from bench.environment import Environment
from bench.options import Options
from bench.raw_api import RawApi
from bench.results import ScenarioResult
from bench.sandbox_client import write_requests
from bench.sync_setup import CUSTOMER, change_customers, prepare_gateway, seed_customers

NAME = "full-sync"
TITLE = "Full synchronization, BC customers → Dataverse accounts (vs direct write_many)"
RATE_LIMIT = 0.5
NO_CHANGE_SECONDS = 1.0
CHILD = ["-m", "bench.sync_child"]


def cpu_used(environment: Environment, before: dict[str, float]) -> dict[str, float]:
    after = environment.server_cpu_seconds()
    return {name: round(after[name] - before.get(name, 0.0), 2) for name in after}


async def measured_run(
    environment: Environment,
    crm: RawApi,
    *,
    link: str,
    name: str,
    args: list[str],
    values: dict[str, str],
) -> tuple[dict[str, Any], str]:
    """Run a child; what it reported, plus the writes the sandbox saw, and the next link."""
    await environment.sandbox.reset_stats()
    before = environment.server_cpu_seconds()
    outcome = await run_child(environment, name, [*CHILD, *args], values)
    outcome["server_cpu_seconds"] = cpu_used(environment, before)
    stats = await environment.sandbox.stats()
    changed = await crm.changed_since(link)
    outcome["write_requests"] = write_requests(stats, "dataverse", "bc")
    outcome["read_requests"] = sum(
        count
        for api in ("dataverse", "bc")
        for methods in stats.get("apis", {}).get(api, {}).get("entity_sets", {}).values()
        for method, count in methods.items()
        if method == "GET"
    )
    outcome["records_written"] = changed.records + changed.deleted
    assert changed.link is not None
    return outcome, changed.link


async def run(environment: Environment, options: Options) -> ScenarioResult:
    result = ScenarioResult(NAME, TITLE)
    n = options.sizes.sync
    changes = max(1, n // 100)

    await seed_customers(environment, n)
    direct_values = environment.gateway_values(environment.database("sync_direct"))
    await environment.sandbox.reset_stats()
    before = environment.server_cpu_seconds()
    direct = await run_child(environment, "sync-direct", [*CHILD, "direct-creates"], direct_values)
    direct["server_cpu_seconds"] = cpu_used(environment, before)
    direct["write_requests"] = write_requests(await environment.sandbox.stats(), "dataverse")

    await seed_customers(environment, n)
    values = environment.gateway_values(environment.database("sync"))
    await prepare_gateway(environment, values)
    crm = await RawApi.dataverse(environment.sandbox)
    try:
        link = await crm.delta_link("accounts", "accountid")
        first, link = await measured_run(
            environment, crm, link=link, name="sync-full", args=["full", CUSTOMER], values=values
        )
        await change_customers(environment, changes)
        changed, link = await measured_run(
            environment,
            crm,
            link=link,
            name="sync-changed",
            args=["incremental", CUSTOMER],
            values=values,
        )
        idle, link = await measured_run(
            environment,
            crm,
            link=link,
            name="sync-idle",
            args=["incremental", CUSTOMER],
            values=values,
        )
        again, link = await measured_run(
            environment,
            crm,
            link=link,
            name="sync-full-again",
            args=["full", CUSTOMER],
            values=values,
        )
    finally:
        await crm.aclose()

    runs = {
        "direct_write_many": direct,
        "full": first,
        "incremental_1pct_changed": changed,
        "incremental_nothing_changed": idle,
        "full_nothing_changed": again,
    }
    result.figures.update(records=n, changed=changes, runs=runs)
    environment.memo["full-sync reference"] = {**first, "records": n}
    rate, direct_rate = n / first["seconds"], n / direct["seconds"]
    result.compare(
        f"records/s, full synchronization of {n:,}",
        rate,
        direct_rate,
        "rec/s",
        better="higher",
        limit=RATE_LIMIT,
    )
    # The incremental run also reads the changes and compares them with the couplings' synced
    # values, so its rate is set against the same direct writes; no target, for reference.
    result.compare(
        f"records/s, incremental run with 1% changed ({changes:,})",
        changes / changed["seconds"],
        direct_rate,
        "rec/s",
        better="higher",
    )
    result.compare(
        "peak RSS of the process (full run vs direct writes)",
        first["rss_peak_mb"],
        direct["rss_peak_mb"],
        "MB",
    )
    counters = first["run"]["counters"]
    result.check(
        "full run: every customer inserted, none failed",
        f"inserted {n}, failed 0",
        f"inserted {counters['inserted']}, failed {counters['failed']} ({first['run']['status']})",
        counters["inserted"] == n and counters["failed"] == 0,
    )
    for label, outcome, expected in (
        ("full run", first, n),
        ("1% changed", changed, changes),
        ("nothing changed (incremental)", idle, 0),
        ("nothing changed (full)", again, 0),
    ):
        written = outcome["records_written"]
        result.check(
            f"{label}: records written equal the changes",
            str(expected),
            f"{written} records in {outcome['write_requests']} write requests",
            written == expected,
        )
    result.check(
        "nothing changed (incremental): no write request",
        "0",
        idle["write_requests"],
        idle["write_requests"] == 0,
    )
    result.check(
        f"nothing changed (incremental): under {NO_CHANGE_SECONDS:g} s for the mapping",
        f"< {NO_CHANGE_SECONDS:g} s",
        f"{idle['seconds']:.3f} s, {idle['read_requests']} read requests",
        idle["seconds"] < NO_CHANGE_SECONDS,
    )
    result.notes.append(
        f"{n:,} customers, pages of the default SYNC_PAGE_SIZE; CUSTOMER set to TO_CRM "
        "(customers → accounts, as measured); SALESPEOPLE and CURRENCY synchronized before. "
        "Times are measured inside the child from the start of the run to its end."
    )
    return result

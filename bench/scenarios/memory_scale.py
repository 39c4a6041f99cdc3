"""Scenario 5 — memory under scale: a full synchronization of `scale` customers must keep the
gateway's peak RSS flat against the `sync`-sized run (target: within 1.5×).

Both runs are the full run of scenario 3 (customers → accounts, CUSTOMER set to TO_CRM), each
in a child process of its own, so that the peak RSS is the gateway's alone (the sandbox and
MongoDB are other processes). When scenario 3 ran in the same benchmark run at the same size,
its run is the reference; otherwise the reference is run here first.
"""

from __future__ import annotations

from typing import Any

from bench.children import run_child
from bench.environment import Environment
from bench.options import Options
from bench.results import ScenarioResult
from bench.sync_setup import CUSTOMER, prepare_gateway, seed_customers

NAME = "memory-scale"
TITLE = "Memory under scale: peak RSS of a full synchronization, large vs reference size"
LIMIT = 1.5
MEMO = "full-sync reference"


async def full_run(environment: Environment, records: int, label: str) -> dict[str, Any]:
    """Seed, prepare and run one full synchronization of `records` customers in a child."""
    await seed_customers(environment, records)
    values = environment.gateway_values(environment.database(f"scale_{label}"))
    await prepare_gateway(environment, values)
    outcome = await run_child(
        environment, f"scale-{label}", ["-m", "bench.sync_child", "full", CUSTOMER], values
    )
    outcome["records"] = records
    return outcome


async def run(environment: Environment, options: Options) -> ScenarioResult:
    result = ScenarioResult(NAME, TITLE)
    small, large = options.sizes.sync, options.sizes.scale
    reference: dict[str, Any] | None = environment.memo.get(MEMO)
    if reference is None or reference.get("records") != small:
        reference = await full_run(environment, small, "reference")
        result.notes.append(f"reference run of {small:,} made here")
    else:
        result.notes.append(f"reference run of {small:,}: the full-sync scenario's")
    scaled = await full_run(environment, large, "large")
    result.figures.update(reference=reference, large=scaled)
    result.compare(
        f"peak RSS, {large:,} vs {small:,} records",
        scaled["rss_peak_mb"],
        reference["rss_peak_mb"],
        "MB",
        limit=LIMIT,
    )
    result.compare(
        "peak RSS growth above the ready process",
        scaled["rss_peak_mb"] - scaled["rss_ready_mb"],
        reference["rss_peak_mb"] - reference["rss_ready_mb"],
        "MB",
    )
    result.compare(
        f"records/s, {large:,} vs {small:,} records",
        large / scaled["seconds"],
        small / reference["seconds"],
        "rec/s",
        better="higher",
    )
    counters = scaled["run"]["counters"]
    result.check(
        "large run: every customer inserted, none failed",
        f"inserted {large}, failed 0",
        f"inserted {counters['inserted']}, failed {counters['failed']} ({scaled['run']['status']})",
        counters["inserted"] == large and counters["failed"] == 0,
    )
    return result

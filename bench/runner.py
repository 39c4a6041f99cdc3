"""One benchmark run: start the servers, run the chosen scenarios, write the results.

The JSON file (`bench/results/<timestamp>.json`) records the machine (cores, load average
before and after), the options and sizes, and every scenario's ratios, checks and absolute
figures. A scenario that fails is recorded with its error and the run goes on.
"""

from __future__ import annotations

import asyncio
import logging
import os
import platform
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from bench.environment import Environment, running_environment
from bench.options import Options
from bench.report import render
from bench.results import ScenarioResult
from bench.scenarios import SCENARIOS

log = logging.getLogger("bench")


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def machine(before: list[float]) -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "load_before": before,
        "load_after": load_average(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


async def run_scenarios(environment: Environment, options: Options) -> list[ScenarioResult]:
    results = []
    for name in options.scenarios:
        scenario = SCENARIOS[name]
        log.info("scenario %s: %s", name, scenario.title)
        started = time.monotonic()
        try:
            result = await scenario.run(environment, options)
        except Exception as exc:
            log.exception("scenario %s failed", name)
            result = ScenarioResult(name, scenario.title)
            result.skipped = f"failed: {type(exc).__name__}: {exc}"
            result.figures["traceback"] = traceback.format_exc()
        result.seconds = time.monotonic() - started
        log.info("scenario %s done in %.0f s", name, result.seconds)
        results.append(result)
    return results


def run(options: Options) -> Path:
    """Run everything; returns the results file."""
    before = load_average()
    started = datetime.now(UTC)
    clock = time.monotonic()
    with running_environment() as environment:
        results = asyncio.run(run_scenarios(environment, options))
    about = machine(before)
    document = {
        "started_at": started.isoformat(),
        "seconds": round(time.monotonic() - clock, 1),
        "machine": about,
        "options": {
            "scenarios": options.scenarios,
            "repeat": options.repeat,
            "quick": options.quick,
            "sizes": options.sizes.as_dict(),
        },
        "scenarios": [result.as_dict() for result in results],
    }
    options.results_dir.mkdir(parents=True, exist_ok=True)
    path = options.results_dir / f"{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
    print(render(results, about))
    print(f"total {document['seconds']} s; results written to {path}")
    return path

"""The scenarios, by name, in the order a full run takes them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bench.environment import Environment
from bench.options import Options
from bench.results import ScenarioResult
from bench.scenarios import (
    account_360,
    change_latency,
    connector_rates,
    full_sync,
    graphql_overhead,
    memory_scale,
    project_server_writes,
    scale_out,
    statistics_page,
)

Runner = Callable[[Environment, Options], Awaitable[ScenarioResult]]


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    run: Runner


SCENARIOS: dict[str, Scenario] = {
    module.NAME: Scenario(module.NAME, module.TITLE, module.run)
    for module in (
        statistics_page,
        graphql_overhead,
        full_sync,
        memory_scale,
        change_latency,
        connector_rates,
        scale_out,
        project_server_writes,
        account_360,
    )
}

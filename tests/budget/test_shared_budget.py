"""Each system's request budget is the cluster's, not each process's: four processes reading
Business Central as hard as their own limits allow never have more requests in flight than
the service takes from one user, and a 429 seen by one process holds every process back until
its Retry-After has passed. Counted by the sandbox, which sees every request arrive."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from gateway.budget import BudgetLimits, RedisBudget
from gateway.connectors import build_erp
from gateway.processes import free_port
from gateway.services import connect_redis
from gateway.settings import Settings
from tests.support_sandbox import SandboxHandle
from tests.workflows.support import environment

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


async def reading_processes(settings: Settings, processes: int, reads: int) -> None:
    env = {
        **os.environ,
        **environment(settings),
        "BC_MAX_CONCURRENCY": "5",  # each process alone may send five at once
        "BC_BUDGET_CONCURRENCY": "5",  # all of them together: five
    }
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.budget.child",
            str(reads),
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(processes)
    ]
    for child in children:
        out, err = await asyncio.wait_for(child.communicate(), timeout=300)
        assert child.returncode == 0, err.decode()[-2000:]
        assert out.decode().strip() == "done"


async def test_processes_together_never_exceed_the_concurrency_of_the_service(
    connected_settings: Settings, sandbox: SandboxHandle
) -> None:
    await sandbox.set_faults(latency_ms=100, apis=["bc"])  # the waiting is the service's
    await sandbox.reset_stats()

    await reading_processes(connected_settings, processes=4, reads=15)

    stats = await sandbox.stats()
    bc: dict[str, Any] = stats["apis"]["bc"]
    assert bc["requests"] >= 4 * 15
    assert 1 < bc["most_in_flight"] <= 5
    assert "bc" not in stats["faults"]


async def test_a_429_seen_by_one_process_holds_every_process_back(
    connected_settings: Settings, sandbox: SandboxHandle
) -> None:
    settings = connected_settings.model_copy(update={"connector_max_attempts": 1})
    redis = connect_redis(str(settings.redis_url))
    first, second = build_erp(settings, redis), build_erp(settings, redis)  # two "processes"
    assert first is not None
    assert second is not None
    try:
        await first.query("currency")  # a token, a company: then one request allowed
        await sandbox.set_faults(
            throttle={"limit": 1, "window_seconds": 3, "retry_after_seconds": 3}, apis=["bc"]
        )
        await sandbox.reset_stats()
        await first.query("currency")
        with pytest.raises(Exception, match="429"):
            await first.query("currency")  # refused: Retry-After 3

        await second.query("currency")  # the other process waits for the pause to pass

        arrivals = [a for a in (await sandbox.stats())["arrivals"] if a[0] == "bc"]
        refused = next(at for _, at, status in arrivals if status == 429)
        after = [at for _, at, status in arrivals if at > refused]
        assert after, arrivals
        assert min(after) - refused >= 2.9
        assert [status for _, at, status in arrivals if at > refused] == [200]
    finally:
        await first.aclose()
        await second.aclose()
        await redis.aclose(close_connection_pool=True)


async def test_without_redis_a_process_keeps_to_its_own_limits_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    redis = connect_redis(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    budget = RedisBudget(redis, "bc:test", BudgetLimits(5, 100, 60.0, 30.0))
    try:
        with caplog.at_level(logging.WARNING, logger="gateway.budget"):
            async with budget.slot():
                pass
            await budget.pause(2.0)
    finally:
        await redis.aclose(close_connection_pool=True)
    [warning] = [r for r in caplog.records if r.name == "gateway.budget"]
    assert "keeps to its own limits" in warning.getMessage()


async def test_several_credentials_spread_the_requests_each_within_its_own_budget(
    connected_settings: Settings, sandbox: SandboxHandle
) -> None:
    """Business Central takes five requests at a time from each application user: with two
    users the cluster may have ten in flight, never more than five as either one."""
    await sandbox.add_clients({"gateway-second-user": "second-user-secret-0123456789"})
    settings = connected_settings.model_copy(
        update={
            "bc_more_credentials": {
                "gateway-second-user": SecretStr("second-user-secret-0123456789")
            },
            "bc_max_concurrency": 5,
            "bc_budget_concurrency": 5,
        }
    )
    redis = connect_redis(str(settings.redis_url))
    first, second = build_erp(settings, redis), build_erp(settings, redis)  # two "processes"
    assert first is not None
    assert second is not None
    try:
        await asyncio.gather(first.query("currency"), second.query("currency"))  # tokens
        await sandbox.set_faults(latency_ms=100, apis=["bc"])
        await sandbox.reset_stats()
        await asyncio.gather(
            *(connector.query("currency") for connector in (first, second) for _ in range(20))
        )
    finally:
        await first.aclose()
        await second.aclose()
        await redis.aclose(close_connection_pool=True)

    bc: dict[str, Any] = (await sandbox.stats())["apis"]["bc"]
    by_client = bc["most_in_flight_by_client"]
    assert set(by_client) == {settings.bc_client_id, "gateway-second-user"}
    assert all(1 < most <= 5 for most in by_client.values()), by_client
    assert 5 < bc["most_in_flight"] <= 10
    assert "bc" not in (await sandbox.stats())["faults"]

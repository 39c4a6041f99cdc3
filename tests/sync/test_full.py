"""Full synchronization over two in-memory systems: counterparts whatever syncOnlyCoupled
says, progress, a run stopped by an outage that goes on from its checkpoint, and the final
tokens handed to incremental runs."""

from __future__ import annotations

from typing import Any

from adapters.base import OperationResult
from adapters.errors import RetriableError
from gateway.store.job_queue import JobQueueTokens
from gateway.store.sync_runs import RunStatus
from gateway.sync.full import run_full_synchronization, start_full_synchronization
from tests.sync.conftest import World, party

PAGE = 10


def customers(count: int) -> list[dict[str, Any]]:
    return [{"number": f"C{i:03d}", "displayName": f"Customer {i}"} for i in range(count)]


async def test_full_synchronization_creates_whatever_sync_only_coupled_says(world: World) -> None:
    await world.store(party(sync_only_coupled=True))
    world.erp.seed("customer", customers(25))
    world.crm.seed("account", [{"name": "Only in the CRM"}])
    world.services.settings = world.services.settings.model_copy(update={"sync_page_size": PAGE})

    run = await start_full_synchronization(world.services, ["PARTY"], actor="test")
    assert run.status is RunStatus.QUEUED
    assert run.id is not None
    done = await run_full_synchronization(world.services, run.id)

    assert done.status is RunStatus.SUCCEEDED, done.message
    assert done.progress == 1.0
    assert done.counters.inserted == 26
    assert len(await world.couplings()) == 26
    assert done.checkpoint["totals"] == [25, 1]
    assert done.checkpoint["processed"] == [25, 26]
    tokens = await JobQueueTokens(world.services.db).tokens("PARTY")
    assert tokens["erp"] is not None
    assert tokens["crm"] is not None
    world.reset_calls()
    after = await world.run()  # reads from the full run's tokens: only its own echoes
    assert after.counters.inserted == 0
    assert world.writes() == 0
    again = await run_full_synchronization(world.services, run.id)
    assert again.status is RunStatus.SUCCEEDED  # a finished run is not run twice
    assert len(await world.couplings()) == 26


async def test_a_full_synchronization_stopped_by_an_outage_goes_on_from_its_checkpoint(
    world: World,
) -> None:
    await world.store(party())
    world.erp.seed("customer", customers(35))
    world.services.settings = world.services.settings.model_copy(update={"sync_page_size": PAGE})
    send = world.crm.write_many
    calls = 0

    async def down_on_the_third_page(operations: Any, **options: Any) -> list[OperationResult]:
        nonlocal calls
        calls += 1
        if calls == 3:
            outage = RetriableError("service unavailable", system="dataverse", status=503)
            return [OperationResult(operation, error=outage) for operation in operations]
        return await send(operations, **options)

    world.crm.write_many = down_on_the_third_page  # type: ignore[method-assign]
    run = await start_full_synchronization(world.services, ["PARTY"], actor="test")
    assert run.id is not None
    stopped = await run_full_synchronization(world.services, run.id)

    assert stopped.status is RunStatus.FAILED
    assert "unavailable" in (stopped.message or "")
    assert stopped.checkpoint["processed"][0] == 2 * PAGE  # two pages applied, the third not
    assert 0 < stopped.progress < 1

    resumed = await run_full_synchronization(world.services, run.id)

    assert resumed.status is RunStatus.SUCCEEDED, resumed.message
    assert resumed.checkpoint["processed"][0] == 35
    assert len(await world.couplings()) == 35
    assert len((await world.crm.query("account", page=None)).records) == 35

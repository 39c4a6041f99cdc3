"""Full synchronization over two in-memory systems: counterparts where the mapping creates
them, progress, a run stopped by a system that cannot be read going on from its checkpoint,
writes refused for a while failing only their records (the scheduled runs retry them), and
the final tokens handed to incremental runs."""

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


async def test_full_synchronization_creates_counterparts_where_the_mapping_does(
    world: World,
) -> None:
    await world.store(party(sync_only_coupled=False))
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


async def test_a_mapping_that_synchronizes_coupled_records_only_creates_nothing(
    world: World,
) -> None:
    await world.store(party(sync_only_coupled=True))
    world.erp.seed("customer", customers(5))
    world.crm.seed("account", [{"name": "Customer 0", "accountnumber": "C000"}])

    run = await start_full_synchronization(world.services, ["PARTY"], actor="test")
    assert run.id is not None
    done = await run_full_synchronization(world.services, run.id)

    assert done.status is RunStatus.SUCCEEDED, done.message
    assert (done.counters.inserted, done.counters.coupled) == (0, 1)  # found by its number
    assert done.counters.skipped == 4
    assert len((await world.crm.query("account")).records) == 1


async def test_a_full_synchronization_stopped_by_an_outage_goes_on_from_its_checkpoint(
    world: World,
) -> None:
    await world.store(party())
    world.erp.seed("customer", customers(35))
    world.services.settings = world.services.settings.model_copy(update={"sync_page_size": PAGE})
    read = world.erp.changes
    pages = 0

    async def down_on_the_third_page(entity: str, token: Any, **options: Any) -> Any:
        nonlocal pages
        async for batch in read(entity, token, **options):
            pages += 1
            if pages == 3:
                raise RetriableError("service unavailable", system="memory", status=503)
            yield batch

    world.erp.changes = down_on_the_third_page  # type: ignore[method-assign]
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


async def test_writes_refused_for_a_while_fail_their_records_and_the_run_goes_on(
    world: World,
) -> None:
    await world.store(party())
    world.erp.seed("customer", customers(35))
    world.services.settings = world.services.settings.model_copy(
        update={"sync_page_size": PAGE, "sync_retry_base_seconds": 0.001}
    )
    send = world.crm.write_many
    calls = 0

    async def down_on_the_third_write(operations: Any, **options: Any) -> list[OperationResult]:
        nonlocal calls
        calls += 1
        if calls == 3:
            outage = RetriableError("service unavailable", system="dataverse", status=503)
            return [OperationResult(operation, error=outage) for operation in operations]
        return await send(operations, **options)

    world.crm.write_many = down_on_the_third_write  # type: ignore[method-assign]
    run = await start_full_synchronization(world.services, ["PARTY"], actor="test")
    assert run.id is not None
    done = await run_full_synchronization(world.services, run.id)

    assert done.status is RunStatus.SUCCEEDED, done.message
    assert done.checkpoint["processed"][0] == 35  # every page read, none given up
    assert done.counters.failed == PAGE
    errors = await world.errors()
    assert {e.code for e in errors} == {"UPSTREAM_UNAVAILABLE"}
    assert len(await world.couplings()) == 35 - PAGE

    retried = await world.run()  # the next scheduled run takes them up

    assert retried.counters.inserted == PAGE, retried.message
    assert await world.errors() == []
    assert len(await world.couplings()) == 35
    assert len((await world.crm.query("account", page=None)).records) == 35

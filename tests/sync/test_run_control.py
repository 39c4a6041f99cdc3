"""Who may run what, and for how long: overlapping full synchronizations requested at once
start one of them; a run a person cancels stops after its batch and stays cancelled; a
mapping's lease is renewed while a slow batch works, and a crashed holder's lapses."""

from __future__ import annotations

import asyncio

import pytest

from gateway.refusals import RefusalCode, RefusalError
from gateway.store.leases import sync_lease
from gateway.store.sync_runs import RunStatus, RunTrigger
from gateway.sync.full import run_full_synchronization, start_full_synchronization
from gateway.sync.running import MappingLease, cancel_run
from tests.support import eventually
from tests.sync.conftest import World, party


async def test_overlapping_full_synchronizations_requested_at_once_start_one(
    world: World,
) -> None:
    others = party(name="OTHERS", erp_entity="customer", crm_entity="account")
    await world.store(party(), others)
    for _ in range(5):
        outcomes = await asyncio.gather(
            start_full_synchronization(world.services, ["PARTY"], actor="a"),
            start_full_synchronization(world.services, ["PARTY", "OTHERS"], actor="b"),
            return_exceptions=True,
        )
        started = [o for o in outcomes if not isinstance(o, BaseException)]
        refused = [o for o in outcomes if isinstance(o, RefusalError)]
        assert len(started) == 1, outcomes
        assert [r.code for r in refused] == [RefusalCode.CONFLICT]
        active = await world.services.runs.active(RunTrigger.FULL_SYNCHRONIZATION, ["PARTY"])
        assert [run.id for run in active] == [started[0].id]
        assert started[0].id is not None
        await cancel_run(world.services, started[0].id, actor="test")


async def test_a_cancelled_run_stops_and_stays_cancelled(world: World) -> None:
    await world.store(party())
    world.erp.seed("customer", [{"number": f"C{i}", "displayName": f"N{i}"} for i in range(40)])
    run = await start_full_synchronization(world.services, ["PARTY"], actor="t")
    assert run.id is not None
    cancelled = await cancel_run(world.services, run.id, actor="ops")
    assert (cancelled.status, cancelled.message) == (RunStatus.CANCELLED, "cancelled by ops")

    after = await run_full_synchronization(world.services, run.id)

    assert after.status is RunStatus.CANCELLED
    assert world.writes() == 0
    with pytest.raises(RefusalError) as again:
        await cancel_run(world.services, run.id, actor="ops")
    assert again.value.code is RefusalCode.INVALID_INPUT


async def test_a_lease_is_renewed_while_its_holder_works_and_lapses_when_it_stops(
    world: World,
) -> None:
    services = world.services
    services.settings = services.settings.model_copy(update={"sync_lease_seconds": 0.6})
    holder = MappingLease(services, "PARTY", "worker-1")
    rival = MappingLease(services, "PARTY", "worker-2")
    assert await holder.take()
    taken = await services.leases.holder(sync_lease("PARTY"))
    assert taken is not None

    async def renewed() -> bool:
        now = await services.leases.holder(sync_lease("PARTY"))
        return now is not None and now.expires_at > taken.expires_at

    async with holder.kept():  # a batch slower than the lease's life: still held
        await eventually(renewed, timeout=10, what="the lease renewed in the background")
        assert not await rival.take()
    # The holder stopped renewing (as a crashed process would): the lease lapses.
    await eventually(rival.take, timeout=10, what="the lease lapsing")

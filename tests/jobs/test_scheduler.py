"""The scheduler against the sandbox, with a clock the test moves: an entry runs at its
interval and not before; on hold it does not run, and resuming runs it at once; after its
inactivity timeout without changes it goes on hold, and a change on either side wakes it."""

from __future__ import annotations

from datetime import timedelta

from gateway.scheduling.entries import EntryChange, update_entry
from gateway.scheduling.scheduler import Scheduler
from gateway.services import Services
from gateway.store.job_queue import JobQueueEntry, JobStatus
from gateway.store.sync_runs import RunStatus, SyncRun
from tests.jobs.conftest import only
from tests.jobs.support import MovableClock, drain
from tests.support_sandbox import SandboxHandle
from tests.sync.support import PARTIES_ONLY, Systems


async def entry(services: Services, name: str = "CUSTOMER") -> JobQueueEntry:
    found = await services.job_queue.get(name)
    assert found is not None
    return found


async def run_of(services: Services, run_id: str) -> SyncRun:
    run = await services.runs.get(run_id)
    assert run is not None
    return run


async def tick_and_drain(
    services: Services, scheduler: Scheduler, clock: MovableClock
) -> dict[str, str]:
    """One tick, then a worker until the queue is empty; what the tick started."""
    report = await scheduler.tick()
    if report.started:
        await drain(services.settings, clock=clock)
    return report.started


async def test_an_entry_runs_at_its_interval_and_not_before(seeded: Services) -> None:
    services = seeded
    await only(services, "CUSTOMER")
    clock = MovableClock()
    scheduler = Scheduler(services, clock=clock)
    started_at = clock()

    first = await scheduler.tick()
    assert list(first.started) == ["CUSTOMER"]
    claimed = await entry(services)
    assert claimed.status is JobStatus.IN_PROCESS
    assert (await run_of(services, first.started["CUSTOMER"])).status is RunStatus.QUEUED
    await drain(services.settings, clock=clock)

    after = await entry(services)
    run = await run_of(services, first.started["CUSTOMER"])
    assert run.status is RunStatus.SUCCEEDED, run.message
    assert run.trigger == "scheduled"
    assert after.status is JobStatus.READY
    assert after.last_run_id == run.id
    assert after.last_run_at is not None
    assert after.next_run_at is not None
    assert abs(after.next_run_at - (started_at + timedelta(minutes=5))) < timedelta(seconds=1)

    clock.advance(minutes=4, seconds=59)
    assert await tick_and_drain(services, scheduler, clock) == {}
    clock.advance(seconds=1)
    second = await tick_and_drain(services, scheduler, clock)
    assert list(second) == ["CUSTOMER"]
    assert (await run_of(services, second["CUSTOMER"])).status is RunStatus.SUCCEEDED
    # Ticks at any other moment start nothing: one run per interval.
    assert await tick_and_drain(services, scheduler, clock) == {}


async def test_an_entry_on_hold_does_not_run_and_resuming_runs_it_at_once(
    seeded: Services,
) -> None:
    services = seeded
    await only(services, "CUSTOMER")
    clock = MovableClock()
    scheduler = Scheduler(services, clock=clock)
    assert list(await tick_and_drain(services, scheduler, clock)) == ["CUSTOMER"]

    paused = await update_entry(
        services, "CUSTOMER", EntryChange(on_hold=True), actor="admin", clock=clock
    )
    assert (paused.status, paused.on_hold) == (JobStatus.ON_HOLD, True)
    assert paused.message == "paused by admin"
    clock.advance(hours=2)
    assert await tick_and_drain(services, scheduler, clock) == {}
    assert (await entry(services)).status is JobStatus.ON_HOLD

    resumed = await update_entry(
        services, "CUSTOMER", EntryChange(on_hold=False), actor="admin", clock=clock
    )
    assert (resumed.status, resumed.on_hold, resumed.next_run_at) == (
        JobStatus.READY,
        False,
        clock(),
    )
    started = await tick_and_drain(services, scheduler, clock)
    assert list(started) == ["CUSTOMER"]
    assert (await entry(services)).status is JobStatus.READY
    run = await run_of(services, started["CUSTOMER"])
    assert (run.trigger, run.actor, run.status) == ("resumed", "admin", RunStatus.SUCCEEDED)
    clock.advance(minutes=5)
    later = await tick_and_drain(services, scheduler, clock)
    assert (await run_of(services, later["CUSTOMER"])).trigger == "scheduled"


async def test_pausing_during_a_run_takes_effect_for_the_next_run(seeded: Services) -> None:
    services = seeded
    await only(services, "CUSTOMER")
    clock = MovableClock()
    scheduler = Scheduler(services, clock=clock)
    report = await scheduler.tick()
    await update_entry(services, "CUSTOMER", EntryChange(on_hold=True), actor="admin", clock=clock)
    assert (await entry(services)).status is JobStatus.IN_PROCESS  # its run still goes ahead

    await drain(services.settings, clock=clock)

    assert (await run_of(services, report.started["CUSTOMER"])).status is RunStatus.SUCCEEDED
    after = await entry(services)
    assert (after.status, after.on_hold) == (JobStatus.ON_HOLD, True)
    clock.advance(hours=1)
    assert await tick_and_drain(services, scheduler, clock) == {}


async def test_inactivity_puts_an_entry_on_hold_and_a_change_on_either_side_wakes_it(
    seeded: Services, sandbox: SandboxHandle
) -> None:
    services = seeded
    systems = Systems(sandbox)
    await only(services, "CUSTOMER")
    clock = MovableClock()
    await update_entry(
        services, "CUSTOMER", EntryChange(inactivity_timeout_minutes=10), actor="t", clock=clock
    )
    scheduler = Scheduler(services, clock=clock)
    assert list(await tick_and_drain(services, scheduler, clock)) == ["CUSTOMER"]

    async def sleep_through_inactivity() -> None:
        clock.advance(minutes=11)  # two intervals and more without a change
        assert list(await tick_and_drain(services, scheduler, clock)) == ["CUSTOMER"]
        asleep = await entry(services)
        assert (asleep.status, asleep.on_hold) == (JobStatus.ON_HOLD, False), asleep
        assert "no changes for 10 minutes" in (asleep.message or "")
        clock.advance(minutes=5)
        probed = await scheduler.tick()
        assert (probed.probed, probed.woken, probed.started) == (["CUSTOMER"], [], {})
        assert (await entry(services)).status is JobStatus.ON_HOLD

    await sleep_through_inactivity()
    accounts = await systems.all_crm("accounts", "accountid")
    await systems.crm("PATCH", f"accounts({accounts[0]['accountid']})", {"telephone1": "555 01"})
    clock.advance(minutes=5)
    woken = await scheduler.tick()
    assert (woken.woken, list(woken.started)) == (["CUSTOMER"], ["CUSTOMER"])
    await drain(services.settings, clock=clock)
    awake = await entry(services)
    assert awake.status is JobStatus.READY, awake
    assert awake.last_change_at == clock()

    await sleep_through_inactivity()
    customers = await systems.all_erp("customers")
    await systems.erp("PATCH", f"customers({customers[0]['id']})", {"phoneNumber": "555 02"})
    clock.advance(minutes=5)
    woken = await scheduler.tick()
    assert (woken.woken, list(woken.started)) == (["CUSTOMER"], ["CUSTOMER"])
    await drain(services.settings, clock=clock)
    assert (await entry(services)).status is JobStatus.READY


async def test_a_first_start_runs_a_mapping_after_the_mappings_it_depends_on(
    job_services: Services, sandbox: SandboxHandle
) -> None:
    """Every entry is due at once on a first start; items wait for units of measure, so no
    item fails for a unit that is not coupled yet."""
    services = job_services
    await sandbox.seed(accounts=12, **PARTIES_ONLY)
    await only(services, "UNIT OF MEASURE", "ITEM-PRODUCT")
    clock = MovableClock()
    scheduler = Scheduler(services, clock=clock)

    first = await scheduler.tick()
    assert list(first.started) == ["UNIT OF MEASURE"]
    assert first.waiting == {"ITEM-PRODUCT": ["UNIT OF MEASURE"]}
    await drain(services.settings, clock=clock)

    second = await scheduler.tick()
    assert list(second.started) == ["ITEM-PRODUCT"]
    await drain(services.settings, clock=clock)
    items = await run_of(services, second.started["ITEM-PRODUCT"])
    assert items.status is RunStatus.SUCCEEDED, items.message
    assert items.counters.inserted + items.counters.coupled == PARTIES_ONLY["items"]
    assert items.counters.failed == 0
    assert await services.sync_errors.count("ITEM-PRODUCT") == 0

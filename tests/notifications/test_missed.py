"""What notifications alone would miss: a change made while the gateway was stopped (carried
by the catch-up run after it starts, exactly once), a Business Central `collection` (the
gateway reads the changes itself), and an entry asleep for lack of changes (woken at once)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gateway.scheduling.scheduler import Scheduler
from gateway.store.job_queue import JobStatus
from gateway.sync.incremental import run_incremental
from tests.jobs.conftest import only
from tests.jobs.support import drain
from tests.notifications.conftest import Notified
from tests.notifications.support import (
    delivered,
    gateway,
    serving,
    settled_runs,
)
from tests.notifications.test_crossing import crm_phone, erp_phone
from tests.support import eventually
from tests.sync.support import writes


async def test_a_change_made_while_the_gateway_was_stopped_is_carried_once_after_start(
    notified: Notified,
) -> None:
    settings, services, port = notified.settings, notified.services, notified.port
    sandbox, coupled, people = notified.sandbox, notified.pairs, notified.people
    customer, account = coupled[0]
    async with gateway(settings, port, services):
        await only(services, "CUSTOMER")
        await run_incremental(services, "CUSTOMER")  # its tokens are up to date
    # Everything is stopped: Dataverse tries to deliver, and gives up.
    await people.crm("PATCH", f"accounts({account})", {"telephone1": "+1 425 555 0303"})
    await delivered(sandbox, "dataverse", 1, "given_up")
    assert not await erp_phone(people, customer, "+1 425 555 0303")

    await sandbox.reset_stats()
    async with serving(settings, port):
        await drain(settings)  # a worker starts: it catches up
        entry = await services.job_queue.get("CUSTOMER")
        assert entry is not None
        assert entry.next_run_at is not None
        assert entry.next_run_at <= datetime.now(UTC)
        assert (await Scheduler(services).tick()).started.keys() == {"CUSTOMER"}
        await drain(settings)
        assert await erp_phone(people, customer, "+1 425 555 0303")
        # Business Central reports the gateway's write; carried, it changes nothing.
        await delivered(sandbox, "bc", 1)  # answered: queued
        await drain(settings)
        [run] = await settled_runs(services, 1)
        assert run["counters"]["unchanged"] == 1
        assert writes(await sandbox.stats()) == 1


async def test_a_lost_notification_is_carried_by_the_scheduled_run(notified: Notified) -> None:
    settings, services, port = notified.settings, notified.services, notified.port
    sandbox, people = notified.sandbox, notified.people
    customer, account = notified.pairs[4]
    async with gateway(settings, port, services):
        await run_incremental(services, "CUSTOMER")  # its tokens are up to date
        await sandbox.set_notifications(delay_ms=300, lose_next=1)
        await people.crm("PATCH", f"accounts({account})", {"telephone1": "+1 425 555 0404"})
        await delivered(sandbox, "dataverse", 1, "lost")
        assert not await erp_phone(people, customer, "+1 425 555 0404")
        await sandbox.reset_stats()
        safety_net = await run_incremental(services, "CUSTOMER")
        assert safety_net.counters.modified == 1
        assert await erp_phone(people, customer, "+1 425 555 0404")
        assert writes(await sandbox.stats()) == 1


async def test_a_collection_notification_reads_the_changes_and_misses_none(
    notified: Notified,
) -> None:
    settings, services, port = notified.settings, notified.services, notified.port
    sandbox, coupled, people = notified.sandbox, notified.pairs, notified.people
    async with gateway(settings, port, services):
        await sandbox.set_notifications(delay_ms=2000, collection_threshold=2)
        phones = {}
        for n, (customer, account) in enumerate(coupled[:4]):
            phones[account] = f"+1 206 555 04{n:02d}"
            await people.erp("PATCH", f"customers({customer})", {"phoneNumber": phones[account]})
        await delivered(sandbox, "bc", 1)
        assert (await sandbox.notifications())["deliveries"]["bc"]["collections"] == 1
        for account, phone in phones.items():
            await eventually(lambda a=account, p=phone: crm_phone(people, a, p), what="crossing")
        runs = await settled_runs(services, 1)
        assert sum(run["counters"]["modified"] for run in runs) == 4


async def test_an_entry_asleep_for_lack_of_changes_wakes_at_once(notified: Notified) -> None:
    settings, services, port = notified.settings, notified.services, notified.port
    sandbox, coupled, people = notified.sandbox, notified.pairs, notified.people
    del sandbox
    customer, account = coupled[3]
    entries = services.job_queue
    await entries.ensure(["CUSTOMER"], datetime.now(UTC))
    async with gateway(settings, port, services):
        later = datetime.now(UTC) + timedelta(hours=1)
        await services.db["job_queue_entries"].update_one(
            {"mapping": "CUSTOMER"},
            {"$set": {"status": JobStatus.ON_HOLD.value, "on_hold": False, "next_run_at": later}},
        )
        await people.erp("PATCH", f"customers({customer})", {"phoneNumber": "+1 555 0505"})
        await eventually(lambda: crm_phone(people, account, "+1 555 0505"), what="crossing")
        await settled_runs(services, 1)
    entry = await entries.get("CUSTOMER")
    assert entry is not None
    assert entry.status is JobStatus.READY
    assert entry.next_run_at is not None
    assert entry.next_run_at <= datetime.now(UTC)
    assert entry.message == "woken by a change notification"

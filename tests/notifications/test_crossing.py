"""A change made by a person in either system reaches the other through the sandbox's real
notifications, without the schedule; it crosses once and stops; duplicated and reordered
notifications change nothing twice."""

from __future__ import annotations

from tests.notifications.conftest import Notified
from tests.notifications.support import (
    People,
    carried,
    delivered,
    gateway,
    notification_runs,
    settled_runs,
)
from tests.support import eventually
from tests.sync.support import gql, writes

ENTRIES = "{ jobQueueEntries { mapping notifications { active lastReceivedAt expiresAt } } }"


async def erp_phone(people: People, customer: str, phone: str) -> bool:
    found = await people.erp("GET", f"customers({customer})")
    return bool(found["phoneNumber"] == phone)


async def crm_phone(people: People, account: str, phone: str) -> bool:
    found = await people.crm("GET", f"accounts({account})?$select=telephone1")
    return bool(found["telephone1"] == phone)


async def test_a_crm_change_crosses_once_and_stops(notified: Notified) -> None:
    settings, services, port = notified.settings, notified.services, notified.port
    sandbox, coupled, people = notified.sandbox, notified.pairs, notified.people
    customer, account = coupled[0]
    async with gateway(settings, port, services) as client:
        await people.crm("PATCH", f"accounts({account})", {"telephone1": "+1 425 555 0101"})
        await sandbox.reset_stats()
        await eventually(
            lambda: erp_phone(people, customer, "+1 425 555 0101"), what="the change crossing"
        )
        # The gateway's own write comes back from Business Central, is read, found equal to
        # the CRM's, and goes no further.
        await delivered(sandbox, "bc", 1)
        await carried(services, modified=1, unchanged=1)
        assert writes(await sandbox.stats()) == 1  # one batch to Business Central, nothing else

        entries = (await gql(client, ENTRIES))["jobQueueEntries"]
        state = next(e["notifications"] for e in entries if e["mapping"] == "CUSTOMER")
        assert state["active"] is True
        assert state["lastReceivedAt"] is not None
        assert state["expiresAt"] is not None  # Business Central's subscription expires


async def test_an_erp_change_crosses_once_and_its_echo_is_left_out(notified: Notified) -> None:
    settings, services, port = notified.settings, notified.services, notified.port
    sandbox, coupled, people = notified.sandbox, notified.pairs, notified.people
    customer, account = coupled[1]
    async with gateway(settings, port, services):
        await people.erp("PATCH", f"customers({customer})", {"phoneNumber": "+1 206 555 0102"})
        await sandbox.reset_stats()
        await eventually(
            lambda: crm_phone(people, account, "+1 206 555 0102"), what="the change crossing"
        )
        # Dataverse reports the gateway's write as the application user's: not queued at all.
        await delivered(sandbox, "dataverse", 1)
        runs = await settled_runs(services, 1)
        assert len(runs) == 1
        assert runs[0]["counters"]["modified"] == 1
        assert writes(await sandbox.stats()) == 1


async def test_duplicated_and_reordered_notifications_change_nothing_twice(
    notified: Notified,
) -> None:
    settings, services, port = notified.settings, notified.services, notified.port
    sandbox, coupled, people = notified.sandbox, notified.pairs, notified.people
    customer, account = coupled[2]
    async with gateway(settings, port, services):
        await sandbox.set_notifications(delay_ms=300, duplicate_next=1)
        await people.crm("PATCH", f"accounts({account})", {"telephone1": "+1 555 0200"})
        await sandbox.reset_stats()
        await eventually(lambda: erp_phone(people, customer, "+1 555 0200"), what="crossing")
        await delivered(sandbox, "dataverse", 1, "duplicated")  # the same one, sent twice
        await delivered(sandbox, "bc", 1)
        await carried(services, modified=1, unchanged=1)
        assert writes(await sandbox.stats()) == 1

        # Two changes whose notifications arrive newest first: the record is read as it is
        # now, so the last value is the one written, once.
        await sandbox.set_notifications(delay_ms=300, reorder=True)
        before = len(await notification_runs(services))
        await people.crm("PATCH", f"accounts({account})", {"telephone1": "+1 555 0201"})
        await people.crm("PATCH", f"accounts({account})", {"telephone1": "+1 555 0202"})
        await sandbox.reset_stats()
        await eventually(lambda: erp_phone(people, customer, "+1 555 0202"), what="crossing")
        await delivered(sandbox, "dataverse", 2)
        await delivered(sandbox, "bc", 1)
        await carried(services, modified=1, unchanged=1, since=before)
        assert writes(await sandbox.stats()) == 1

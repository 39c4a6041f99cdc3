"""Change events: what travels on the channel, and how a subscription's listener merges a
burst of them and asks for a re-read when it may have missed some. Through a real Redis: a
publisher's events and counters reach another process's hub."""

from __future__ import annotations

from gateway import events
from gateway.events.hub import EventHub, Listener
from gateway.events.model import Event, namespace
from gateway.observability.run_metrics import SEVERAL, increments
from gateway.services import Services


def test_events_travel_as_ids_and_anything_else_is_ignored() -> None:
    event = Event(events.SYNC_RUN, "6b1", "CUSTOMER")
    assert Event.decode(event.encode()) == event
    for garbage in (b"not json", b"[]", b'{"kind": "other", "id": "1"}', b'{"kind": "sync_run"}'):
        assert Event.decode(garbage) is None


async def test_a_listener_merges_a_burst_and_re_reads_after_a_silence() -> None:
    listener = Listener(lambda event: event.mapping == "CUSTOMER")
    for _ in range(50):
        listener.offer(Event(events.SYNC_RUN, "run-1", "CUSTOMER"))
    listener.offer(Event(events.SYNC_RUN, "run-2", "CONTACT"))  # not this subscription's
    batch, resync = await listener.next(timeout=1)
    assert (batch, resync) == ([Event(events.SYNC_RUN, "run-1", "CUSTOMER")], False)
    batch, resync = await listener.next(timeout=0.01)  # nothing came: read again anyway
    assert (batch, resync) == ([], True)
    listener.resync()  # the hub lost its Redis connection meanwhile
    assert (await listener.next(timeout=1))[1] is True


def test_runs_over_several_mappings_count_under_one_label() -> None:
    doc = {
        "mappings": ["CURRENCY", "CUSTOMER"],
        "mapping": "CURRENCY, CUSTOMER",
        "trigger": "fullSynchronization",
        "status": "SUCCEEDED",
        "direction": "BIDIRECTIONAL",
        "counters": {"inserted": 3, "failed": 0},
    }
    found = increments(doc)
    assert [(i.name, i.field.split("\x1f")[0], i.amount) for i in found] == [
        ("sync_runs", SEVERAL, 1),
        ("sync_records", SEVERAL, 3),
    ]


async def test_a_publishers_events_and_counters_reach_a_hub_through_redis(
    services: Services,
) -> None:
    hub = EventHub(services.redis, events.channel_name(services.settings.mongodb_database))
    try:
        async with hub.listen(lambda event: event.kind == events.JOB_QUEUE_ENTRY) as listener:
            events.job_queue_entry_changed(services.db, "CUSTOMER")
            events.sync_run_finished(
                services.db,
                {
                    "_id": "r1",
                    "mapping": "CUSTOMER",
                    "mappings": ["CUSTOMER"],
                    "trigger": "scheduled",
                    "status": "SUCCEEDED",
                    "direction": "TO_CRM",
                    "counters": {"modified": 2},
                },
            )
            batch, _ = await listener.next(timeout=10)
        assert batch == [Event(events.JOB_QUEUE_ENTRY, "CUSTOMER", "CUSTOMER")]
        await services.publisher.aclose()  # flushed
        space = namespace(services.settings.mongodb_database)
        runs = await services.redis.hgetall(f"{space}:metrics:sync_runs")
        assert runs == {b"CUSTOMER\x1fscheduled\x1fSUCCEEDED": b"1"}
    finally:
        await hub.aclose()

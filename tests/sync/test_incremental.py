"""Incremental runs over two in-memory systems: what flows where, what is written (only what
differs), conflicts by policy, creation that is idempotent, and the cost of a run."""

from __future__ import annotations

import asyncio

import pytest

from adapters.base import Record
from gateway.mappings.model import ConflictPolicy, Direction
from gateway.store.couplings import CoupledRecord
from gateway.store.job_queue import JobQueueTokens
from gateway.store.leases import LeaseRepository, sync_lease
from gateway.store.sync_runs import RunStatus
from gateway.sync.matching import counterpart_id
from gateway.sync.now import synchronize_now
from tests.sync.conftest import World, party

CONTOSO = {"number": "C001", "displayName": "Contoso", "email": "a@contoso.example"}
FABRIKAM = {"number": "C002", "displayName": "Fabrikam", "email": "b@fabrikam.example"}


async def coupled_pair(world: World) -> tuple[Record, Record]:
    """One customer and its account, coupled and in agreement after a first run."""
    [customer] = world.erp.seed("customer", [CONTOSO])
    run = await world.run()
    assert run.status is RunStatus.SUCCEEDED, run.message
    [coupling] = await world.couplings()
    account = (await world.crm.get_many("account", [coupling.crm.id]))[coupling.crm.id]
    return customer, account


async def test_a_first_run_creates_counterparts_both_ways_and_a_second_writes_nothing(
    world: World,
) -> None:
    await world.store(party())
    [customer] = world.erp.seed("customer", [CONTOSO])
    [account] = world.crm.seed("account", [{"name": "Northwind", "telephone1": "555"}])

    first = await world.run()

    assert first.status is RunStatus.SUCCEEDED, first.message
    assert (first.counters.inserted, first.counters.failed) == (2, 0)
    couplings = {c.erp.id: c for c in await world.couplings()}
    made_account = couplings[customer.id].crm.id
    assert made_account == counterpart_id(party(), Direction.TO_CRM, customer.id)
    created = (await world.crm.get_many("account", [made_account]))[made_account]
    assert created.values["name"] == "Contoso"
    assert created.values["accountnumber"] == "C001"
    [northwind] = [c for c in couplings.values() if c.crm.id == account.id]
    made_customer = (await world.erp.get_many("customer", [northwind.erp.id]))[northwind.erp.id]
    assert made_customer.values["displayName"] == "Northwind"
    assert made_customer.values["phoneNumber"] == "555"

    world.reset_calls()
    second = await world.run()
    assert second.status is RunStatus.SUCCEEDED
    assert world.writes() == 0
    assert (second.counters.inserted, second.counters.modified) == (0, 0)
    world.reset_calls()
    third = await world.run()
    assert third.counters.records == 0  # the echoes of the first run's writes are behind us
    assert dict(world.erp.calls) == {"changes": 1}
    assert dict(world.crm.calls) == {"changes": 1}


async def test_records_that_exist_on_both_sides_are_coupled_by_key_not_duplicated(
    world: World,
) -> None:
    await world.store(party())
    [customer] = world.erp.seed("customer", [CONTOSO])
    [account] = world.crm.seed(
        "account", [{"name": "Contoso Ltd", "accountnumber": "c001", "telephone1": "777"}]
    )

    run = await world.run()

    assert run.counters.coupled == 1
    assert run.counters.inserted == 0
    [coupling] = await world.couplings()
    assert (coupling.erp.id, coupling.crm.id) == (customer.id, account.id)
    assert len((await world.crm.query("account")).records) == 1
    # The side being read wins where the two differ (no baseline yet); empty fields flow too.
    after = (await world.crm.get_many("account", [account.id]))[account.id]
    assert after.values["name"] == "Contoso"
    assert after.values["emailaddress1"] == "a@contoso.example"


async def test_a_field_changed_on_one_side_flows_to_the_other_alone(world: World) -> None:
    await world.store(party())
    customer, account = await coupled_pair(world)
    await world.run()

    await world.crm.update("account", account.id, {"telephone1": "+1 555 0100"})
    world.reset_calls()
    pulled = await world.run()
    assert pulled.counters.modified == 1
    erp_after = (await world.erp.get_many("customer", [customer.id]))[customer.id]
    assert erp_after.values["phoneNumber"] == "+1 555 0100"
    assert world.crm.calls["write_many"] == 0

    await world.erp.update("customer", customer.id, {"email": "new@contoso.example"})
    pushed = await world.run()
    assert pushed.counters.modified == 1
    crm_after = (await world.crm.get_many("account", [account.id]))[account.id]
    assert crm_after.values["emailaddress1"] == "new@contoso.example"
    assert crm_after.values["telephone1"] == "+1 555 0100"

    entries, _ = await world.services.integration_log.page(None, 50)
    writes = [e for e in entries if e.kind == "write" and e.operation == "update"]
    assert {tuple(e.details["changes"]) for e in writes} >= {("phoneNumber",), ("emailaddress1",)}


@pytest.mark.parametrize(
    ("policy", "newer", "expected"),
    [
        (ConflictPolicy.ERP_WINS, "crm", "erp"),
        (ConflictPolicy.CRM_WINS, "erp", "crm"),
        (ConflictPolicy.NEWEST_WINS, "erp", "erp"),
        (ConflictPolicy.NEWEST_WINS, "crm", "crm"),
    ],
)
async def test_a_field_changed_on_both_sides_is_settled_by_the_policy(
    world: World, policy: ConflictPolicy, newer: str, expected: str
) -> None:
    await world.store(party(conflict_policy=policy))
    customer, account = await coupled_pair(world)
    await world.run()

    await world.crm.update("account", account.id, {"telephone1": "999"})  # CRM-only change
    changes = [
        ("erp", lambda: world.erp.update("customer", customer.id, {"displayName": "From ERP"})),
        ("crm", lambda: world.crm.update("account", account.id, {"name": "From CRM"})),
    ]
    changes.sort(key=lambda change: change[0] == newer)  # the newer one is made last
    for _, change in changes:
        await change()

    run = await world.run()

    assert run.status is RunStatus.SUCCEEDED
    name = "From ERP" if expected == "erp" else "From CRM"
    erp_after = (await world.erp.get_many("customer", [customer.id]))[customer.id]
    crm_after = (await world.crm.get_many("account", [account.id]))[account.id]
    assert (erp_after.values["displayName"], crm_after.values["name"]) == (name, name)
    assert erp_after.values["phoneNumber"] == "999"  # one-sided changes flow regardless
    [coupling] = await world.couplings()
    assert coupling.synced_values["displayName|name"] == {"erp": name, "crm": name}
    assert await world.errors() == []


async def test_newest_wins_compares_the_records_modified_times(world: World) -> None:
    await world.store(party(conflict_policy=ConflictPolicy.NEWEST_WINS))
    customer, account = await coupled_pair(world)
    await world.run()
    await world.crm.update("account", account.id, {"name": "From CRM"})
    await world.erp.update("customer", customer.id, {"displayName": "From ERP"})

    await world.run()

    crm_after = (await world.crm.get_many("account", [account.id]))[account.id]
    assert crm_after.values["name"] == "From ERP"


async def test_manual_conflicts_write_nothing_until_a_person_chooses(world: World) -> None:
    await world.store(party(conflict_policy=ConflictPolicy.MANUAL))
    customer, account = await coupled_pair(world)
    await world.run()
    await world.erp.update("customer", customer.id, {"displayName": "From ERP"})
    await world.crm.update("account", account.id, {"name": "From CRM", "telephone1": "999"})
    world.reset_calls()

    run = await world.run()

    assert run.counters.failed == 1
    assert world.writes() == 0
    [error] = await world.errors()
    assert error.code == "CONFLICT"
    assert error.direction is None
    assert "From ERP" in error.message
    assert "From CRM" in error.message
    assert error.details["conflicts"][0]["row"] == "displayName|name"
    erp_after = (await world.erp.get_many("customer", [customer.id]))[customer.id]
    assert erp_after.values.get("phoneNumber") is None  # not even the one-sided change

    again = await world.run()  # nothing changed since: the conflict stays, nothing is written
    assert world.writes() == 0
    assert again.counters.records == 0

    result = await synchronize_now(
        world.services,
        "PARTY",
        erp_id=customer.id,
        crm_id=None,
        direction=Direction.FROM_CRM,
        actor="test",
    )
    assert result.refusal is None
    assert result.run.counters.modified == 1
    erp_after = (await world.erp.get_many("customer", [customer.id]))[customer.id]
    assert erp_after.values["displayName"] == "From CRM"
    assert erp_after.values["phoneNumber"] == "999"
    assert await world.errors() == []


async def test_a_creation_left_uncoupled_by_a_crash_is_coupled_not_repeated(
    world: World,
) -> None:
    await world.store(party())
    [customer] = world.erp.seed("customer", [{"displayName": "No number"}])
    # The account a crashed run created for it, under the id the gateway gives it.
    made = counterpart_id(party(), Direction.TO_CRM, customer.id)
    world.crm.seed("account", [{"id": made, "name": "No number"}])

    run = await world.run()

    assert (run.counters.coupled, run.counters.inserted) == (1, 0)
    [coupling] = await world.couplings()
    assert coupling.crm.id == made
    assert len((await world.crm.query("account")).records) == 1


async def test_concurrent_runs_of_a_mapping_do_the_work_once(world: World) -> None:
    await world.store(party())
    world.erp.seed("customer", [CONTOSO, FABRIKAM])

    first, second = await asyncio.gather(world.run(), world.run())

    statuses = sorted([first.status, second.status])
    assert statuses == [RunStatus.CANCELLED, RunStatus.SUCCEEDED]
    cancelled = first if first.status is RunStatus.CANCELLED else second
    assert cancelled.message is not None
    assert "elsewhere" in cancelled.message
    assert len((await world.crm.query("account")).records) == 2
    assert len(await world.couplings()) == 2


async def test_a_run_finding_the_lease_held_returns_at_once(world: World) -> None:
    await world.store(party())
    world.erp.seed("customer", [CONTOSO])
    leases = LeaseRepository(world.services.db)
    assert await leases.acquire(sync_lease("PARTY"), "someone-else", seconds=60)
    world.reset_calls()

    run = await world.run()

    assert run.status is RunStatus.CANCELLED
    assert "someone-else" in (run.message or "")
    assert sum(world.erp.calls.values()) + sum(world.crm.calls.values()) == 0
    await leases.release(sync_lease("PARTY"), "someone-else")
    assert (await world.run()).status is RunStatus.SUCCEEDED


async def test_a_batch_costs_the_same_round_trips_for_one_record_or_many(world: World) -> None:
    await world.store(party())
    world.erp.seed("customer", [{"number": f"C{i:03d}", "displayName": f"N{i}"} for i in range(60)])
    await world.run()
    customers = (await world.erp.query("customer", page=None)).records
    for record in customers[:3]:
        await world.erp.update("customer", record.id, {"email": f"{record.id}@x.example"})
    world.reset_calls()
    await world.run()
    few = dict(world.erp.calls), dict(world.crm.calls)

    await world.run()  # the echo of those writes
    for record in customers:
        await world.erp.update("customer", record.id, {"email": f"{record.id}@y.example"})
    world.reset_calls()
    await world.run()
    many = dict(world.erp.calls), dict(world.crm.calls)

    assert few == many
    assert many[1]["write_many"] == 1
    assert many[1].get("update", 0) == 0


async def test_sync_only_coupled_leaves_uncoupled_records_alone(world: World) -> None:
    await world.store(party(sync_only_coupled=True))
    world.erp.seed("customer", [CONTOSO])

    run = await world.run()

    assert run.counters.skipped == 1
    assert (await world.crm.query("account")).records == []


async def test_the_first_run_couples_what_it_finds_then_only_coupled_records_cross(
    world: World,
) -> None:
    """A mapping's first run reads every record: counterparts found by key are coupled, as a
    full run's would be (the mappings depending on it can then start); later runs leave
    uncoupled records alone."""
    await world.store(party(sync_only_coupled=True))
    [customer] = world.erp.seed("customer", [CONTOSO])
    world.crm.seed("account", [{"name": "Contoso", "accountnumber": "C001"}])

    first = await world.run()

    assert (first.counters.coupled, first.counters.inserted) == (1, 0)
    assert [c.erp.id for c in await world.couplings()] == [customer.id]
    world.erp.seed("customer", [FABRIKAM])
    world.crm.seed("account", [{"name": "Fabrikam", "accountnumber": "C002"}])
    later = await world.run()
    assert (later.counters.coupled, later.counters.inserted) == (0, 0)
    assert later.counters.skipped == 2
    assert len(await world.couplings()) == 1


async def test_tokens_advance_only_past_applied_batches(world: World) -> None:
    await world.store(party())
    world.erp.seed("customer", [CONTOSO])
    await world.run()
    tokens = await JobQueueTokens(world.services.db).tokens("PARTY")
    assert tokens["erp"] is not None
    assert tokens["crm"] is not None

    class UnavailableError(Exception):
        pass

    original = world.crm.write_many

    async def failing(*args: object, **kwargs: object) -> object:
        raise UnavailableError

    await world.erp.update("customer", (await world.couplings())[0].erp.id, {"email": "x@y.z"})
    world.crm.write_many = failing  # type: ignore[method-assign]
    with pytest.raises(UnavailableError):
        await world.run()
    assert await JobQueueTokens(world.services.db).tokens("PARTY") == tokens
    world.crm.write_many = original  # type: ignore[method-assign]
    run = await world.run()
    assert run.counters.modified == 1


async def test_a_coupling_made_by_hand_is_synchronized_by_the_next_change(world: World) -> None:
    await world.store(party())
    [customer] = world.erp.seed("customer", [CONTOSO])
    [account] = world.crm.seed("account", [{"name": "Contoso", "accountnumber": "C001"}])
    await world.services.couplings.couple(
        "PARTY",
        CoupledRecord("business_central", "customer", customer.id),
        CoupledRecord("dataverse", "account", account.id),
    )
    run = await world.run()
    assert run.counters.inserted == 0
    crm_after = (await world.crm.get_many("account", [account.id]))[account.id]
    assert crm_after.values["emailaddress1"] == "a@contoso.example"

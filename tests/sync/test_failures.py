"""Deletions by policy, records that cannot synchronize yet (dependencies), repeated failures
that mark a coupling SKIPPED, and retrying sync errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from gateway.mappings.health import log_stored_mapping_problems
from gateway.mappings.model import (
    DeletionPolicy,
    Direction,
    Lookup,
    LookupBy,
    MappingDirection,
    TableMapping,
)
from gateway.refusals import RefusalCode, RefusalError
from gateway.store.couplings import CoupledRecord, CouplingState
from gateway.store.sync_errors import RecordFailure
from gateway.store.sync_runs import RunStatus, SyncRunRepository
from gateway.sync.bulk_now import plan_synchronize_records
from gateway.sync.full import start_full_synchronization
from gateway.sync.now import synchronize_now
from gateway.sync.retry import retry_sync_error
from gateway.sync.retrying import due_errors, retry_delay
from tests.sync.conftest import World, party, row

OWNERS = TableMapping(
    name="OWNERS",
    erp_entity="salesperson",
    crm_entity="user",
    direction=MappingDirection.FROM_CRM,
    erp_key_field="code",
    crm_key_field="internalemailaddress",
    fields=(row("email", "internalemailaddress", MappingDirection.FROM_CRM),),
)


def owned_party() -> TableMapping:
    owner = row(
        "salespersonCode",
        "_ownerid_value",
        lookup=Lookup(mapping="OWNERS", erp_by=LookupBy.KEY, crm_by=LookupBy.ID),
    )
    return party(depends_on=("OWNERS",), fields=(*party().fields, owner))


async def couple_owner(world: World, code: str, user: str) -> None:
    await world.services.couplings.couple(
        "OWNERS",
        CoupledRecord("business_central", "salesperson", f"sp-{code}", key=code),
        CoupledRecord("dataverse", "user", user),
    )


@pytest.fixture
async def owned(world: World) -> World:
    world.erp.seed("salesperson", [])
    world.crm.seed("user", [])
    await world.store(OWNERS, owned_party())
    return world


@pytest.mark.parametrize(
    ("policy", "account_left", "customer_left"),
    [
        (DeletionPolicy.UNCOUPLE, True, True),
        (DeletionPolicy.DELETE, False, True),
    ],
)
async def test_an_erp_deletion_uncouples_or_deletes_per_the_policy(
    world: World, policy: DeletionPolicy, account_left: bool, customer_left: bool
) -> None:
    await world.store(party(deletion_policy=policy))
    [customer] = world.erp.seed("customer", [{"number": "C1", "displayName": "Gone soon"}])
    await world.run()
    [coupling] = await world.couplings()
    await world.run()

    await world.erp.delete("customer", customer.id)
    # The memory ERP reports deletions like Dataverse change tracking does.
    run = await world.run()

    assert run.counters.uncoupled == 1
    assert run.counters.deleted == (0 if account_left else 1)
    assert await world.couplings() == []
    accounts = await world.crm.get_many("account", [coupling.crm.id])
    assert (coupling.crm.id in accounts) is account_left
    entries, _ = await world.services.integration_log.page(None, 20)
    uncoupled = [e for e in entries if e.operation == "uncouple"]
    assert len(uncoupled) == 1
    assert uncoupled[0].details["erp_id"] == customer.id
    assert customer.id in uncoupled[0].details["reason"]
    if not account_left:
        assert [e.target.id for e in entries if e.operation == "delete" and e.target] == [
            coupling.crm.id
        ]


async def test_an_ignored_deletion_keeps_the_coupling_and_says_so(world: World) -> None:
    await world.store(party(deletion_policy=DeletionPolicy.IGNORE))
    world.erp.seed("customer", [{"number": "C1", "displayName": "Kept"}])
    await world.run()
    [coupling] = await world.couplings()
    await world.crm.delete("account", coupling.crm.id)

    run = await world.run()

    assert run.counters.uncoupled == 0
    assert len(await world.couplings()) == 1
    [error] = await world.errors()
    assert error.code == "DELETED"
    assert "IGNORE" in error.message


async def test_a_missing_dependency_fails_the_record_naming_what_to_couple(
    owned: World,
) -> None:
    world = owned
    [customer] = world.erp.seed(
        "customer", [{"number": "C1", "displayName": "Owned", "salespersonCode": "JR"}]
    )

    run = await world.run()

    assert run.counters.failed == 1
    assert (await world.crm.query("account")).records == []
    [error] = await world.errors()
    assert error.code == "DEPENDENCY_NOT_COUPLED"
    assert "couple OWNERS first" in error.message
    assert error.erp_id == customer.id

    await couple_owner(world, "JR", "user-1")
    retried = await retry_sync_error(world.services, error.id, actor="test")

    assert retried.refusal is None
    assert retried.run.counters.inserted == 1
    [account] = (await world.crm.query("account")).records
    assert account.values["_ownerid_value"] == "user-1"
    assert await world.errors() == []
    again = await world.run()  # the creation's echo: nothing more to do
    assert again.counters.inserted == 0
    assert again.counters.failed == 0


async def test_repeated_failures_mark_the_coupling_skipped_until_someone_retries(
    owned: World,
) -> None:
    world = owned
    await couple_owner(world, "JR", "user-1")
    [customer] = world.erp.seed(
        "customer", [{"number": "C1", "displayName": "Owned", "salespersonCode": "JR"}]
    )
    await world.run()
    await world.run()
    attempts = []
    for index in range(3):
        await world.erp.update(
            "customer", customer.id, {"salespersonCode": "ZZ", "email": f"{index}@x.example"}
        )
        run = await world.run()
        attempts.append(run.counters.failed)
    assert attempts == [1, 1, 1]
    [coupling] = await world.couplings()
    assert coupling.state is CouplingState.SKIPPED
    [error] = await world.errors()
    assert error.attempts == 3

    await world.erp.update("customer", customer.id, {"email": "again@x.example"})
    left_alone = await world.run()
    assert (left_alone.counters.skipped, left_alone.counters.failed) == (1, 0)

    with pytest.raises(RefusalError) as refused:
        await synchronize_now(
            world.services,
            "PARTY",
            erp_id=None,
            crm_id="nope",
            direction=Direction.TO_CRM,
            actor="test",
        )
    assert refused.value.code is RefusalCode.NOT_COUPLED
    failed = await synchronize_now(
        world.services,
        "PARTY",
        erp_id=customer.id,
        crm_id=None,
        direction=Direction.TO_CRM,
        actor="test",
    )
    assert failed.refusal is not None
    assert failed.refusal.code is RefusalCode.DEPENDENCY_NOT_COUPLED
    assert failed.run.status is RunStatus.FAILED

    await couple_owner(world, "ZZ", "user-2")
    done = await synchronize_now(
        world.services,
        "PARTY",
        erp_id=customer.id,
        crm_id=None,
        direction=Direction.TO_CRM,
        actor="test",
    )
    assert done.refusal is None
    [coupling] = await world.couplings()
    assert coupling.state is CouplingState.COUPLED
    account = (await world.crm.get_many("account", [coupling.crm.id]))[coupling.crm.id]
    assert account.values["_ownerid_value"] == "user-2"
    assert account.values["emailaddress1"] == "again@x.example"
    assert await world.errors() == []


async def test_a_counterpart_that_vanished_is_uncoupled_and_logged(world: World) -> None:
    await world.store(party())
    [customer] = world.erp.seed("customer", [{"number": "C1", "displayName": "Here"}])
    await world.run()
    [coupling] = await world.couplings()
    await world.run()
    # Gone without a trace in the change feed (as in a system without deletion tracking).
    del world.crm._tables["account"].rows[coupling.crm.id]
    await world.erp.update("customer", customer.id, {"email": "x@here.example"})

    run = await world.run()

    assert run.counters.uncoupled == 1
    assert await world.couplings() == []
    entries, _ = await world.services.integration_log.page(None, 10)
    assert any(
        e.operation == "uncouple" and "no longer exists" in e.details["reason"] for e in entries
    )


async def test_synchronize_now_refuses_bad_requests_before_writing(world: World) -> None:
    await world.store(party(direction=MappingDirection.TO_CRM))
    world.reset_calls()
    cases = [
        ("NOPE", "c", Direction.TO_CRM, RefusalCode.NOT_FOUND, ("mapping",)),
        ("PARTY", "c", Direction.FROM_CRM, RefusalCode.INVALID_INPUT, ("direction",)),
        ("PARTY", "c", Direction.TO_CRM, RefusalCode.NOT_COUPLED, ("erpId",)),
    ]
    for mapping, erp_id, direction, code, field in cases:
        with pytest.raises(RefusalError) as refused:
            await synchronize_now(
                world.services,
                mapping,
                erp_id=erp_id,
                crm_id=None,
                direction=direction,
                actor="test",
            )
        assert (refused.value.code, refused.value.field) == (code, field)
    assert world.writes() == 0
    runs, _ = await SyncRunRepository(world.services.db).page()
    assert runs == []


async def test_a_creation_that_loses_the_race_to_couple_is_deleted_again(world: World) -> None:
    await world.store(party())
    [customer] = world.erp.seed("customer", [{"number": "C1", "displayName": "Raced"}])
    [rival] = world.crm.seed("account", [{"name": "Coupled by someone else"}])
    send = world.crm.write_many

    async def create_then_lose_the_race(operations: Any, **options: Any) -> Any:
        results = await send(operations, **options)
        await world.services.couplings.couple(
            "PARTY",
            CoupledRecord("business_central", "customer", customer.id),
            CoupledRecord("dataverse", "account", rival.id),
        )
        return results

    world.crm.write_many = create_then_lose_the_race  # type: ignore[method-assign]
    run = await world.run()

    assert (run.counters.inserted, run.counters.skipped) == (0, 1)
    assert [r.id for r in (await world.crm.query("account")).records] == [rival.id]
    [coupling] = await world.couplings()
    assert coupling.crm.id == rival.id
    entries, _ = await world.services.integration_log.page(None, 20)
    removed = [e for e in entries if e.operation == "delete"]
    assert len(removed) == 1
    assert removed[0].details["reason"] == "created twice; coupled elsewhere"


async def test_stored_mappings_with_problems_are_logged_at_start_up(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    broken = party(fields=(row("displayName", "name", transform="shout"),))
    await world.store(broken)

    with caplog.at_level("WARNING", logger="gateway.mappings.health"):
        health = await log_stored_mapping_problems(
            world.services.mappings, erp=world.erp, crm=world.crm
        )

    assert health.runnable == []
    [line] = [r.getMessage() for r in caplog.records]
    assert "PARTY" in line
    assert "unknown transform 'shout'" in line
    run = await world.run()
    assert run.status is RunStatus.CANCELLED
    assert "shout" in (run.message or "")


@pytest.mark.parametrize("why", ["disabled", "unhealthy"])
async def test_no_entry_point_runs_a_mapping_that_may_not_run(world: World, why: str) -> None:
    """Synchronize Now (one record and many), retrying an error and full and incremental
    runs all ask the same guard: a disabled mapping, or one kept out of synchronization
    because it is broken (here: it depends on a mapping that does not exist), runs by none."""
    await world.store(party())
    [customer] = world.erp.seed("customer", [{"number": "C1", "displayName": "Kept"}])
    await world.run()
    [coupling] = await world.couplings()
    await world.services.sync_errors.record_many(
        [
            RecordFailure(
                mapping="PARTY",
                source_side="erp",
                erp_id=customer.id,
                crm_id=coupling.crm.id,
                message="failed once",
                code="REJECTED",
                direction="TO_CRM",
            )
        ],
        run_id=None,
    )
    [error] = await world.errors()
    if why == "disabled":
        await world.store(party().model_copy(update={"enabled": False}))
    else:
        await world.store(party(depends_on=("NOWHERE",)))  # a dependency that does not exist
    world.reset_calls()

    services = world.services
    attempts: dict[str, Callable[[], Awaitable[object]]] = {
        "synchronizeNow": lambda: synchronize_now(
            services,
            "PARTY",
            erp_id=customer.id,
            crm_id=None,
            direction=Direction.TO_CRM,
            actor="test",
        ),
        "synchronizeNow (many)": lambda: plan_synchronize_records(
            services,
            "PARTY",
            erp_ids=[customer.id],
            crm_ids=[],
            direction=Direction.TO_CRM,
            actor="test",
        ),
        "retrySyncError": lambda: retry_sync_error(services, error.id, actor="test"),
        "runFullSynchronization": lambda: start_full_synchronization(
            services, ["PARTY"], actor="test"
        ),
    }
    for name, attempt in attempts.items():
        with pytest.raises(RefusalError) as refused:
            await attempt()
        assert refused.value.code is RefusalCode.INVALID_INPUT, name
        assert "PARTY cannot run" in refused.value.message, name
    incremental = await world.run()
    assert incremental.status is RunStatus.CANCELLED
    assert world.writes() == 0


async def test_a_failed_record_is_due_again_after_a_delay_that_doubles(world: World) -> None:
    await world.store(party())
    failure = RecordFailure(
        mapping="PARTY",
        source_side="erp",
        erp_id="c-1",
        crm_id=None,
        message="the CRM refused it",
        code="REJECTED",
        direction="TO_CRM",
    )
    settings = world.services.settings
    for attempts in (1, 2, 3):
        await world.services.sync_errors.record_many([failure], run_id=None)
        [error] = await world.errors()
        assert error.attempts == attempts
        delay = retry_delay(settings, attempts)
        assert delay == timedelta(seconds=settings.sync_retry_base_seconds * 2 ** (attempts - 1))
        tried = error.updated_at
        early = await due_errors(world.services, "PARTY", now=tried + delay / 2)
        late = await due_errors(world.services, "PARTY", now=tried + delay)
        if attempts < settings.sync_skip_after_failures:
            assert (early, [e.id for e in late]) == ([], [error.id])
        else:  # tried as often as a coupling may fail: left for a person
            assert late == []

"""The couplings store against the real MongoDB wire server."""

from __future__ import annotations

import asyncio

import pytest

from gateway.services import Services
from gateway.store.couplings import (
    AlreadyCoupledError,
    CoupledRecord,
    CouplingChanges,
    CouplingRepository,
    CouplingState,
    Failed,
    Synced,
)

MAPPING = "CUSTOMER"


def erp(record_id: str, key: str | None = None) -> CoupledRecord:
    return CoupledRecord(system="business_central", entity="customer", id=record_id, key=key)


def crm(record_id: str) -> CoupledRecord:
    return CoupledRecord(system="dataverse", entity="account", id=record_id)


@pytest.fixture
def couplings(services: Services) -> CouplingRepository:
    return CouplingRepository(services.db)


async def test_couple_then_look_up_by_either_side_in_one_query(
    couplings: CouplingRepository,
) -> None:
    for n in range(5):
        await couplings.couple(MAPPING, erp(f"e{n}", key=f"C{n:04}"), crm(f"c{n}"))

    by_erp = await couplings.by_erp_ids(MAPPING, ["e1", "e3", "missing"])
    by_crm = await couplings.by_crm_ids(MAPPING, ["c4"])
    by_key = await couplings.by_keys(MAPPING, "erp", ["C0002"])

    assert {k: v.crm.id for k, v in by_erp.items()} == {"e1": "c1", "e3": "c3"}
    assert by_crm["c4"].erp.id == "e4"
    assert by_key["C0002"].crm.id == "c2"
    assert await couplings.by_erp_ids("CONTACT", ["e1"]) == {}


async def test_coupling_the_same_pair_twice_changes_nothing(couplings: CouplingRepository) -> None:
    first = await couplings.couple(MAPPING, erp("e1"), crm("c1"))
    again = await couplings.couple(MAPPING, erp("e1"), crm("c1"))
    assert first.created
    assert not again.created
    assert again.coupling.id == first.coupling.id
    assert await couplings.count(MAPPING) == 1


async def test_recoupling_replaces_the_old_couplings_and_says_which(
    couplings: CouplingRepository,
) -> None:
    await couplings.couple(MAPPING, erp("e1"), crm("c1"))
    await couplings.couple(MAPPING, erp("e2"), crm("c2"))

    result = await couplings.couple(MAPPING, erp("e1"), crm("c2"))

    assert sorted((c.erp.id, c.crm.id) for c in result.replaced) == [("e1", "c1"), ("e2", "c2")]
    assert (result.coupling.erp.id, result.coupling.crm.id) == ("e1", "c2")
    assert await couplings.count(MAPPING) == 1
    assert await couplings.by_erp_ids(MAPPING, ["e2"]) == {}


async def test_coupling_without_replacement_refuses_a_coupled_record(
    couplings: CouplingRepository,
) -> None:
    await couplings.couple(MAPPING, erp("e1"), crm("c1"))
    with pytest.raises(AlreadyCoupledError) as caught:
        await couplings.couple(MAPPING, erp("e1"), crm("c9"), replace_existing=False)
    assert caught.value.existing.crm.id == "c1"
    assert (await couplings.by_erp_ids(MAPPING, ["e1"]))["e1"].crm.id == "c1"


async def test_concurrent_couplings_of_one_record_leave_exactly_one(
    couplings: CouplingRepository,
) -> None:
    results = await asyncio.gather(
        *(couplings.couple(MAPPING, erp("e1"), crm(f"c{n}")) for n in range(8))
    )
    assert len(results) == 8
    assert await couplings.count(MAPPING) == 1
    survivor = (await couplings.by_erp_ids(MAPPING, ["e1"]))["e1"]
    assert survivor.crm.id in {f"c{n}" for n in range(8)}


async def test_uncouple_by_either_side(couplings: CouplingRepository) -> None:
    await couplings.couple(MAPPING, erp("e1"), crm("c1"))
    await couplings.couple(MAPPING, erp("e2"), crm("c2"))
    assert (await couplings.uncouple(MAPPING, crm_id="c1")) is not None
    assert (await couplings.uncouple(MAPPING, erp_id="e2")) is not None
    assert await couplings.uncouple(MAPPING, erp_id="e2") is None
    assert await couplings.count(MAPPING) == 0


async def test_repeated_failures_skip_a_coupling(couplings: CouplingRepository) -> None:
    coupling = (await couplings.couple(MAPPING, erp("e1"), crm("c1"))).coupling
    states = []
    for _ in range(3):
        failed = CouplingChanges(failed=[Failed(coupling, "the ERP refused the email")])
        await couplings.apply_changes(failed, skip_after=3)
        states.append((await couplings.get(coupling.id)).state)  # type: ignore[union-attr]
    assert states == [CouplingState.ERROR, CouplingState.ERROR, CouplingState.SKIPPED]
    stored = await couplings.get(coupling.id)
    assert stored is not None
    assert stored.error_count == 3
    assert stored.last_error == "the ERP refused the email"

    synced = Synced(stored, {"name": {"erp": "A", "crm": "A"}}, "TO_CRM")
    await couplings.apply_changes(CouplingChanges(synced=[synced]), skip_after=3)
    after = await couplings.get(coupling.id)
    assert after is not None
    assert (after.state, after.error_count) == (CouplingState.COUPLED, 0)


async def test_concurrent_failures_of_one_pair_all_count(couplings: CouplingRepository) -> None:
    """Batches failing the same pair at once (two workers, a run and a retry) each count:
    the count is increased where it is stored, not read and written back."""
    coupling = (await couplings.couple(MAPPING, erp("e1"), crm("c1"))).coupling
    batches = [CouplingChanges(failed=[Failed(coupling, f"failure {n}")]) for n in range(8)]
    await asyncio.gather(*(couplings.apply_changes(b, skip_after=100) for b in batches))
    stored = await couplings.get(coupling.id)
    assert stored is not None
    assert stored.error_count == 8
    assert stored.state is CouplingState.ERROR


async def test_a_page_after_a_cursor_that_is_not_a_coupling_id_is_refused(
    couplings: CouplingRepository,
) -> None:
    await couplings.couple(MAPPING, erp("e1"), crm("c1"))
    with pytest.raises(ValueError, match="after: not a coupling id"):
        await couplings.page(mapping=MAPPING, after_id="not-an-id")


async def test_pages_of_couplings_and_of_coupled_ids(couplings: CouplingRepository) -> None:
    for n in range(7):
        await couplings.couple(MAPPING, erp(f"e{n}"), crm(f"c{n}"))
    first, more = await couplings.page(mapping=MAPPING, size=4)
    second, more_after = await couplings.page(mapping=MAPPING, after_id=first[-1].id, size=4)
    assert (len(first), more, len(second), more_after) == (4, True, 3, False)
    ids, more_ids = await couplings.side_ids_page(MAPPING, "crm", after="c2", size=3)
    assert (ids, more_ids) == (["c3", "c4", "c5"], True)

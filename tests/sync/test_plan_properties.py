"""Properties of the merge and push planners, which decide every write of a synchronization:
whatever the two records and the last agreed values hold, a plan never writes a value the
target already has, planning again after applying a plan finds nothing to do, each conflict
policy picks the side it names, and MANUAL writes nothing when a field changed on both sides.

Pure functions, so these run in milliseconds against thousands of generated pairs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.mappings.model import (
    ConflictPolicy,
    Direction,
    FieldMapping,
    MappingDirection,
    TableMapping,
)
from gateway.mappings.translate import Lookups, values_equal
from gateway.sync.conflicts import MergePlan, PairState, plan_merge
from gateway.sync.plan import plan_push
from gateway.types import SideName

FIELDS = (("name", "name"), ("email", "emailaddress1"), ("city", "address1_city"))
VALUES = st.sampled_from([None, "", "Contoso", "Fabrikam", "Leeds", "a@b.example"])
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def mapping(policy: ConflictPolicy) -> TableMapping:
    return TableMapping(
        name="PAIRS",
        erp_entity="customer",
        crm_entity="account",
        direction=MappingDirection.BIDIRECTIONAL,
        conflict_policy=policy,
        fields=tuple(FieldMapping(erp_field=e, crm_field=c) for e, c in FIELDS),
    )


def side(values: list[Any], names: int) -> dict[str, Any]:
    return {FIELDS[i][names]: value for i, value in enumerate(values)}


records = st.lists(VALUES, min_size=len(FIELDS), max_size=len(FIELDS))
baselines = st.lists(
    st.one_of(st.none(), st.tuples(VALUES, VALUES)), min_size=len(FIELDS), max_size=len(FIELDS)
)
policies = st.sampled_from(list(ConflictPolicy))
readings = st.sampled_from(["erp", "crm"])
offsets = st.integers(min_value=-5, max_value=5)


def pair(erp: dict[str, Any], crm: dict[str, Any], offset: int) -> PairState:
    return PairState(erp, crm, EPOCH, EPOCH + timedelta(seconds=offset), Lookups(), Lookups())


def synced(baseline: list[tuple[Any, Any] | None]) -> dict[str, dict[str, Any]]:
    return {
        f"{erp}|{crm}": {"erp": agreed[0], "crm": agreed[1]}
        for (erp, crm), agreed in zip(FIELDS, baseline, strict=True)
        if agreed is not None
    }


def applied(values: dict[str, Any], written: dict[str, Any]) -> dict[str, Any]:
    return {**values, **written}


def merge(
    policy: ConflictPolicy,
    records: tuple[dict[str, Any], dict[str, Any]],
    baseline: dict[str, dict[str, Any]],
    *,
    offset: int,
    reading: str,
) -> MergePlan:
    erp, crm = records
    side: SideName = "erp" if reading == "erp" else "crm"
    return plan_merge(mapping(policy), pair(erp, crm, offset), baseline, reading=side)


@settings(max_examples=400, deadline=None)
@given(records, records, baselines, policies, offsets, readings)
def test_a_merge_never_writes_a_value_the_target_holds(  # noqa: PLR0917 - one per strategy
    erp_values: list[Any],
    crm_values: list[Any],
    baseline: list[tuple[Any, Any] | None],
    policy: ConflictPolicy,
    offset: int,
    reading: str,
) -> None:
    erp, crm = side(erp_values, 0), side(crm_values, 1)
    plan = merge(policy, (erp, crm), synced(baseline), offset=offset, reading=reading)
    for name, value in plan.to_crm.items():
        assert not values_equal(value, crm.get(name))
    for name, value in plan.to_erp.items():
        assert not values_equal(value, erp.get(name))


@settings(max_examples=400, deadline=None)
@given(records, records, baselines, policies, offsets, readings)
def test_planning_again_after_a_merge_finds_nothing_to_do(  # noqa: PLR0917 - one per strategy
    erp_values: list[Any],
    crm_values: list[Any],
    baseline: list[tuple[Any, Any] | None],
    policy: ConflictPolicy,
    offset: int,
    reading: str,
) -> None:
    erp, crm = side(erp_values, 0), side(crm_values, 1)
    plan = merge(policy, (erp, crm), synced(baseline), offset=offset, reading=reading)
    if not plan.ok:
        return  # MANUAL left it for a person: nothing was written, nothing is agreed
    erp_after, crm_after = applied(erp, plan.to_erp), applied(crm, plan.to_crm)
    for again_reading in ("erp", "crm"):
        again = merge(
            policy, (erp_after, crm_after), plan.baseline, offset=offset, reading=again_reading
        )
        assert not again.writes, (plan, again)
        assert not again.conflicts


@settings(max_examples=300, deadline=None)
@given(
    st.tuples(VALUES, VALUES, VALUES).filter(
        lambda v: (
            not values_equal(v[0], v[1])
            and not values_equal(v[0], v[2])
            and not values_equal(v[1], v[2])
            and v[0] not in (None, "")
            and v[1] not in (None, "")
        )
    ),
    policies,
    offsets,
    readings,
)
def test_a_field_changed_on_both_sides_goes_the_way_the_policy_names(
    values: tuple[Any, Any, Any], policy: ConflictPolicy, offset: int, reading: str
) -> None:
    erp_value, crm_value, before = values
    erp, crm = {"name": erp_value}, {"name": crm_value}
    baseline = {"name|name": {"erp": before, "crm": before}}
    plan = merge(policy, (erp, crm), baseline, offset=offset, reading=reading)
    assert [conflict.row for conflict in plan.conflicts] == ["name|name"]
    if policy is ConflictPolicy.MANUAL:
        assert not plan.writes
        assert plan.manual
        return
    crm_newer = offset > 0
    erp_wins = policy is ConflictPolicy.ERP_WINS or (
        policy is ConflictPolicy.NEWEST_WINS and not crm_newer
    )
    if erp_wins:
        assert (plan.to_crm, plan.to_erp) == ({"name": erp_value}, {})
    else:
        assert (plan.to_erp, plan.to_crm) == ({"name": crm_value}, {})


@settings(max_examples=400, deadline=None)
@given(records, records, baselines, st.sampled_from(list(Direction)))
def test_a_push_writes_only_differences_and_once(
    erp_values: list[Any],
    crm_values: list[Any],
    baseline: list[tuple[Any, Any] | None],
    direction: Direction,
) -> None:
    erp, crm = side(erp_values, 0), side(crm_values, 1)
    source, target = (erp, crm) if direction is Direction.TO_CRM else (crm, erp)
    table = mapping(ConflictPolicy.MANUAL)
    plan = plan_push(table, direction, source, target, Lookups(), previous=synced(baseline))
    for name, value in plan.changes.items():
        assert not values_equal(value, target.get(name))
    after = applied(target, plan.changes)
    to_crm = direction is Direction.TO_CRM
    for erp_field, crm_field in FIELDS:  # the target now holds what the source holds
        source_field, target_field = (erp_field, crm_field) if to_crm else (crm_field, erp_field)
        assert values_equal(after.get(target_field), source.get(source_field))
    again = plan_push(table, direction, source, after, Lookups(), previous=plan.baseline)
    assert again.changes == {}
    assert again.baseline == plan.baseline

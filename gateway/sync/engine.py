"""Applying one batch of changes read from one side: the unit every run is made of.

For a batch, whatever its size, the engine makes a constant number of round trips: one
coupling query, one read of the other side's counterparts, (for uncoupled records it may
create) one error query, one key query and one id query, one coupling query per lookup row
and direction, one bulk write per system, one insert and one bulk write of couplings, one
append to the integration log and one write of sync errors. Never one per record.

Per record it decides (and counts) one of: unchanged, modified (per side written), inserted
(a counterpart created), coupled (an existing counterpart found by key or id), skipped (a
SKIPPED coupling, or an uncoupled record the run does not create), failed (a sync error says
why); and for deletions: uncoupled, or deleted, per the mapping's deletion policy.

`apply` raises `BatchInterruptedError` when the other system was unavailable for part of the
batch: what was written is kept and recorded, and the caller must not advance its token, so
that the batch is read again; every step is idempotent, so that is safe.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from adapters.base import Record
from adapters.errors import ConnectorError, RetriableError
from gateway.mappings.model import DeletionPolicy, Direction, TableMapping
from gateway.mappings.translate import Lookups, resolve_lookups, values_equal
from gateway.store.couplings import Coupling, CouplingState
from gateway.store.sync_errors import RecordFailure, SyncErrorRepository
from gateway.store.sync_runs import Counters
from gateway.sync.batch import (
    Batch,
    DeleteWork,
    PairWork,
    flow_from,
    other_side,
    problem_code,
    problem_details,
)
from gateway.sync.conflicts import MergePlan, PairState, plan_merge
from gateway.sync.context import SyncContext
from gateway.sync.creation import Creation, Matches
from gateway.sync.plan import PushPlan, plan_push
from gateway.sync.writes import send_writes, settle_delete, settle_pair
from gateway.types import SideName


class BatchInterruptedError(Exception):
    """The other system refused part of the batch for now; read the batch again later."""

    def __init__(self, error: RetriableError) -> None:
        super().__init__(f"upstream unavailable: {error}")
        self.error = error


# Plans a forced push for one pair: (source, target, coupling, lookups) -> what to write.
Planner = Callable[[Record, Record, Coupling, Lookups], PushPlan]


@dataclass(frozen=True, slots=True)
class Applied:
    """What one batch did: the counters, the records that failed, and for a push the fields
    written to each pair's target, by the pair's ERP id (empty: it already agreed)."""

    counters: Counters
    failures: list[RecordFailure] = field(default_factory=list)
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The system's own error for each pair of a push whose write it refused.
    write_errors: dict[str, ConnectorError] = field(default_factory=dict)

    def failure_of(self, erp_id: str) -> RecordFailure | None:
        return next((f for f in self.failures if f.erp_id == erp_id), None)


class SyncEngine:
    """Applies change batches of one mapping. `create` says whether uncoupled records get a
    counterpart (a full synchronization: always; an incremental run: unless the mapping
    synchronizes coupled records only)."""

    def __init__(
        self,
        ctx: SyncContext,
        errors: SyncErrorRepository,
        mapping: TableMapping,
        *,
        create: bool,
        skip_after: int,
        run_id: str | None,
        retrying: bool = False,
        couple_existing: bool = False,
        stop_on_outage: bool = True,
    ) -> None:
        """`create`: uncoupled records get a counterpart, found (by key or derived id) or
        created; `couple_existing` alone: found and coupled, never created (a full run of a
        mapping that synchronizes coupled records only). `retrying`: a person (or the retry
        of failed records) asks for these records, so those whose creation failed too often
        are tried again too. `stop_on_outage`: a write the other system refused for now
        stops the batch (read again later); without, it is a failed record like any other,
        and the run goes on (a full run, whose failed records the scheduled runs retry)."""
        ctx = ctx.for_mapping(mapping)
        self.ctx = ctx
        self.mapping = mapping
        self.run_id = run_id
        self.skip_after = skip_after
        self.errors = errors
        self.create = create and mapping.coupled_through is None
        self.couple_existing = (create or couple_existing) and mapping.coupled_through is None
        self.stop_on_outage = stop_on_outage
        self.creation = Creation(ctx, mapping, errors, skip_after=None if retrying else skip_after)
        # Records that failed earlier in this run: a pair changed on both sides comes in both
        # sides' changes, and must fail (and count) once per run, not once per side.
        self.failed: set[str] = set()

    async def apply(
        self, side: SideName, upserts: Sequence[Record], deleted_ids: Sequence[str] = ()
    ) -> Applied:
        batch = Batch(self.mapping, self.ctx.actor, self.run_id)
        records = [
            record
            for record in upserts
            if self._included(side, record) and f"{side}:{record.id}" not in self.failed
        ]
        if records:
            await self._plan_records(batch, side, records)
        if deleted_ids and self.mapping.coupled_through is None:
            await self._plan_deletions(batch, side, list(dict.fromkeys(deleted_ids)))
        await send_writes(self.ctx, batch)
        for work in batch.pairs:
            settle_pair(batch, work)
        for delete in batch.deletes:
            settle_delete(batch, delete)
        await self.creation.settle(batch)
        await self._record(batch)
        self.failed.update(f"erp:{f.erp_id}" for f in batch.failures if f.erp_id is not None)
        self.failed.update(f"crm:{f.crm_id}" for f in batch.failures if f.crm_id is not None)
        if batch.interrupted is not None and self.stop_on_outage:
            raise BatchInterruptedError(batch.interrupted)
        return Applied(batch.counters, batch.failures)

    async def push(
        self,
        direction: Direction,
        couplings: Sequence[Coupling],
        *,
        planner: Planner | None = None,
        read: tuple[dict[str, Record], dict[str, Record]] | None = None,
    ) -> Applied:
        """Make the target side of each coupled pair agree with its source side, whatever
        changed where (Synchronize Now, a retry, statistics): the same batch as `apply`, with
        the plan forced in `direction` instead of merged. A SKIPPED coupling is taken up
        again; only fields that differ are written. `planner` replaces the mapping's rows
        (payment status computes what to write); `read` gives both sides' records (by id)
        when the caller has just read them."""
        batch = Batch(self.mapping, self.ctx.actor, self.run_id)
        mapping, source_side = self.mapping, direction.source
        erp_records, crm_records = read or await asyncio.gather(
            self.ctx.erp.get_many(mapping.erp_entity, [c.erp.id for c in couplings]),
            self.ctx.crm.get_many(mapping.crm_entity, [c.crm.id for c in couplings]),
        )
        found: list[tuple[Coupling, Record, Record]] = []
        for coupling in couplings:
            erp, crm = erp_records.get(coupling.erp.id), crm_records.get(coupling.crm.id)
            if erp is not None and crm is not None:
                source, target = (erp, crm) if direction is Direction.TO_CRM else (crm, erp)
                found.append((coupling, source, target))
                continue
            gone = [("ERP", mapping.erp_entity, coupling.erp.id)] if erp is None else []
            gone += [("CRM", mapping.crm_entity, coupling.crm.id)] if crm is None else []
            missing = " and ".join(f"the {side} {entity} {ident}" for side, entity, ident in gone)
            batch.fail(
                source_side,
                coupling=coupling,
                message=f"{missing} no longer exists",
                code="NOT_FOUND",
                direction=direction.value,
                erp_id=coupling.erp.id,
                crm_id=coupling.crm.id,
            )
        lookups = Lookups()
        if planner is None:
            lookups = await resolve_lookups(
                mapping, direction, [source.values for _, source, _ in found], self.ctx.couplings
            )

        def by_rows(source: Record, target: Record, coupling: Coupling, found: Lookups) -> PushPlan:
            return plan_push(
                mapping,
                direction,
                source.values,
                target.values,
                found,
                previous=coupling.synced_values,
            )

        for coupling, source, target in found:
            plan = (planner or by_rows)(source, target, coupling, lookups)
            if plan.problems:
                batch.fail(
                    source_side,
                    coupling=coupling,
                    message="; ".join(p.message for p in plan.problems),
                    code=problem_code(plan.problems),
                    direction=direction.value,
                    erp_id=coupling.erp.id,
                    crm_id=coupling.crm.id,
                    details=problem_details(plan.problems),
                )
                continue
            to_crm = direction is Direction.TO_CRM
            merged = MergePlan(
                to_erp={} if to_crm else plan.changes,
                to_crm=plan.changes if to_crm else {},
                baseline=plan.baseline,
            )
            batch.pairs.append(PairWork(source, target, coupling, merged, source_side))
        await send_writes(self.ctx, batch)
        for work in batch.pairs:
            settle_pair(batch, work)
        await self._record(batch)
        if batch.interrupted is not None:
            raise BatchInterruptedError(batch.interrupted)
        failed = {f.erp_id for f in batch.failures}
        return Applied(
            batch.counters,
            batch.failures,
            changes={
                work.coupling.erp.id: dict(work.plan.to_crm or work.plan.to_erp)
                for work in batch.pairs
                if work.coupling.erp.id not in failed
            },
            write_errors={
                work.coupling.erp.id: work.error for work in batch.pairs if work.error is not None
            },
        )

    def _included(self, side: SideName, record: Record) -> bool:
        mapping, write_in = self.mapping, self.ctx.write_in
        if side == "erp" and write_in is not None and mapping.erp_entity == write_in[0]:
            key = record.get(mapping.erp_key_field) if mapping.erp_key_field else None
            if values_equal(key, write_in[1]):
                return False
        wanted = mapping.erp_filter if side == "erp" else mapping.crm_filter
        return all(values_equal(record.get(name), value) for name, value in wanted.items())

    async def _plan_records(self, batch: Batch, side: SideName, records: list[Record]) -> None:
        mapping, target_side = self.mapping, other_side(side)
        couplings = await self.ctx.couplings.by_ids(
            mapping.coupling_mapping, side, [r.id for r in records]
        )
        pairs = [
            (r, couplings[r.id])
            for r in records
            if r.id in couplings
            and f"{target_side}:{couplings[r.id].side(target_side).id}" not in self.failed
        ]
        batch.counters.skipped += sum(1 for _, c in pairs if c.state is CouplingState.SKIPPED)
        pairs = [(r, c) for r, c in pairs if c.state is not CouplingState.SKIPPED]
        uncoupled = [r for r in records if r.id not in couplings]
        others: dict[str, Record] = {}
        if pairs:
            others = await self.ctx.connector(target_side).get_many(
                mapping.entity_of(target_side), [c.side(target_side).id for _, c in pairs]
            )
        matches = Matches()
        if uncoupled and self.couple_existing and mapping.direction.allows(flow_from(side)):
            matches = await self.creation.match(batch, side, uncoupled)
            if not self.create:  # found ones are coupled; the others wait to be coupled
                batch.counters.skipped += len(matches.to_create)
                matches.to_create = []
        elif uncoupled:
            batch.counters.skipped += len(uncoupled)
        known = [
            (record, others[coupling.side(target_side).id], coupling)
            for record, coupling in pairs
            if coupling.side(target_side).id in others
        ]
        known += matches.coupled
        to_crm, to_erp = await self._lookups(side, known, matches.to_create)
        for _, coupling in pairs:
            if coupling.side(target_side).id not in others:
                self._counterpart_gone(batch, side, coupling)
        for record, other, coupling in known:
            self._plan_pair(batch, side, (record, other), coupling, (to_crm, to_erp))
        for record in matches.to_create:
            self.creation.plan(batch, side, record, to_crm if side == "erp" else to_erp)

    async def _lookups(
        self,
        side: SideName,
        known: list[tuple[Record, Record, Coupling]],
        to_create: list[Record],
    ) -> tuple[Lookups, Lookups]:
        """References of the batch, both ways: one coupling query per lookup row each."""
        erp = [(s if side == "erp" else o).values for s, o, _ in known]
        crm = [(s if side == "crm" else o).values for s, o, _ in known]
        (erp if side == "erp" else crm).extend(r.values for r in to_create)
        to_crm, to_erp = await asyncio.gather(
            resolve_lookups(self.mapping, Direction.TO_CRM, erp, self.ctx.couplings),
            resolve_lookups(self.mapping, Direction.FROM_CRM, crm, self.ctx.couplings),
        )
        return to_crm, to_erp

    def _plan_pair(
        self,
        batch: Batch,
        side: SideName,
        records: tuple[Record, Record],
        coupling: Coupling,
        lookups: tuple[Lookups, Lookups],
    ) -> None:
        source, other = records
        erp, crm = (source, other) if side == "erp" else (other, source)
        pair = PairState(erp.values, crm.values, erp.modified_on, crm.modified_on, *lookups)
        plan = plan_merge(self.mapping, pair, coupling.synced_values, reading=side)
        if plan.problems:
            batch.fail(
                side,
                coupling=coupling,
                message="; ".join(p.message for p in plan.problems),
                code=problem_code(plan.problems),
                direction=flow_from(side).value,
                erp_id=erp.id,
                crm_id=crm.id,
                details=problem_details(plan.problems),
            )
        elif plan.manual:
            unsettled = [c for c in plan.conflicts if c.winner is None]
            batch.fail(
                side,
                coupling=coupling,
                message="changed on both sides since the last synchronization ("
                + "; ".join(c.describe() for c in unsettled)
                + "); nothing was written: choose a direction with synchronizeNow",
                code="CONFLICT",
                direction=None,
                erp_id=erp.id,
                crm_id=crm.id,
                details={
                    "conflicts": [
                        {"row": c.row, "erp": c.erp, "crm": c.crm, "synced": c.baseline}
                        for c in unsettled
                    ]
                },
            )
        else:
            batch.pairs.append(PairWork(source, other, coupling, plan, side))

    def _counterpart_gone(self, batch: Batch, side: SideName, coupling: Coupling) -> None:
        """The coupled record on the other side no longer exists."""
        target_side = other_side(side)
        what = (
            f"the {target_side.upper()} {self.mapping.entity_of(target_side)} "
            f"{coupling.side(target_side).id}"
        )
        if self.mapping.deletion_policy is DeletionPolicy.IGNORE:
            batch.fail(
                side,
                coupling=None,
                message=f"{what} no longer exists; the coupling is kept (deletion policy IGNORE)",
                code="NOT_FOUND",
                direction=flow_from(side).value,
                erp_id=coupling.erp.id,
                crm_id=coupling.crm.id,
            )
        else:
            batch.uncouple(coupling, side, reason=f"{what} no longer exists")

    async def _plan_deletions(self, batch: Batch, side: SideName, deleted: list[str]) -> None:
        mapping, target_side = self.mapping, other_side(side)
        couplings = await self.ctx.couplings.by_ids(mapping.coupling_mapping, side, deleted)
        batch.cleared[side].update(deleted)
        what = f"the {side.upper()} {mapping.entity_of(side)}"
        if mapping.deletion_policy is DeletionPolicy.IGNORE:
            for coupling in couplings.values():
                batch.fail(
                    target_side,
                    coupling=None,
                    message=f"{what} {coupling.side(side).id} was deleted; its coupling and the "
                    f"{target_side.upper()} record are kept (deletion policy IGNORE)",
                    code="DELETED",
                    direction=None,
                    erp_id=coupling.erp.id,
                    crm_id=coupling.crm.id,
                )
            return
        deleting = mapping.deletion_policy is DeletionPolicy.DELETE and mapping.direction.allows(
            flow_from(side)
        )
        targets: dict[str, Record] = {}
        if deleting and couplings:
            targets = await self.ctx.connector(target_side).get_many(
                mapping.entity_of(target_side),
                [c.side(target_side).id for c in couplings.values()],
            )
        for source_id, coupling in couplings.items():
            record = targets.get(coupling.side(target_side).id)
            if record is not None:
                batch.deletes.append(DeleteWork(coupling, record, target_side))
            else:
                batch.uncouple(coupling, target_side, reason=f"{what} {source_id} was deleted")

    async def _record(self, batch: Batch) -> None:
        """The batch's traces: couplings, sync errors, log entries; written together."""
        failed_erp = {f.erp_id for f in batch.failures}
        failed_crm = {f.crm_id for f in batch.failures}
        await asyncio.gather(
            self.ctx.couplings.apply_changes(
                batch.couplings,
                owns=self.mapping.coupled_through is None,
                skip_after=self.skip_after,
            ),
            self.errors.record_many(batch.failures, run_id=self.run_id),
            self.errors.clear(
                self.mapping.name,
                erp_ids=batch.cleared["erp"] - failed_erp,
                crm_ids=batch.cleared["crm"] - failed_crm,
            ),
            self.ctx.log.append_many(batch.log),
        )

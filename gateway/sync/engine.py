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
from collections.abc import Sequence

from pymongo.asynchronous.database import AsyncDatabase

from adapters.base import Record
from adapters.errors import RetriableError
from gateway.mappings.model import DeletionPolicy, Direction, TableMapping
from gateway.mappings.translate import Lookups, resolve_lookups, values_equal
from gateway.store.couplings import Coupling, CouplingState
from gateway.store.sync_errors import SyncErrorRepository
from gateway.store.sync_runs import Counters
from gateway.sync.batch import (
    Batch,
    DeleteWork,
    PairWork,
    flow_from,
    other_side,
    problem_code,
)
from gateway.sync.conflicts import PairState, plan_merge
from gateway.sync.context import SyncContext
from gateway.sync.coupling_batch import CouplingBatch
from gateway.sync.creation import Creation, Matches
from gateway.sync.writes import send_writes, settle_delete, settle_pair
from gateway.types import Document, SideName


class BatchInterruptedError(Exception):
    """The other system refused part of the batch for now; read the batch again later."""

    def __init__(self, error: RetriableError) -> None:
        super().__init__(f"upstream unavailable: {error}")
        self.error = error


class SyncEngine:
    """Applies change batches of one mapping. `create` says whether uncoupled records get a
    counterpart (a full synchronization: always; an incremental run: unless the mapping
    synchronizes coupled records only)."""

    def __init__(
        self,
        ctx: SyncContext,
        db: AsyncDatabase[Document],
        mapping: TableMapping,
        *,
        create: bool,
        skip_after: int,
        run_id: str | None,
    ) -> None:
        self.ctx = ctx
        self.mapping = mapping
        self.run_id = run_id
        self.skip_after = skip_after
        self.errors = SyncErrorRepository(db)
        self.couplings = CouplingBatch(
            db, mapping.coupling_mapping, owns=mapping.coupled_through is None
        )
        self.create = create and mapping.coupled_through is None
        self.creation = Creation(ctx, mapping, self.couplings, self.errors, skip_after)
        # Records that failed earlier in this run: a pair changed on both sides comes in both
        # sides' changes, and must fail (and count) once per run, not once per side.
        self.failed: set[str] = set()

    async def apply(
        self, side: SideName, upserts: Sequence[Record], deleted_ids: Sequence[str] = ()
    ) -> Counters:
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
        if batch.interrupted is not None:
            raise BatchInterruptedError(batch.interrupted)
        return batch.counters

    def _included(self, side: SideName, record: Record) -> bool:
        wanted = self.mapping.erp_filter if side == "erp" else self.mapping.crm_filter
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
        if uncoupled and self.create and mapping.direction.allows(flow_from(side)):
            matches = await self.creation.match(batch, side, uncoupled)
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
                details={"rows": [p.row for p in plan.problems]},
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
            self.couplings.apply(batch.couplings, skip_after=self.skip_after),
            self.errors.record_many(batch.failures, run_id=self.run_id),
            self.errors.clear(
                self.mapping.name,
                erp_ids=batch.cleared["erp"] - failed_erp,
                crm_ids=batch.cleared["crm"] - failed_crm,
            ),
            self.ctx.log.append_many(batch.log),
        )

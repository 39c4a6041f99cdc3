"""Uncoupled records: couple the counterpart they already have, or create one.

Before anything is created, existing counterparts are looked for by natural key and by the
id the gateway gives what it creates (`gateway.sync.matching`), and those found are coupled
at once (so nothing is written to a record someone else is coupling). Creations then go out
with the other writes of the batch; their couplings are inserted together afterwards, and a
creation whose source was coupled by someone else in between is deleted again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from adapters.base import Connector, Record
from gateway.mappings.model import TableMapping
from gateway.mappings.translate import Lookups
from gateway.mappings.validation import side_label
from gateway.store.couplings import Coupling, NewCoupling, Synced
from gateway.store.sync_errors import SyncErrorRepository
from gateway.sync.backfill import agreed, backfill
from gateway.sync.batch import (
    Batch,
    CreateWork,
    error_code,
    flow_from,
    other_side,
    problem_code,
    problem_details,
)
from gateway.sync.context import SyncContext
from gateway.sync.matching import (
    chooses_ids,
    counterpart_id,
    key_match,
    normal_key,
    records_by_key,
)
from gateway.sync.pairs import coupled_record
from gateway.sync.plan import plan_create
from gateway.sync.writes import remove_orphans
from gateway.types import SideName


@dataclass(slots=True)
class Matches:
    coupled: list[tuple[Record, Record, Coupling]] = field(default_factory=list)
    to_create: list[Record] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Creation:
    """What creating counterparts needs besides the batch."""

    ctx: SyncContext
    mapping: TableMapping
    errors: SyncErrorRepository
    skip_after: int | None  # None: records whose creation failed before are tried anyway

    async def match(self, batch: Batch, side: SideName, uncoupled: list[Record]) -> Matches:
        """Couple the counterparts that exist; return them and the records that need one."""
        mapping, target_side = self.mapping, other_side(side)
        target = self.ctx.connector(target_side)
        entity = mapping.entity_of(target_side)
        records = await self._not_given_up(batch, side, uncoupled)
        found, unclear = await self._by_key(batch, side, records, (target, entity))
        generated = {
            r.id: counterpart_id(mapping, flow_from(side), r.id)
            for r in records
            if r.id not in found and r.id not in unclear and chooses_ids(target)
        }
        if generated:
            earlier = await target.get_many(entity, list(generated.values()))
            found.update({s: earlier[t] for s, t in generated.items() if t in earlier})
        taken = await self.ctx.couplings.by_ids(
            mapping.coupling_mapping, target_side, [r.id for r in found.values()]
        )
        matches = Matches()
        pending: list[tuple[Record, Record]] = []
        for record in records:
            counterpart = found.get(record.id)
            if record.id in unclear:
                continue
            if counterpart is None:
                matches.to_create.append(record)
            elif counterpart.id in taken:
                holder = taken[counterpart.id].side(side).id
                batch.fail_uncoupled(
                    side,
                    record,
                    f"its {target_side.upper()} counterpart {counterpart.id} (same key) is "
                    f"coupled to {side.upper()} record {holder}",
                    "ALREADY_COUPLED",
                )
            else:
                pending.append((record, counterpart))
        stored = await self.ctx.couplings.insert_new(
            mapping.coupling_mapping,
            [
                NewCoupling(
                    erp=coupled_record(mapping, "erp", s if side == "erp" else t),
                    crm=coupled_record(mapping, "crm", s if side == "crm" else t),
                    synced_values={},
                    direction=None,
                )
                for s, t in pending
            ],
        )
        for (record, counterpart), coupling in zip(pending, stored, strict=True):
            if coupling is None:
                batch.counters.skipped += 1  # coupled by someone else meanwhile
            else:
                batch.counters.coupled += 1
                matches.coupled.append((record, counterpart, coupling))
        return matches

    async def _by_key(
        self,
        batch: Batch,
        side: SideName,
        records: list[Record],
        where: tuple[Connector, str],
    ) -> tuple[dict[str, Record], set[str]]:
        """Counterparts by natural key, and the records whose key several records share."""
        match = key_match(self.mapping, flow_from(side))
        target, entity = where
        if match is None or not records:
            return {}, set()
        by_key = await records_by_key(
            target, entity, match.target_field, [match.value_of(r.values) for r in records]
        )
        found: dict[str, Record] = {}
        unclear: set[str] = set()
        for record in records:
            value = match.value_of(record.values)
            key = normal_key(value)
            candidates = by_key.get(key, []) if key is not None else []
            if len(candidates) == 1:
                found[record.id] = candidates[0]
            elif len(candidates) > 1:
                unclear.add(record.id)
                batch.fail_uncoupled(
                    side,
                    record,
                    f"{len(candidates)} {other_side(side).upper()} records have "
                    f"{match.target_field} {value!r}: couple one of them first",
                    "CONFLICT",
                )
        return found, unclear

    async def _not_given_up(
        self, batch: Batch, side: SideName, records: list[Record]
    ) -> list[Record]:
        """Uncoupled records whose creation failed too often are left alone, like SKIPPED
        couplings, until someone retries their sync error."""
        if self.skip_after is None:
            return records
        errors = await self.errors.for_uncoupled(self.mapping.name, side, [r.id for r in records])
        attempts = {e.erp_id if side == "erp" else e.crm_id: e.attempts for e in errors}
        kept = [r for r in records if attempts.get(r.id, 0) < self.skip_after]
        batch.counters.skipped += len(records) - len(kept)
        return kept

    def plan(self, batch: Batch, side: SideName, source: Record, lookups: Lookups) -> None:
        direction = flow_from(side)
        plan = plan_create(self.mapping, direction, source.values, lookups)
        if not plan.ok:
            message = "; ".join(p.message for p in plan.problems)
            batch.fail_uncoupled(
                side, source, message, problem_code(plan.problems), problem_details(plan.problems)
            )
            return
        values = dict(plan.values)
        target = self.ctx.connector(direction.target)
        spec = target.entities().get(self.mapping.entity_of(direction.target))
        missing = sorted(
            name for name in (spec.required if spec else ()) if values.get(name) in (None, "")
        )
        if missing and spec is not None:
            # Refused here, named, rather than by the system after the batch's other writes.
            label = side_label(self.mapping, direction.target)
            batch.fail_uncoupled(
                side,
                source,
                f"the {label} {spec.name} it would create needs {', '.join(missing)}, "
                "which this record does not give",
                "REJECTED",
                {"required": missing},
            )
            return
        if chooses_ids(target):
            values[spec.key_field if spec is not None else "id"] = counterpart_id(
                self.mapping, direction, source.id
            )
        batch.creates.append(CreateWork(source, direction, values))

    async def settle(self, batch: Batch) -> None:
        made: list[tuple[CreateWork, NewCoupling]] = []
        for create in batch.creates:
            if create.created is None:
                message = str(create.error) if create.error is not None else "no answer"
                batch.fail_uncoupled(
                    create.direction.source,
                    create.source,
                    f"creating its counterpart failed: {message}",
                    error_code(create.error),
                )
                continue
            erp, crm = (
                (create.source, create.created)
                if create.direction.source == "erp"
                else (create.created, create.source)
            )
            new = NewCoupling(
                erp=coupled_record(self.mapping, "erp", erp),
                crm=coupled_record(self.mapping, "crm", crm),
                synced_values=agreed(self.mapping, erp.values, crm.values),
                direction=create.direction.value,
            )
            made.append((create, new))
        stored = await self.ctx.couplings.insert_new(
            self.mapping.coupling_mapping, [new for _, new in made]
        )
        orphans: dict[SideName, list[Record]] = {"erp": [], "crm": []}
        kept: list[tuple[CreateWork, Coupling]] = []
        for (create, _), coupling in zip(made, stored, strict=True):
            assert create.created is not None
            if coupling is None:
                orphans[create.direction.target].append(create.created)  # coupled elsewhere
                batch.counters.skipped += 1
                continue
            kept.append((create, coupling))
            batch.counters.inserted += 1
            batch.counters.coupled += 1  # coupled counts every new pair, created or found
            if create.direction.source == "erp":
                batch.succeeded(create.source.id, None)
            else:
                batch.succeeded(None, create.source.id)
        await self._backfill(batch, kept)
        for side, records in orphans.items():
            if records:
                await remove_orphans(self.ctx, batch, side, records)

    async def _backfill(self, batch: Batch, kept: list[tuple[CreateWork, Coupling]]) -> None:
        created = [(c.source, c.created, c.direction) for c, _ in kept if c.created is not None]
        baselines = await backfill(self.ctx, batch, created)
        for (create, coupling), baseline in zip(kept, baselines, strict=True):
            if baseline != coupling.synced_values:
                batch.couplings.synced.append(Synced(coupling, baseline, create.direction.value))

"""After counterparts are created: what their own system gave them (a customer number from a
number series, say) goes back to the records they were created from, where a field row carries
it that way, in one bulk write for the batch. Then both records agree on every row, and the
coupling's baseline says so: the next run has nothing to do for them.

Empty values never go back (a new customer without a currency does not clear the account's).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.base import Record, Update
from gateway.mappings.model import Direction, TableMapping
from gateway.mappings.translate import resolve_lookups, translate_row, values_equal
from gateway.store.integration_log import Target
from gateway.sync.batch import Batch
from gateway.sync.context import SyncContext
from gateway.sync.pairs import write_entry
from gateway.sync.plan import Baseline

Created = tuple[Record, Record, Direction]  # (source, created, direction of the creation)


async def backfill(ctx: SyncContext, batch: Batch, created: list[Created]) -> list[Baseline]:
    """Write back what the created records have that their sources lack; the baselines of
    the new couplings, in the order of `created`."""
    mapping = batch.mapping
    written: dict[int, Record] = {}
    if created:
        updates = await _updates(ctx, mapping, created)
        for direction in (Direction.TO_CRM, Direction.FROM_CRM):
            chosen = [(i, update) for i, update in updates if created[i][2] is direction]
            if chosen:
                side = direction.source
                results = await ctx.connector(side).write_many([u for _, u in chosen])
                for (index, update), result in zip(chosen, results, strict=True):
                    entry = write_entry(
                        ctx,
                        "update",
                        result.record,
                        mapping=mapping,
                        direction=direction.opposite,
                        changes=dict(update.values),
                        target=Target(ctx.connector(side).system, update.entity, update.id),
                        error=result.error,
                    )
                    entry.details.update({"run": batch.run_id, "reason": "values of a new record"})
                    batch.log.append(entry)
                    if result.ok:
                        written[index] = result.record or created[index][0]
                        batch.counters.modified += 1
    baselines = []
    for index, (source, made, direction) in enumerate(created):
        after = written.get(index, source)
        erp, crm = (after, made) if direction is Direction.TO_CRM else (made, after)
        baselines.append(agreed(mapping, erp.values, crm.values))
    return baselines


async def _updates(
    ctx: SyncContext, mapping: TableMapping, created: list[Created]
) -> list[tuple[int, Update]]:
    updates: list[tuple[int, Update]] = []
    for direction in (Direction.TO_CRM, Direction.FROM_CRM):
        back = direction.opposite
        rows = [
            r
            for r in mapping.rows_towards(back)
            if not r.is_constant and r.erp_field and r.crm_field
        ]
        mine = [(i, c) for i, c in enumerate(created) if c[2] is direction]
        if not rows or not mine:
            continue
        lookups = await resolve_lookups(
            mapping, back, [c[1].values for _, c in mine], ctx.couplings
        )
        for index, (source, made, _) in mine:
            changes: dict[str, Any] = {}
            for row in rows:
                value, problem = translate_row(row, back, made.values, lookups)
                name = row.crm_field if back is Direction.TO_CRM else row.erp_field
                assert name is not None
                if (
                    problem is None
                    and not values_equal(value, None)
                    and not values_equal(value, source.values.get(name))
                ):
                    changes[name] = value
            if changes:
                updates.append((index, Update(source.entity, source.id, changes, source.etag)))
    return updates


def agreed(mapping: TableMapping, erp: Mapping[str, Any], crm: Mapping[str, Any]) -> Baseline:
    """Both records' values for every two-sided row: the baseline of a pair that agrees."""
    return {
        row.key: {"erp": erp.get(row.erp_field), "crm": crm.get(row.crm_field)}
        for row in mapping.fields
        if not row.is_constant and row.erp_field is not None and row.crm_field is not None
    }

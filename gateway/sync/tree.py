"""Records that name other records of their own mapping (a task's parent task): parents are
written before their children within one batch, so that a whole tree arrives in one run.

Two ways, chosen by what the target system declares:

- a system that writes a call's new records parents first and lets the caller choose their
  ids (Project Server's draft) takes the batch in one call: a child's parent, created in the
  same call, is named by the id the gateway gives it (`counterpart_id`);
- any other system takes the batch in waves: the records whose parents are not in the batch
  first, then their children, and so on; each wave's couplings are stored before the next
  one is planned, so a child's reference resolves through them like any other.

A parent that is not in the batch resolves through its coupling, as every reference does.
"""

from __future__ import annotations

from collections.abc import Sequence

from adapters.base import Connector, Record
from gateway.mappings.model import Direction, TableMapping
from gateway.mappings.translate import Lookups, source_field
from gateway.sync.matching import chooses_ids, counterpart_id


def takes_trees(target: Connector) -> bool:
    """Whether one write to `target` may create parents and children together."""
    capabilities = target.capabilities
    return capabilities.caller_ids and capabilities.writes_parents_first


def waves(
    mapping: TableMapping, direction: Direction, records: Sequence[Record], *, one_call: bool
) -> list[list[Record]]:
    """The batch in the order its writes must go: records by how many of their ancestors are
    in the batch too (one wave when the target takes trees in one call)."""
    rows = [row for row in mapping.self_rows if row in mapping.rows_towards(direction)]
    if not rows or one_call or len(records) < 2:
        return [list(records)]
    fields = [name for row in rows if (name := source_field(row, direction)) is not None]
    by_id = {record.id: record for record in records}
    depth: dict[str, int] = {}

    def depth_of(record: Record, path: frozenset[str]) -> int:
        if record.id in depth:
            return depth[record.id]
        parents = [
            by_id[str(parent)]
            for name in fields
            if (parent := record.get(name)) not in (None, "")
            and str(parent) in by_id
            and str(parent) not in path
        ]
        found = 1 + max((depth_of(p, path | {record.id}) for p in parents), default=-1)
        depth[record.id] = found
        return found

    ordered: dict[int, list[Record]] = {}
    for record in records:
        ordered.setdefault(depth_of(record, frozenset()), []).append(record)
    return [ordered[level] for level in sorted(ordered)]


def with_planned_parents(
    mapping: TableMapping,
    direction: Direction,
    lookups: Lookups,
    created: Sequence[Record],
    target: Connector,
) -> None:
    """Let references to records created in this same call resolve to the ids they will get."""
    if not created or not chooses_ids(target):
        return
    for row in mapping.self_rows:
        if row not in mapping.rows_towards(direction):
            continue
        known = lookups.table.setdefault((row.key, direction), {})
        for record in created:
            known.setdefault(record.id, counterpart_id(mapping, direction, record.id))

"""Which records a record refers to that must be coupled before it can be.

A mapping's lookup rows translate references through other mappings' couplings (a customer's
salesperson code ↔ the account's owner, through SALESPEOPLE). Coupling or creating a record
whose reference has no coupling would leave a pair that can never synchronize, so it is refused
with the reference named ("couple salespeople first"). Nothing here knows about salespeople:
every lookup row of every mapping is checked the same way, for many records at once.
"""

from __future__ import annotations

from collections.abc import Sequence

from gateway.mappings.model import Direction, TableMapping
from gateway.mappings.translate import RowProblem, resolve_lookups, translate_row
from gateway.store.couplings import CouplingRepository
from gateway.types import Values


async def missing_dependencies_of_many(
    mapping: TableMapping,
    direction: Direction,
    sources: Sequence[Values],
    couplings: CouplingRepository,
) -> list[list[RowProblem]]:
    """Per source record (in order): its references in `direction` that are not coupled.
    One coupling query per lookup row, whatever the number of records."""
    rows = [row for row in mapping.rows_towards(direction) if row.lookup is not None]
    if not rows or not sources:
        return [[] for _ in sources]
    lookups = await resolve_lookups(mapping, direction, sources, couplings)
    result: list[list[RowProblem]] = []
    for source in sources:
        problems = []
        for row in rows:
            _, problem = translate_row(row, direction, source, lookups)
            if problem is not None and problem.dependency is not None:
                problems.append(problem)
        result.append(problems)
    return result


async def missing_dependencies(
    mapping: TableMapping, direction: Direction, source: Values, couplings: CouplingRepository
) -> list[RowProblem]:
    (problems,) = await missing_dependencies_of_many(mapping, direction, [source], couplings)
    return problems

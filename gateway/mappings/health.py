"""Which stored mappings can run: each is checked against the connectors' catalogues, the
transforms and the other mappings (`gateway.mappings.validation`). A mapping with a problem is
kept out of scheduled and full runs; its problems are logged at start-up, one line each, and
shown on the mapping in the API."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from adapters.base import Connector
from gateway.mappings.model import OtherSystem, TableMapping
from gateway.mappings.store import MappingRepository
from gateway.mappings.validation import Catalogues, MappingValidationError, dependency_order

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MappingHealth:
    """Every stored mapping in dependency order, with the problems of each (by name)."""

    mappings: list[TableMapping]
    problems: dict[str, list[str]]

    def usable(self, mapping: TableMapping) -> bool:
        return mapping.enabled and not self.problems.get(mapping.name)

    @property
    def runnable(self) -> list[TableMapping]:
        return [mapping for mapping in self.mappings if self.usable(mapping)]


def check_mappings(
    mappings: Sequence[TableMapping],
    *,
    erp: Connector | None,
    crm: Connector | None,
    projects: Connector | None = None,
) -> MappingHealth:
    by_name = {mapping.name: mapping for mapping in mappings}
    catalogues = Catalogues(*(c.entities() if c else {} for c in (erp, crm, projects)))
    others = {OtherSystem.CRM: crm, OtherSystem.PROJECT_MANAGEMENT: projects}
    problems: dict[str, list[str]] = {}
    for mapping in mappings:
        missing = [
            label
            for label, connector in (
                ("ERP", erp),
                (mapping.other_system.label, others[mapping.other_system]),
            )
            if connector is None
        ]
        if missing and mapping.enabled:
            found = [f"{mapping.name}: the {side} connection is not configured" for side in missing]
        else:
            found = catalogues.validate(mapping, by_name)
        if found:
            problems[mapping.name] = found
    try:
        ordered = dependency_order(mappings)
    except MappingValidationError as exc:
        for mapping in mappings:
            problems.setdefault(mapping.name, []).extend(exc.problems)
        ordered = sorted(mappings, key=lambda m: m.name)
    return MappingHealth(ordered, problems)


def log_problems(health: MappingHealth) -> None:
    for name in sorted(health.problems):
        for problem in health.problems[name]:
            log.warning("table mapping %s is kept out of synchronization: %s", name, problem)


async def log_stored_mapping_problems(
    repository: MappingRepository,
    *,
    erp: Connector | None,
    crm: Connector | None,
    projects: Connector | None = None,
) -> MappingHealth:
    """Check every stored mapping and log each problem (at start-up)."""
    health = check_mappings(await repository.all(), erp=erp, crm=crm, projects=projects)
    log_problems(health)
    return health

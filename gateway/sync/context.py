"""What a synchronization works with: both systems, the couplings, the log, and who acts.

A mapping couples the ERP with another system: the CRM, or the project-management system.
Inside the sync engine that other side is called `crm` whichever system it is;
`for_mapping` puts the mapping's own system there.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from adapters.base import Connector
from gateway.mappings.model import OtherSystem, TableMapping
from gateway.refusals import RefusalCode, refuse
from gateway.services import Services
from gateway.store.couplings import CouplingRepository
from gateway.store.integration_log import IntegrationLog
from gateway.types import SideName


@dataclass(frozen=True, slots=True)
class SyncContext:
    """What synchronizing needs: both systems, the couplings, the log, and who is acting."""

    erp: Connector
    crm: Connector
    couplings: CouplingRepository
    log: IntegrationLog
    actor: str
    # The ERP record write-in products are sold as ((entity, number)): never coupled to a
    # product, so that nobody picks it from the CRM's catalogue.
    write_in: tuple[str, str] | None = None
    projects: Connector | None = None  # the project-management system, when configured
    other_system: OtherSystem = OtherSystem.CRM  # which system `crm` is

    def connector(self, side: SideName) -> Connector:
        return self.erp if side == "erp" else self.crm

    def for_mapping(self, mapping: TableMapping) -> SyncContext:
        """This context with the mapping's other system on the `crm` side; refused when that
        system is not configured."""
        if mapping.other_system is self.other_system:
            return self
        if mapping.other_system is OtherSystem.CRM:
            raise RuntimeError("a context for another system cannot go back to the CRM")
        if self.projects is None:
            raise refuse(
                RefusalCode.UPSTREAM_UNAVAILABLE,
                f"{mapping.name}: the {mapping.other_system.label} connection is not configured",
            )
        return dataclasses.replace(self, crm=self.projects, other_system=mapping.other_system)


def sync_context(services: Services, actor: str) -> SyncContext:
    """Acting as `actor` (an API key's name, a job); refused when a system is not configured."""
    erp, crm = services.erp, services.crm
    if erp is None or crm is None:
        missing = " and ".join(name for name, c in (("ERP", erp), ("CRM", crm)) if c is None)
        raise refuse(
            RefusalCode.UPSTREAM_UNAVAILABLE, f"the {missing} connection is not configured"
        )
    settings = services.settings
    write_in = (
        (settings.write_in_product_type, settings.write_in_product_number)
        if settings.write_in_product_number
        else None
    )
    return SyncContext(
        erp,
        crm,
        services.couplings,
        services.integration_log,
        actor,
        write_in,
        projects=services.projects,
    )

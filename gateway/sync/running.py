"""What every kind of run shares: the synchronization context, the sides a mapping reads
changes from, the mapping's lease, and turning a failure into a run status and message."""

from __future__ import annotations

import asyncio
import time

from gateway.mappings.model import Direction, TableMapping
from gateway.refusals import connector_error
from gateway.services import Services
from gateway.store.leases import sync_lease
from gateway.sync.engine import BatchInterruptedError
from gateway.types import SideName

_LEASE_POLL_SECONDS = 0.5


class LeaseLostError(Exception):
    """Another run took the mapping's lease (ours expired): stop before writing more."""


def source_sides(mapping: TableMapping) -> list[SideName]:
    """The sides whose changes may flow somewhere: the ERP's first, then the CRM's."""
    sides: list[SideName] = []
    if mapping.direction.allows(Direction.TO_CRM):
        sides.append("erp")
    if mapping.direction.allows(Direction.FROM_CRM) and mapping.coupled_through is None:
        sides.append("crm")
    return sides


def failure_message(exc: BaseException) -> str:
    """One line for a run that stopped; connector messages carry no secrets."""
    if isinstance(exc, BatchInterruptedError):
        return f"stopped: {exc}; the batch is read again by the next run"
    error = connector_error(exc)
    if error is not None:
        return f"stopped: {error}"
    if isinstance(exc, LeaseLostError):
        return f"stopped: {exc}"
    return f"stopped by an internal error ({type(exc).__name__})"


def expected_failure(exc: BaseException) -> bool:
    return (
        isinstance(exc, BatchInterruptedError | LeaseLostError) or connector_error(exc) is not None
    )


class MappingLease:
    """The lease that lets one run at a time synchronize a mapping."""

    def __init__(self, services: Services, mapping: str, owner: str) -> None:
        self._leases = services.leases
        self._name = sync_lease(mapping)
        self._owner = owner
        self._seconds = services.settings.sync_lease_seconds

    async def take(self) -> bool:
        return await self._leases.acquire(self._name, self._owner, seconds=self._seconds)

    async def wait(self) -> bool:
        """Take it, waiting (up to twice its lifetime) for another holder to finish."""
        deadline = time.monotonic() + 2 * self._seconds
        while not await self.take():
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(_LEASE_POLL_SECONDS)
        return True

    async def renew(self) -> None:
        if not await self._leases.renew(self._name, self._owner, seconds=self._seconds):
            raise LeaseLostError(f"the lease on {self._name} was taken by another run")

    async def release(self) -> None:
        await self._leases.release(self._name, self._owner)

    async def holder(self) -> str | None:
        lease = await self._leases.holder(self._name)
        return lease.owner if lease is not None else None

"""The lease of a run (`run:<id>`): held by the job carrying it out, renewed in the background
while it works. A run stored RUNNING whose lease is free has lost its worker; the scheduler
hands it to another once the lease has expired."""

from __future__ import annotations

import contextlib
import logging
import uuid

from gateway.services import Services
from gateway.store.leases import kept_renewed

log = logging.getLogger(__name__)


def run_lease(run_id: str) -> str:
    return f"run:{run_id}"


class RunLease:
    def __init__(self, services: Services, run_id: str) -> None:
        self._leases = services.leases
        self.name = run_lease(run_id)
        self.owner = uuid.uuid4().hex
        self.seconds = services.settings.sync_lease_seconds

    async def take(self) -> bool:
        return await self._leases.acquire(self.name, self.owner, seconds=self.seconds)

    async def release(self) -> None:
        with contextlib.suppress(Exception):
            await self._leases.release(self.name, self.owner)

    def kept(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Renewed in the background while the block runs (`kept_renewed`)."""
        return kept_renewed(self._leases, self.name, self.owner, seconds=self.seconds)

    async def free(self) -> bool:
        """Whether nobody holds the lease (never taken, released or expired)."""
        return await self._leases.holder(self.name) is None

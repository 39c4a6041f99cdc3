"""The lease of a run (`run:<id>`): held by the job carrying it out, renewed in the background
while it works. A run stored RUNNING whose lease is free has lost its worker; the scheduler
hands it to another once the lease has expired."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator

from gateway.services import Services

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

    @contextlib.asynccontextmanager
    async def kept(self) -> AsyncIterator[None]:
        """Renew the lease every third of its life while the block runs. If another worker
        took it meanwhile (this one stalled past its expiry), the block is cancelled: the run
        is that worker's now."""
        work = asyncio.current_task()
        assert work is not None

        async def beat() -> None:
            while True:
                await asyncio.sleep(self.seconds / 3)
                try:
                    held = await self._leases.renew(self.name, self.owner, seconds=self.seconds)
                except Exception as exc:  # MongoDB unreachable: try again at the next beat
                    log.warning("could not renew %s (%s)", self.name, type(exc).__name__)
                    continue
                if not held:
                    log.warning("%s was taken over by another worker; stopping here", self.name)
                    work.cancel()
                    return

        heart = asyncio.create_task(beat(), name=f"lease-{self.name}")
        try:
            yield
        finally:
            heart.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heart

    async def free(self) -> bool:
        """Whether nobody holds the lease (never taken, released or expired)."""
        return await self._leases.holder(self.name) is None

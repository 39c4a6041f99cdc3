"""What every kind of run shares: the one check that a mapping may run, the sides it reads
changes from, its lease, and a stored run carried out from RUNNING to its end with one
failure policy."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from gateway.mappings.model import Direction, TableMapping
from gateway.refusals import RefusalCode, RefusalError, connector_error, refuse
from gateway.services import Services
from gateway.store.leases import kept_renewed, sync_lease
from gateway.store.sync_runs import Counters, RunStatus, SyncRun, SyncRunRepository
from gateway.sync.engine import BatchInterruptedError
from gateway.types import SideName

_LEASE_POLL_SECONDS = 0.5


class LeaseLostError(Exception):
    """Another run took the mapping's lease (ours expired): stop before writing more."""


class RunCancelledError(Exception):
    """A person cancelled the run: it stops after the batch it was writing."""


async def usable_mapping(services: Services, name: str, *field: str) -> TableMapping:
    """The stored mapping named `name`, if it may synchronize now: every entry point asks
    here, so that a disabled mapping, or one kept out as unhealthy, runs by none of them."""
    where = field or ("mapping",)
    health = await services.mapping_health()
    wanted = name.strip().upper()
    mapping = next((m for m in health.mappings if m.name == wanted), None)
    if mapping is None:
        raise refuse(RefusalCode.NOT_FOUND, f"no table mapping is named {name!r}", *where)
    if not health.usable(mapping):
        reason = "; ".join(health.problems.get(mapping.name, [])) or "it is disabled"
        raise refuse(RefusalCode.INVALID_INPUT, f"{mapping.name} cannot run: {reason}", *where)
    return mapping


class RecordedRun:
    """A stored run being carried out: what it does is recorded as it goes, and it ends
    SUCCEEDED unless the work says otherwise (`end`) or fails."""

    def __init__(self, runs: SyncRunRepository, run: SyncRun, run_id: str) -> None:
        self.runs = runs
        self.run = run
        self.id = run_id
        self.ending: tuple[RunStatus, str | None] = (RunStatus.SUCCEEDED, None)
        self.finished: SyncRun = run
        self.error: Exception | None = None  # what stopped it, when something did

    async def record(
        self,
        counters: Counters,
        *,
        progress: float | None = None,
        checkpoint: dict[str, object] | None = None,
        mapping: str | None = None,
    ) -> None:
        """Add what a batch did; a run cancelled meanwhile stops here."""
        status = await self.runs.record_progress(
            self.id, counters, progress=progress, checkpoint=checkpoint, mapping=mapping
        )
        if status is RunStatus.CANCELLED:
            raise RunCancelledError(f"run {self.id} was cancelled")

    def end(self, status: RunStatus, message: str | None = None) -> None:
        """How the run ends when the work returns normally."""
        self.ending = (status, message)


@contextlib.asynccontextmanager
async def recorded_run(
    services: Services, run: SyncRun | str, *, raise_failures: bool = False
) -> AsyncIterator[RecordedRun]:
    """Carry out `run` (a new one, stored RUNNING now; or the id of a stored one, started).
    A failure ends it FAILED with a one-line message; an expected one (an outage, a
    refusal) is then swallowed unless `raise_failures` (a job decides on a retry), anything
    else is raised. Afterwards, `.finished` is the run as stored."""
    runs = services.runs
    if isinstance(run, str):
        stored = await runs.start(run)
        if stored is None:
            if await runs.get(run) is not None:
                raise RunCancelledError(f"run {run} was cancelled before it started")
            raise refuse(RefusalCode.NOT_FOUND, f"no sync run has the id {run!r}", "id")
    else:
        run.status, run.started_at = RunStatus.RUNNING, datetime.now(UTC)
        stored = await runs.create(run)
    assert stored.id is not None  # a stored run has its id
    recorded = RecordedRun(runs, stored, stored.id)
    try:
        yield recorded
    except Exception as exc:
        recorded.error = exc
        message = exc.message if isinstance(exc, RefusalError) else failure_message(exc)
        finished = await runs.finish(recorded.id, RunStatus.FAILED, message=message)
        recorded.finished = finished or stored
        if raise_failures or not (expected_failure(exc) or isinstance(exc, RefusalError)):
            raise
    else:
        status, note = recorded.ending
        finished = await runs.finish(recorded.id, status, message=note)
        recorded.finished = finished or stored


async def cancel_run(services: Services, run_id: str, *, actor: str) -> SyncRun:
    """Cancel a queued or running run; its worker stops after the batch it is writing."""
    cancelled = await services.runs.cancel(run_id, f"cancelled by {actor}")
    if cancelled is not None:
        return cancelled
    run = await services.runs.get(run_id)
    if run is None:
        raise refuse(RefusalCode.NOT_FOUND, f"no sync run has the id {run_id!r}", "id")
    raise refuse(RefusalCode.INVALID_INPUT, f"run {run_id} has finished ({run.status.value})", "id")


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
    if isinstance(exc, LeaseLostError | RunCancelledError):
        return f"stopped: {exc}"
    return f"stopped by an internal error ({type(exc).__name__})"


def expected_failure(exc: BaseException) -> bool:
    return (
        isinstance(exc, BatchInterruptedError | LeaseLostError | RunCancelledError)
        or connector_error(exc) is not None
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

    def kept(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Renewed in the background while the block runs, whatever a page takes."""
        return kept_renewed(self._leases, self._name, self._owner, seconds=self._seconds)

    async def release(self) -> None:
        await self._leases.release(self._name, self._owner)

    async def holder(self) -> str | None:
        lease = await self._leases.holder(self._name)
        return lease.owner if lease is not None else None

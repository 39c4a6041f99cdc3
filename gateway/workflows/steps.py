"""Running a workflow's steps so that a run interrupted anywhere can be resumed.

A workflow is an ordinary async function that calls `steps.step(name, action)` for each piece
of work. The first run executes each action and records its result before the next step
starts; a resumed run calls the same function again, and every step already recorded answers
its recorded result without touching a system. A step that was started but not recorded
(the process died during it) runs again, after asking its `find` function whether its work
got done after all: a step that creates something gives the new record an id derived from the
instance and the step (`derived_id`), or otherwise knows how to find it, so that it is never
created twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from adapters.base import Connector
from gateway.services import Services
from gateway.settings import Settings
from gateway.store.couplings import CouplingRepository
from gateway.sync.context import SyncContext
from gateway.workflows.instances import StepStatus, WorkflowInstance, WorkflowStore

Result = dict[str, Any]
Action = Callable[[], Awaitable[Result]]
Finder = Callable[[], Awaitable[Result | None]]

_NAMESPACE = uuid.UUID("0b5f8a52-7c1e-4d0a-9f3b-2e6d4a1c8b90")


class WorkflowDivergedError(Exception):
    """A resumed run asked for a different step than the one recorded at that position."""


@dataclass(frozen=True, slots=True)
class WorkflowContext:
    """What workflow functions work with: both systems, the couplings, the settings."""

    services: Services
    sync: SyncContext

    @property
    def erp(self) -> Connector:
        return self.sync.erp

    @property
    def crm(self) -> Connector:
        return self.sync.crm

    @property
    def couplings(self) -> CouplingRepository:
        return self.sync.couplings

    @property
    def settings(self) -> Settings:
        return self.services.settings


class Steps:
    """The step runner of one instance, owned by this process while it runs."""

    def __init__(
        self,
        store: WorkflowStore,
        instance: WorkflowInstance,
        *,
        lease_seconds: float,
    ) -> None:
        self.store = store
        self.instance = instance
        self._lease_seconds = lease_seconds
        self._next = 1  # step 0 is the check that admitted the instance

    @property
    def checked(self) -> Result:
        """What the admitting check saw (states, ids, the documents' data)."""
        first = self.instance.step(0)
        return dict(first.result or {}) if first is not None else {}

    def derived_id(self, *parts: str) -> str:
        """A stable id for something this instance creates: the same on every resumption."""
        return str(uuid.uuid5(_NAMESPACE, "|".join((self.instance.key, *parts))))

    async def step(
        self, name: str, action: Action, *, find: Finder | None = None, creates: str | None = None
    ) -> Result:
        """Run `action` once for this instance, however often the instance is resumed. With
        `creates`, the result's `id` is recorded as the id of what the step created."""
        index = self._next
        self._next += 1
        recorded = self.instance.step(index)
        if recorded is not None and recorded.name != name:
            raise WorkflowDivergedError(
                f"step {index} of {self.instance.key} is {recorded.name!r}, not {name!r}"
            )
        if recorded is not None and recorded.status is StepStatus.DONE:
            return dict(recorded.result or {})
        interrupted = recorded is not None
        await self.store.step_started(self.instance, index, name, seconds=self._lease_seconds)
        result: Result | None = None
        if interrupted and find is not None:
            result = await find()
        if result is None:
            try:
                result = await action()
            except Exception as exc:
                await self.store.step_failed(self.instance, index, _describe(exc))
                raise
        created = {creates: str(result["id"])} if creates and result.get("id") else None
        await self.store.step_done(
            self.instance, index, result, created=created, seconds=self._lease_seconds
        )
        return result


def _describe(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text[:500]

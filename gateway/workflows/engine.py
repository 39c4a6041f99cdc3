"""Starting, replaying and resuming workflow instances.

`start` runs an operation for a caller: it normalizes the input (ids resolved), derives the
key, and then

- finds the newest instance with that key: a finished one is the answer to a repeated call
  (unless the operation may happen again to the same document and its check now admits it:
  then the next generation starts), an interrupted or failed one is resumed, one running in
  another process is waited for;
- otherwise checks the states on both sides (a refusal changes nothing and stores nothing),
  stores the instance with the check as its first step, and runs it.

`resume` continues an instance left RUNNING by a process that died (the worker's job).
A retriable upstream failure leaves the instance RUNNING with its lease expired, so the worker
resumes it later; any other connector failure marks it FAILED with the reason, and calling
the operation again retries it from the step that failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.errors import RetriableError
from gateway.refusals import RefusalCode, RefusalError, connector_error, refusal_for, refuse
from gateway.services import Services
from gateway.store.leases import kept_renewed
from gateway.sync.context import sync_context
from gateway.workflows.instances import (
    StepRecord,
    StepStatus,
    WorkflowInstance,
    WorkflowStatus,
    WorkflowStore,
)
from gateway.workflows.steps import Result, Steps, WorkflowContext

Input = dict[str, Any]
Normalizer = Callable[[WorkflowContext, Input], Awaitable[Input]]
Checker = Callable[[WorkflowContext, Input], Awaitable[Result]]
Runner = Callable[[WorkflowContext, Steps, Input], Awaitable[Result]]

_WAIT_POLL_SECONDS = 0.1
AFTER = "_statesAfter"  # in an instance's documents: the input's states when it finished


@dataclass(frozen=True, slots=True)
class Definition:
    """One lifecycle operation. `check` reads both sides and raises `RefusalError`
    when the operation does not apply; its result is recorded as step 0. `run` does the work
    in steps and answers the documents acted on. `repeatable`: the same document may go
    through this transition again later (then a new generation of the instance starts)."""

    operation: str
    normalize: Normalizer
    check: Checker
    run: Runner
    repeatable: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a call got: the instance (None when refused up front) and the refusal, if any."""

    instance: WorkflowInstance | None
    refusal: RefusalError | None = None
    replayed: bool = False

    @property
    def documents(self) -> dict[str, Any]:
        return self.instance.documents if self.instance is not None else {}


@dataclass
class Engine:
    services: Services
    actor: str
    owner: str = field(default_factory=lambda: f"workflow-{uuid.uuid4().hex[:12]}")

    @property
    def store(self) -> WorkflowStore:
        return WorkflowStore(self.services.db)

    @property
    def lease_seconds(self) -> float:
        return self.services.settings.workflow_lease_seconds

    def context(self, actor: str | None = None) -> WorkflowContext:
        return WorkflowContext(self.services, sync_context(self.services, actor or self.actor))

    async def start(self, definition: Definition, raw_input: Input) -> Outcome:
        try:
            ctx = self.context()
            data = await definition.normalize(ctx, raw_input)
        except RefusalError as refusal:
            return Outcome(None, refusal)
        # One transition at a time per document: an approval and a rejection sent together
        # run one after the other, and the second one's check sees what the first one did.
        async with self._document(data) as held:
            if not held:
                return Outcome(
                    None,
                    refuse(
                        RefusalCode.CONFLICT,
                        "another transition of this document is under way; try again later",
                    ),
                )
            return await self._start(ctx, definition, data)

    async def _start(self, ctx: WorkflowContext, definition: Definition, data: Input) -> Outcome:
        try:
            base = base_key(definition.operation, data)
            latest = await self.store.latest(base)
            if latest is not None:
                outcome = await self._existing(ctx, definition, data, latest)
                if outcome is not None:
                    return outcome
            generation = latest.generation + 1 if latest is not None else 1
            checked = await definition.check(ctx, data)
        except RefusalError as refusal:
            return Outcome(None, refusal)
        except Exception as exc:
            error = connector_error(exc)
            if error is None:
                raise
            return Outcome(None, refusal_for(error))
        instance = await self.store.insert(
            WorkflowInstance(
                key=f"{base}#{generation}",
                base_key=base,
                generation=generation,
                operation=definition.operation,
                input=data,
                actor=self.actor,
                steps=[StepRecord("check", StepStatus.DONE, result=checked)],
                owner=self.owner,
                lease_until=_lease(self.lease_seconds),
            )
        )
        if instance is None:  # a concurrent call stored the same generation first
            found = await self.store.by_key(f"{base}#{generation}")
            assert found is not None
            return await self._wait(found)
        return await self._run(ctx, definition, instance)

    @contextlib.asynccontextmanager
    async def _document(self, data: Input, *, wait: bool = True) -> AsyncIterator[bool]:
        """Hold the lease on the documents `data` names (renewed while held), waiting up to
        one lease for another holder; yields whether it is held."""
        leases = self.services.leases
        name = document_lease(data)
        deadline = time.monotonic() + self.lease_seconds
        while not await leases.acquire(name, self.owner, seconds=self.lease_seconds):
            if not wait or time.monotonic() > deadline:
                yield False
                return
            await asyncio.sleep(_WAIT_POLL_SECONDS)
        try:
            async with kept_renewed(leases, name, self.owner, seconds=self.lease_seconds):
                yield True
        finally:
            await leases.release(name, self.owner)

    async def resume(self, definition: Definition, instance: WorkflowInstance) -> Outcome:
        """Continue an instance found interrupted; None-like outcome if another took it."""
        assert instance.id is not None
        async with self._document(instance.input, wait=False) as held:
            if not held:  # a transition of the document runs now: resume it at the next pass
                return Outcome(instance, replayed=True)
            claimed = await self.store.claim(instance.id, self.owner, seconds=self.lease_seconds)
            if claimed is None:
                return Outcome(instance, replayed=True)
            return await self._run(self.context(instance.actor), definition, claimed)

    async def _existing(
        self, ctx: WorkflowContext, definition: Definition, data: Input, latest: WorkflowInstance
    ) -> Outcome | None:
        if latest.status is WorkflowStatus.RUNNING and not latest.lease_expired:
            return await self._wait(latest)
        if latest.status is not WorkflowStatus.SUCCEEDED:
            assert latest.id is not None
            claimed = await self.store.claim(latest.id, self.owner, seconds=self.lease_seconds)
            if claimed is None:
                return await self._wait(latest)
            return await self._run(ctx, definition, claimed)
        now, refusal = await _observe(definition, ctx, data)
        unchanged = now is not None and now == latest.documents.get(AFTER)
        if unchanged or (refusal is None and not definition.repeatable):
            return Outcome(latest, replayed=True)  # nothing moved since: the same answer
        if refusal is not None:
            return Outcome(None, refusal)  # the documents moved on; say why it does not apply
        return None  # the transition applies again: next generation

    async def _wait(self, instance: WorkflowInstance) -> Outcome:
        """Another process runs it: wait for its end (at most one lease), then answer it."""
        assert instance.id is not None
        deadline = time.monotonic() + self.lease_seconds
        current = instance
        while current.status is WorkflowStatus.RUNNING and time.monotonic() < deadline:
            await asyncio.sleep(_WAIT_POLL_SECONDS)
            found = await self.store.get(instance.id)
            if found is None:
                break
            current = found
            if current.lease_expired:
                break
        return Outcome(current, replayed=True)

    async def _run(
        self, ctx: WorkflowContext, definition: Definition, instance: WorkflowInstance
    ) -> Outcome:
        steps = Steps(
            self.store,
            instance,
            lease_seconds=self.lease_seconds,
        )
        try:
            documents = await definition.run(ctx, steps, dict(instance.input))
        except RefusalError as refused:
            finished = await self.store.finish(
                instance, WorkflowStatus.FAILED, message=refused.message, code=refused.code
            )
            return Outcome(finished, refused)
        except Exception as exc:
            error = connector_error(exc)
            if error is None:
                await self.store.release(
                    instance, message=f"interrupted by {type(exc).__name__}", code="INTERNAL"
                )
                raise
            refusal = refusal_for(error)
            if isinstance(error, RetriableError):
                released = await self.store.release(
                    instance,
                    message=f"{error}; the worker resumes it when the system answers again",
                    code=refusal.code,
                )
                return Outcome(released, refusal)
            finished = await self.store.finish(
                instance, WorkflowStatus.FAILED, message=str(error), code=refusal.code
            )
            return Outcome(finished, refusal)
        try:
            after, _ = await _observe(definition, ctx, dict(instance.input))
        except Exception as exc:  # the work is done; only the final look failed
            if connector_error(exc) is None:
                raise
            after = None
        finished = await self.store.finish(
            instance, WorkflowStatus.SUCCEEDED, documents={**documents, AFTER: after}
        )
        return Outcome(finished)


async def _observe(
    definition: Definition, ctx: WorkflowContext, data: Input
) -> tuple[dict[str, str] | None, RefusalError | None]:
    """The states of the input's documents as the check sees them, and its refusal if any."""
    try:
        seen = await definition.check(ctx, data)
    except RefusalError as refusal:
        return refusal.states, refusal
    return {"crm": str(seen.get("crmState")), "erp": str(seen.get("erpState"))}, None


def document_lease(data: Input) -> str:
    """The lease of the documents an operation's (normalized) input names: its ids."""
    ids = [f"{name}={_text(data[name])}" for name in sorted(data) if name.endswith("Id")]
    return "document:" + ",".join(ids or [f"{name}={_text(data[name])}" for name in sorted(data)])


def base_key(operation: str, data: Input) -> str:
    """The operation and its (normalized) input, in a stable order."""
    parts = [f"{name}={_text(data[name])}" for name in sorted(data)]
    return f"{operation}:{','.join(parts)}"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _lease(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)

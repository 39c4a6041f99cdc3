"""A lifecycle operation in a process of its own, configured from the environment like the
gateway: `python -m tests.workflows.child <operation> '<input as JSON>' [<fault point>]`.

With a fault point the process kills itself there, the way a crash would: `<step>` once that
step is recorded, `<step>:before-record` once its work is done but before it is recorded.
The tests then let a worker resume the instance."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Any

import orjson

from gateway.services import open_services
from gateway.settings import load_settings
from gateway.workflows.engine import Engine
from gateway.workflows.instances import WorkflowInstance, WorkflowStore
from gateway.workflows.registry import DEFINITIONS


def die_at(point: str) -> None:
    """Kill this process at `point` of a workflow by wrapping the store's step records."""
    names: dict[int, str] = {}
    started, done = WorkflowStore.step_started, WorkflowStore.step_done

    async def step_started(
        self: WorkflowStore, instance: WorkflowInstance, index: int, name: str, **kw: Any
    ) -> None:
        names[index] = name
        await started(self, instance, index, name, **kw)

    async def step_done(
        self: WorkflowStore, instance: WorkflowInstance, index: int, *args: Any, **kw: Any
    ) -> None:
        name = names.get(index)
        if point == f"{name}:before-record":
            os.kill(os.getpid(), signal.SIGKILL)
        await done(self, instance, index, *args, **kw)
        if point == name:
            os.kill(os.getpid(), signal.SIGKILL)

    WorkflowStore.step_started = step_started  # type: ignore[method-assign]
    WorkflowStore.step_done = step_done  # type: ignore[method-assign]


async def main(operation: str, data: str) -> None:
    async with open_services(load_settings(), wait_for_store=True) as services:
        outcome = await Engine(services, actor="child").start(
            DEFINITIONS[operation], orjson.loads(data)
        )
    instance = outcome.instance
    line = {"status": instance.status.value if instance else None, "documents": outcome.documents}
    sys.stdout.write(orjson.dumps(line).decode() + "\n")


if __name__ == "__main__":
    if len(sys.argv) > 3:
        die_at(sys.argv[3])
    asyncio.run(main(sys.argv[1], sys.argv[2]))

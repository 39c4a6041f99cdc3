"""A lifecycle operation in a process of its own, configured from the environment like the
gateway: `python -m tests.workflows.child <operation> '<input as JSON>'`. Tests set
WORKFLOW_FAULT_POINT so that it dies at a chosen point, then let a worker resume it."""

from __future__ import annotations

import asyncio
import sys

import orjson

from gateway.services import open_services
from gateway.settings import load_settings
from gateway.workflows.engine import Engine
from gateway.workflows.registry import DEFINITIONS


async def main(operation: str, data: str) -> None:
    async with open_services(load_settings(), wait_for_store=True) as services:
        outcome = await Engine(services, actor="child").start(
            DEFINITIONS[operation], orjson.loads(data)
        )
    instance = outcome.instance
    line = {"status": instance.status.value if instance else None, "documents": outcome.documents}
    sys.stdout.write(orjson.dumps(line).decode() + "\n")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))

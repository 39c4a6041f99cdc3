"""A synchronization in a process of its own, configured from the environment like the
gateway: `python -m tests.sync.child full <run id>` or `... incremental <mapping>`. It prints
the run as one JSON line. Tests kill it, or run two at once."""

from __future__ import annotations

import asyncio
import sys

import orjson

from gateway.services import open_services
from gateway.settings import load_settings
from gateway.sync.full import run_full_synchronization
from gateway.sync.incremental import run_incremental


async def main(command: str, argument: str) -> None:
    async with open_services(load_settings(), wait_for_store=True) as services:
        if command == "full":
            run = await run_full_synchronization(services, argument)
        else:
            run = await run_incremental(services, argument, actor="child")
    line = {"id": run.id, "status": run.status.value, "message": run.message}
    sys.stdout.write(orjson.dumps(line).decode() + "\n")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))

"""A process of the gateway reading from Business Central as hard as it may: many reads at
once through the ERP connector built from the settings (and the shared budget). Run as
`python -m tests.budget.child <reads>`, configured from the environment like the gateway."""

from __future__ import annotations

import asyncio
import sys

from gateway.services import open_services
from gateway.settings import load_settings


async def main(reads: int) -> None:
    async with open_services(load_settings()) as services:
        assert services.erp is not None
        erp = services.erp
        await asyncio.gather(*(erp.query("currency") for _ in range(reads)))
    sys.stdout.write("done\n")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))

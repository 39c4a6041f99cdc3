"""Run a measuring child process (`python -m bench.<module> ...`) and read its JSON answer."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Mapping
from typing import Any

import orjson

from bench.environment import Environment, settings_env


class ChildFailedError(RuntimeError):
    """The child exited with an error; the message carries the end of its log."""


async def run_child(
    environment: Environment,
    name: str,
    args: list[str],
    values: Mapping[str, str],
    *,
    timeout: float = 1800.0,
) -> dict[str, Any]:
    """Run `python <args>` with the settings in its environment; its last stdout line is JSON."""
    log_path = environment.log_path(name)
    with log_path.open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
            env={**os.environ, **settings_env(values)},
        )
        try:
            stdout, _ = await asyncio.wait_for(process.communicate(), timeout)
        finally:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
    if process.returncode != 0:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-15:])
        raise ChildFailedError(f"{name} exited with {process.returncode}:\n{tail}")
    lines = stdout.decode().strip().splitlines()
    if not lines:
        raise ChildFailedError(f"{name} printed nothing")
    result: dict[str, Any] = orjson.loads(lines[-1])
    return result

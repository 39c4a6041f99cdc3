"""`kill -9` of `gateway dev`'s process group: its children (servers, sandbox, API, worker) run
in sessions of their own, so the signal does not reach them; each must still die with it."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

import psutil
import pytest

from tests.test_dev_command import DevRun

pytestmark = pytest.mark.slow


def test_no_child_outlives_a_killed_gateway_dev(tmp_path: Path) -> None:
    run = DevRun(tmp_path / "data", tmp_path / "dev.log", sandbox=True)
    children: list[psutil.Process] = []
    try:
        run.wait_for_banner(timeout=240)
        children = run.descendants()
        commands = [" ".join(child.cmdline()) for child in children]
        assert any("sandbox" in command for command in commands), commands
        os.killpg(run.process.pid, signal.SIGKILL)
        run.process.wait(30)
        _, alive = psutil.wait_procs(children, timeout=60)
        assert [" ".join(p.cmdline()) for p in alive if p.is_running()] == []
    finally:
        if run.process.poll() is None:
            run.process.kill()
        for child in children:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()

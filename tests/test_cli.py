"""The `gateway` command's refusals: one clear line naming the variable, not a traceback."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

from gateway.cli import _without_idle_ticks


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"MONGODB_URL", "REDIS_URL"}}
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"MONGODB_URL": "http://not-mongo", "REDIS_URL": "redis://127.0.0.1:1/0"},
            "configuration error: MONGODB_URL:",
        ),
        ({"REDIS_URL": "redis://127.0.0.1:1/0"}, "configuration error: MONGODB_URL is required"),
        (
            {"MONGODB_URL": "mongodb://127.0.0.1:1", "REDIS_URL": "mysql://x"},
            "configuration error: REDIS_URL:",
        ),
    ],
)
@pytest.mark.parametrize("command", ["serve", "worker"])
def test_bad_configuration_stops_with_one_line(
    command: str, env: dict[str, str], expected: str, tmp_path: object
) -> None:
    result = _run(command, env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(expected)
    assert "Traceback" not in result.stderr


def _worker_line(message: str, level: int = logging.INFO) -> logging.LogRecord:
    return logging.LogRecord("arq.worker", level, __file__, 1, message, None, None)


def test_idle_scheduler_ticks_are_left_out_of_the_worker_log_but_runs_are_not() -> None:
    assert not _without_idle_ticks(_worker_line("  0.02s ← scheduler_tick ● {}"))
    assert _without_idle_ticks(_worker_line("  1.87s ← run:1:sync_mapping ● {'status': 'OK'}"))
    assert _without_idle_ticks(_worker_line("scheduler_tick failed", logging.ERROR))

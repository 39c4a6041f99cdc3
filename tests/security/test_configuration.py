"""Bad configuration ends in one line naming the variable, never in a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

from gateway.processes import free_port


def gateway(*argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "REDIS_"))}
    return subprocess.run(
        [sys.executable, "-m", "gateway", *argv],
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd="/",  # no .env of the working tree
    )


def test_an_unknown_log_level_names_the_variable_and_the_allowed_values() -> None:
    result = gateway("worker", GATEWAY_LOG_LEVEL="verbose")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "configuration error: GATEWAY_LOG_LEVEL: Input should be 'critical', 'error', "
        "'warning', 'info' or 'debug'"
    ]


def test_a_worker_without_redis_says_so_in_one_line(mongodb_url: str) -> None:
    url = f"redis://:not-shown@127.0.0.1:{free_port()}/0"
    result = gateway("worker", MONGODB_URL=mongodb_url, REDIS_URL=url)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("gateway worker: REDIS_URL (redis://:***@127.0.0.1:")
    assert "cannot be reached" in line
    assert "not-shown" not in result.stderr

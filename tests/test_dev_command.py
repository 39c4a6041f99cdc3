"""`gateway dev` as a user runs it: starts everything, refuses a second copy, stops cleanly
without orphans, and keeps its data across a restart."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import psutil
import pytest
from pymongo import MongoClient

from gateway.processes import free_port
from tests.support import eventually_sync

pytestmark = pytest.mark.slow


class DevRun:
    def __init__(self, data_dir: Path, log: Path, *, sandbox: bool = False) -> None:
        env = {k: v for k, v in os.environ.items() if k not in {"MONGODB_URL", "REDIS_URL"}}
        self.port = free_port()
        env |= {
            "GATEWAY_DATA_DIR": str(data_dir),
            "GATEWAY_PORT": str(self.port),
            "SANDBOX_PORT": str(free_port()),
            "SANDBOX_ENABLED": "true" if sandbox else "false",
        }
        self.env = env
        self.log = log
        with log.open("w") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gateway", "dev"],
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text()

    def wait_for_banner(self, timeout: float = 120) -> str:

        def banner() -> str | None:
            if self.process.poll() is not None:
                pytest.fail(f"gateway dev exited early:\n{self.output()}")
            output = self.output()
            return output if "admin API key" in output else None

        return eventually_sync(banner, timeout=timeout, what="the banner of gateway dev")

    def descendants(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children(recursive=True)

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(60)


@pytest.fixture
def dev_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def test_dev_runs_everything_and_stops_without_orphans(dev_dir: Path, tmp_path: Path) -> None:
    first = DevRun(dev_dir, tmp_path / "first.log")
    try:
        banner = first.wait_for_banner()
        key = (dev_dir / "dev-api-key").read_text().strip()
        assert key in banner
        assert f"http://127.0.0.1:{first.port}/graphql" in banner
        base = f"http://127.0.0.1:{first.port}"
        assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
        answer = httpx.post(
            f"{base}/graphql",
            json={"query": "{ systemInfo { mongo redis } }"},
            headers={"Authorization": f"Bearer {key}"},
        ).json()
        assert answer["data"]["systemInfo"]["mongo"]

        mongo_url = re.search(r"MongoDB\s+(\S+)", banner)
        assert mongo_url is not None
        with MongoClient(mongo_url.group(1)) as client:
            client["durability"]["probe"].insert_one({"_id": "kept", "value": 42})

        second = subprocess.run(
            [sys.executable, "-m", "gateway", "dev"],
            env=first.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert second.returncode == 1
        assert "is in use by a running `gateway dev`" in second.stderr

        children = first.descendants()
        assert len(children) >= 4  # MongoDB, Redis, API, worker
    finally:
        code = first.interrupt()
    assert code == 0
    _, alive = psutil.wait_procs(children, timeout=10)
    assert alive == []
    assert "All processes stopped." in first.output()

    restarted = DevRun(dev_dir, tmp_path / "second.log")
    try:
        banner = restarted.wait_for_banner()
        mongo_url = re.search(r"MongoDB\s+(\S+)", banner)
        assert mongo_url is not None
        with MongoClient(mongo_url.group(1)) as client:
            assert client["durability"]["probe"].find_one({"_id": "kept"}) == {
                "_id": "kept",
                "value": 42,
            }
        assert (dev_dir / "dev-api-key").read_text().strip() == key
    finally:
        assert restarted.interrupt() == 0


def test_dev_refuses_a_port_in_use(dev_dir: Path, tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if k not in {"MONGODB_URL", "REDIS_URL"}}
        result = subprocess.run(
            [sys.executable, "-m", "gateway", "dev"],
            env=env | {"GATEWAY_DATA_DIR": str(dev_dir), "GATEWAY_PORT": str(port)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert f"port {port}" in result.stderr
    assert "GATEWAY_PORT" in result.stderr

"""The servers a benchmark run measures against, started as child processes of the runner.

One embedded MongoDB (SecantusDB), one Valkey and one sandbox (Dataverse and Business Central
emulators) live for the whole run; every scenario resets the sandbox, seeds what it needs and
uses a MongoDB database of its own for the gateway. The gateway itself runs where each scenario
says (a child process for HTTP and synchronization, in-process for the GraphQL overhead).
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from bench.sandbox_client import SandboxClient
from gateway.embedded import mongo_url, redis_url, start_mongo, start_valkey
from gateway.processes import ChildProcess, free_port, spawn, stop_all
from gateway.settings import Settings

CLIENT_ID = "bench-client"
CLIENT_SECRET = "bench-secret"  # noqa: S105 - the local emulator's credential
API_KEY = "gw_bench_admin_key_0123456789"


@dataclass
class Environment:
    """The running servers, and how to point the gateway's settings at them."""

    mongodb_url: str
    redis_url: str
    sandbox: SandboxClient
    workdir: Path
    children: list[ChildProcess] = field(default_factory=list)
    servers: dict[str, int] = field(default_factory=dict)  # name -> pid of the shared servers
    memo: dict[str, Any] = field(default_factory=dict)  # what one scenario leaves for another

    def server_cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) each shared server has used so far."""
        used = {}
        for name, pid in self.servers.items():
            try:
                times = psutil.Process(pid).cpu_times()
            except psutil.Error:
                continue
            used[name] = times.user + times.system
        return used

    def database(self, scenario: str) -> str:
        """A fresh MongoDB database name for one scenario's gateway."""
        return f"bench_{scenario.replace('-', '_')}_{uuid.uuid4().hex[:8]}"

    def gateway_values(self, database: str, **overrides: object) -> dict[str, str]:
        """The gateway's settings as `name -> text`, connected to the sandbox. Counting
        requests needs URLs long enough for a page of ids in one request (the README's 16384)
        and no rate limit (the load generator is one API key)."""
        values: dict[str, object] = {
            "gateway_env": "dev",
            "gateway_dev_api_key": API_KEY,
            "gateway_log_level": "warning",
            "mongodb_url": self.mongodb_url,
            "mongodb_database": database,
            "redis_url": self.redis_url,
            "crm_url": self.sandbox.dataverse_url,
            "crm_token_url": self.sandbox.token_url,
            "crm_client_id": CLIENT_ID,
            "crm_client_secret": CLIENT_SECRET,
            "bc_url": self.sandbox.bc_url,
            "bc_token_url": self.sandbox.token_url,
            "bc_client_id": CLIENT_ID,
            "bc_client_secret": CLIENT_SECRET,
            "bc_company_id": self.sandbox.company_id,
            "connector_max_url_length": 16384,
            "api_rate_limit": 0,
            "graphql_ide": False,
        }
        values.update(overrides)
        return {name: _text(value) for name, value in values.items()}

    def settings(self, values: Mapping[str, str]) -> Settings:
        given: dict[str, Any] = dict(values)
        return Settings(_env_file=None, **given)

    def log_path(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def spawn_python(
        self, name: str, args: list[str], *, env: Mapping[str, str], port: int | None = None
    ) -> ChildProcess:
        """`python <args>` as a child whose output goes to its own log file."""
        child = spawn(
            name,
            [sys.executable, *args],
            env=dict(env),
            port=port,
            log_path=self.log_path(name),
        )
        self.children.append(child)
        return child

    def stop(self, child: ChildProcess) -> None:
        child.stop()
        if child in self.children:
            self.children.remove(child)


def settings_env(values: Mapping[str, str]) -> dict[str, str]:
    """Settings values as the environment variables a child process reads."""
    return {name.upper(): value for name, value in values.items()}


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@contextlib.contextmanager
def running_environment(keep_logs: Path | None = None) -> Iterator[Environment]:
    """Start MongoDB, Valkey and the sandbox; stop them (in reverse order) when done."""
    with tempfile.TemporaryDirectory(prefix="gateway-bench-") as temporary:
        workdir = keep_logs or Path(temporary)
        workdir.mkdir(parents=True, exist_ok=True)
        children: list[ChildProcess] = []
        try:
            mongo = start_mongo(None, log_path=workdir / "mongodb.log")
            children.append(mongo)
            valkey = start_valkey(None, log_path=workdir / "valkey.log")
            children.append(valkey)
            mongo.wait_listening(timeout=60)
            valkey.wait_listening(timeout=30)
            # SecantusDB keeps a record of every retryable write for 30 minutes and scans them
            # all (sorting them, past 10,000) on each write; after some ten thousand writes
            # that cost dominates every run. Clients of the benchmark's server write without
            # retries, as against a real MongoDB the records would cost nothing.
            url = mongo_url(mongo) + "&retryWrites=false"
            port = free_port()
            sandbox = spawn(
                "sandbox",
                [
                    sys.executable,
                    "-m",
                    "sandbox",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--mongodb-url",
                    url,
                    "--client-id",
                    CLIENT_ID,
                    "--database-prefix",
                    f"bench_sandbox_{uuid.uuid4().hex[:6]}",
                ],
                env={"SANDBOX_CLIENT_SECRET": CLIENT_SECRET},
                port=port,
                log_path=workdir / "sandbox.log",
            )
            children.append(sandbox)
            sandbox.wait_listening(timeout=120)
            client = SandboxClient.at(f"http://127.0.0.1:{port}", CLIENT_ID, CLIENT_SECRET)
            environment = Environment(
                mongodb_url=url,
                redis_url=redis_url(valkey),
                sandbox=client,
                workdir=workdir,
                children=[],
                servers={
                    "mongodb": mongo.popen.pid,
                    "valkey": valkey.popen.pid,
                    "sandbox": sandbox.popen.pid,
                },
            )
            try:
                yield environment
            finally:
                stop_all(environment.children)
        finally:
            stop_all(children)

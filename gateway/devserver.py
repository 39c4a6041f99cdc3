"""`gateway dev`: everything on one machine, one command, stopped cleanly by one Ctrl-C.

Starts (as child processes, in this order) the embedded MongoDB and Redis when their URLs are
not configured, the sandbox, the API and an arq worker; prints the URLs and the dev API key;
stops the children in reverse order on SIGINT/SIGTERM or when one of them dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import os
import secrets
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from gateway.embedded import mongo_url, redis_url, start_mongo, start_valkey
from gateway.processes import ChildProcess, ProcessFailedError, port_in_use, spawn, stop_all
from gateway.settings import Settings

# Client credentials the dev sandbox accepts; never used against a real tenant.
SANDBOX_CLIENT_ID = "gateway-dev"
SANDBOX_CLIENT_SECRET = "gateway-dev-secret"  # noqa: S105 - a local emulator's fixed credential


class DevStartError(RuntimeError):
    """`gateway dev` cannot start; the message says why and what to do."""


@dataclass
class DevLayout:
    """Where `gateway dev` keeps its state, under one data directory."""

    root: Path

    @property
    def lock(self) -> Path:
        return self.root / "dev.lock"

    @property
    def mongo(self) -> Path:
        return self.root / "mongo"

    @property
    def redis(self) -> Path:
        return self.root / "redis"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def api_key(self) -> Path:
        return self.root / "dev-api-key"


@contextlib.contextmanager
def exclusive_data_dir(layout: DevLayout) -> Iterator[None]:
    """Hold an advisory lock on the data directory so that a second `gateway dev` cannot open
    the same store; the kernel drops it if we die, so a stale lock never blocks a restart."""
    layout.root.mkdir(parents=True, exist_ok=True)
    handle = layout.lock.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        owner = handle.read().strip() or "another process"
        handle.close()
        raise DevStartError(
            f"the data directory {layout.root} is in use by a running `gateway dev` (pid {owner}); "
            "stop it first, or set GATEWAY_DATA_DIR to another directory"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def dev_api_key(settings: Settings, layout: DevLayout) -> str:
    """GATEWAY_DEV_API_KEY if set, else the key of an earlier run, else a new one."""
    if settings.gateway_dev_api_key is not None:
        key = settings.gateway_dev_api_key.get_secret_value()
    elif layout.api_key.exists():
        key = layout.api_key.read_text().strip()
    else:
        key = "gw_dev_" + secrets.token_urlsafe(32)
    layout.api_key.write_text(key + "\n")
    layout.api_key.chmod(0o600)
    return key


def _sandbox_available() -> bool:
    return importlib.util.find_spec("sandbox.__main__") is not None


def _check_port_free(what: str, host: str, port: int, variable: str) -> None:
    if port_in_use(host, port):
        raise DevStartError(
            f"port {port} on {host} ({what}) is already in use: stop what uses it or set {variable}"
        )


class _Stop(Exception):  # noqa: N818 - a signal, not an error
    pass


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop(signal.Signals(signum).name)


def run_dev(settings: Settings) -> int:
    layout = DevLayout(settings.gateway_data_dir.resolve())
    with exclusive_data_dir(layout):
        _check_port_free("API", settings.gateway_host, settings.gateway_port, "GATEWAY_PORT")
        with_sandbox = settings.sandbox_enabled and _sandbox_available()
        if with_sandbox:
            _check_port_free(
                "sandbox", settings.sandbox_host, settings.sandbox_port, "SANDBOX_PORT"
            )
        children: list[ChildProcess] = []
        previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            env = _start_servers(settings, layout, children)
            key = dev_api_key(settings, layout)
            env |= {
                "GATEWAY_ENV": "dev",
                "GATEWAY_DEV_API_KEY": key,
                # `--port` is a flag of this command: the API process must hear of it too.
                "GATEWAY_HOST": settings.gateway_host,
                "GATEWAY_PORT": str(settings.gateway_port),
            }
            if with_sandbox:
                env |= _start_sandbox(settings, env, children)
            python = sys.executable
            api = spawn(
                "API",
                [python, "-m", "gateway", "serve"],
                env=env,
                port=settings.gateway_port,
                host=settings.gateway_host,
            )
            children.append(api)
            # The worker subscribes to notifications at start: the API must answer the
            # handshake by then.
            api.wait_listening(timeout=60)
            children.append(spawn("worker", [python, "-m", "gateway", "worker"], env=env))
            _print_banner(settings, layout, key, with_sandbox, env)
            return _supervise(children)
        except _Stop as stop:
            print(f"\nReceived {stop}; stopping.", flush=True)
            return 0
        except ProcessFailedError as exc:
            print(f"gateway dev: {exc}", file=sys.stderr, flush=True)
            return 1
        finally:
            # A second signal while we stop must not interrupt the orderly shutdown.
            for sig in previous:
                signal.signal(sig, signal.SIG_IGN)
            stop_all(children)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            print("All processes stopped.", flush=True)


def _start_servers(
    settings: Settings, layout: DevLayout, children: list[ChildProcess]
) -> dict[str, str]:
    env: dict[str, str] = {}
    if settings.mongodb_url is None:
        mongo = start_mongo(layout.mongo, log_path=layout.logs / "mongo.log")
        children.append(mongo)
        mongo.wait_listening(timeout=60)
        env["MONGODB_URL"] = mongo_url(mongo)
    else:
        env["MONGODB_URL"] = str(settings.mongodb_url)
    if settings.redis_url is None:
        valkey = start_valkey(layout.redis, log_path=layout.logs / "redis.log")
        children.append(valkey)
        valkey.wait_listening(timeout=30)
        env["REDIS_URL"] = redis_url(valkey)
    else:
        env["REDIS_URL"] = str(settings.redis_url)
    return env


def _start_sandbox(
    settings: Settings, env: dict[str, str], children: list[ChildProcess]
) -> dict[str, str]:
    host, port = settings.sandbox_host, settings.sandbox_port
    sandbox = spawn(
        "sandbox",
        [
            sys.executable,
            "-m",
            "sandbox",
            "serve",
            "--host",
            host,
            "--port",
            str(port),
            "--mongodb-url",
            env["MONGODB_URL"],
            "--client-id",
            SANDBOX_CLIENT_ID,
            "--seed-if-empty",
        ],
        env={"SANDBOX_CLIENT_SECRET": SANDBOX_CLIENT_SECRET},
        port=port,
        host=host,
    )
    children.append(sandbox)
    sandbox.wait_listening(timeout=120)
    base = f"http://{host}:{port}"
    # Point the connectors at the sandbox unless the user configured real systems.
    wiring = {
        "CRM_URL": f"{base}/dataverse/",
        "CRM_TOKEN_URL": f"{base}/oauth2/token",
        "CRM_CLIENT_ID": SANDBOX_CLIENT_ID,
        "CRM_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
        "BC_URL": f"{base}/bc/",
        "BC_TOKEN_URL": f"{base}/oauth2/token",
        "BC_CLIENT_ID": SANDBOX_CLIENT_ID,
        "BC_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
        "PROJECTSERVER_URL": f"{base}/projectserver/",
        "PROJECTSERVER_TOKEN_URL": f"{base}/oauth2/token",
        "PROJECTSERVER_CLIENT_ID": SANDBOX_CLIENT_ID,
        "PROJECTSERVER_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
        # Both sandbox systems push their changes to this gateway's hooks.
        "ERP_NOTIFICATIONS": "true",
        "CRM_NOTIFICATIONS": "true",
        "NOTIFICATIONS_PUBLIC_URL": f"http://{_reachable(settings.gateway_host)}:"
        f"{settings.gateway_port}/",
    }
    return {name: value for name, value in wiring.items() if name not in os.environ}


def _reachable(host: str) -> str:
    """An address the sandbox can deliver to when the API listens on every interface."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104


def _print_banner(
    settings: Settings, layout: DevLayout, key: str, with_sandbox: bool, env: dict[str, str]
) -> None:
    api = f"http://{settings.gateway_host}:{settings.gateway_port}"
    lines = [
        "",
        "ERP–CRM gateway is running (Ctrl-C stops everything).",
        f"  GraphQL + GraphiQL  {api}/graphql  (subscriptions: ws://…/graphql)",
        f"  operations console  {api}/console",
        f"  metrics             {api}/metrics  (admin key)",
        f"  health / readiness  {api}/healthz  {api}/readyz",
    ]
    if with_sandbox:
        sandbox = f"http://{settings.sandbox_host}:{settings.sandbox_port}"
        lines += [
            f"  sandbox Dataverse   {sandbox}/dataverse/api/data/v9.2/",
            f"  sandbox BC          {sandbox}/bc/api/v2.0/",
            f"  sandbox Project Srv {sandbox}/projectserver/_api/ProjectServer/",
            f"  sandbox OAuth 2.0   {sandbox}/oauth2/token",
            f"  sandbox client      {SANDBOX_CLIENT_ID} / {SANDBOX_CLIENT_SECRET} "
            "(client credentials, to call the sandbox yourself)",
            f"  notification hooks  {api}/hooks/bc  {api}/hooks/dataverse",
        ]
    lines += [
        f"  MongoDB             {env['MONGODB_URL']}",
        f"  Redis               {env['REDIS_URL']}",
        f"  data directory      {layout.root}",
        "",
        f"  admin API key       {key}",
        f"  (also in {layout.api_key}); send it as `Authorization: Bearer <key>`",
        '  in GraphiQL: Headers tab → {"Authorization": "Bearer <key>"}',
        "",
    ]
    print("\n".join(lines), flush=True)


def _supervise(children: list[ChildProcess]) -> int:
    """Wait until a signal arrives (raised as `_Stop`) or a child dies (an error)."""
    while True:
        for child in children:
            if not child.running:
                print(
                    f"gateway dev: {child.name} exited with code {child.popen.returncode}; "
                    "stopping the others.",
                    file=sys.stderr,
                    flush=True,
                )
                if child.log_path is not None:
                    print(child.log_tail(), file=sys.stderr, flush=True)
                return 1
        time.sleep(0.2)

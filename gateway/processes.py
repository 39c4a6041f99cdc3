"""Child processes: start them tied to our life, wait until they listen, stop them in order.

Used by `gateway dev`, by the test session and by the benchmark runner, so that all three start
the embedded servers the same way and never leave one behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask Linux to send SIGTERM to this child when the process that started it dies."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


class ProcessFailedError(RuntimeError):
    """A child exited, or did not start listening, when it should have."""


@dataclass
class ChildProcess:
    """A child we started: its name for messages, the process and where its output goes."""

    name: str
    argv: Sequence[str]
    popen: subprocess.Popen[bytes]
    log_path: Path | None = None
    port: int | None = None
    host: str = "127.0.0.1"
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def wait_listening(self, timeout: float = 60.0) -> None:
        """Block until the child accepts TCP connections on its port, or fail naming it."""
        if self.port is None:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise ProcessFailedError(
                    f"{self.name} exited with code {self.popen.returncode} before listening on "
                    f"port {self.port}.\n{self.log_tail()}"
                )
            if port_in_use(self.host, self.port):
                return
            time.sleep(0.05)
        raise ProcessFailedError(f"{self.name} did not listen on port {self.port} in {timeout}s")

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM, wait, then SIGKILL: the child gets its chance to close its files cleanly."""
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    self.popen.kill()
                self.popen.wait(5)
        if self._log is not None:
            self._log.close()
            self._log = None
        return self.popen.returncode


def spawn(
    name: str,
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    log_path: Path | None = None,
    port: int | None = None,
    host: str = "127.0.0.1",
    cwd: Path | None = None,
) -> ChildProcess:
    """Start `argv` in its own process group (a terminal's Ctrl-C reaches only the parent,
    which stops children in order) that dies with its parent."""
    log: IO[bytes] | None = None
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log = log_path.open("ab")
    popen = subprocess.Popen(  # noqa: S603 - argv is built by us, never from user input
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=log if log is not None else None,
        stderr=subprocess.STDOUT if log is not None else None,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        preexec_fn=_die_with_parent,  # noqa: PLW1509 - started from the main thread only
        process_group=0,
    )
    return ChildProcess(name, argv, popen, log_path, port, host, log)


def stop_all(children: Sequence[ChildProcess], timeout: float = 15.0) -> None:
    """Stop children in reverse start order, so that clients stop before their servers."""
    for child in reversed(children):
        child.stop(timeout)

"""Running Podman with the project's containers.conf unless the machine names its own."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

CONTAINERS_CONF = Path(__file__).with_name("containers.conf")


class PodmanError(RuntimeError):
    """A Podman command failed; the message carries its arguments and error output."""


def podman_environment() -> dict[str, str]:
    environment = dict(os.environ)
    environment.setdefault("CONTAINERS_CONF", str(CONTAINERS_CONF))
    return environment


def podman(*arguments: str, check: bool = True, with_errors: bool = False) -> str:
    """Run `podman ARGUMENTS` and return its standard output (and error output, interleaved,
    `with_errors`), stripped."""
    completed = subprocess.run(  # noqa: S603 - arguments are ours, never a shell line
        ["podman", *arguments],  # noqa: S607 - podman is looked up on PATH like any tool
        env=podman_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if with_errors else subprocess.PIPE,
        text=True,
        check=False,
    )
    if check and completed.returncode != 0:
        raise PodmanError(
            f"podman {' '.join(arguments)} exited with {completed.returncode}:\n"
            f"{(completed.stderr or completed.stdout).strip()}"
        )
    return completed.stdout.strip()


def image_exists(reference: str) -> bool:
    result = subprocess.run(  # noqa: S603
        ["podman", "image", "exists", reference],  # noqa: S607
        env=podman_environment(),
        capture_output=True,
        check=False,
    )
    return result.returncode == 0

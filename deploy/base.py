"""A Debian base image made from Debian's packages, for machines that reach no image registry.

debootstrap writes a minimal bookworm root file system with the Python the gateway runs on; it
is packed into a tarball cached under ~/.cache/erp-crm-gateway/ and imported into Podman's
storage with `podman import`. The tag carries a digest of the recipe, so a changed recipe makes
a new image and an unchanged one is reused: from Podman's storage, else from the tarball, else
built (a minute or two, most of it downloading packages).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from deploy.podman import image_exists, podman

DEFAULT_CACHE = Path.home() / ".cache" / "erp-crm-gateway" / "base-images"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
# Debian's python3 is 3.11 on bookworm, the version the gateway is built and tested with.
SUITE = "bookworm"
PACKAGES = ("python3", "python3-venv", "ca-certificates")
# Nothing the image needs at run time: package lists, downloaded packages, documentation.
PRUNED = ("var/lib/apt/lists", "var/cache/apt", "usr/share/doc", "usr/share/man", "usr/share/info")
# Changes whenever the steps below change, so that an old cached tarball is not reused.
RECIPE_VERSION = 1


@dataclass(frozen=True)
class DebianBase:
    suite: str = SUITE
    mirror: str = DEFAULT_MIRROR
    packages: tuple[str, ...] = PACKAGES

    @property
    def digest(self) -> str:
        recipe = f"{RECIPE_VERSION}|{self.suite}|{self.mirror}|{','.join(sorted(self.packages))}"
        return hashlib.sha256(recipe.encode()).hexdigest()[:12]

    @property
    def tag(self) -> str:
        return f"localhost/erp-crm-gateway-base:{self.suite}-{self.digest}"

    def tarball(self, cache: Path) -> Path:
        return cache / f"debian-{self.suite}-{self.digest}.tar.gz"


def ensure_debian_base(base: DebianBase, cache: Path = DEFAULT_CACHE) -> tuple[str, str]:
    """The base image's tag, and how it was had: "stored", "imported" or "built"."""
    if image_exists(base.tag):
        return base.tag, "stored"
    tarball = base.tarball(cache)
    how = "imported"
    if not tarball.exists():
        _build_tarball(base, tarball)
        how = "built"
    podman(
        "import",
        "--change",
        "ENV LANG=C.UTF-8",
        "--change",
        'CMD ["/bin/bash"]',
        "--message",
        f"Debian {base.suite} with {', '.join(base.packages)}, by debootstrap",
        str(tarball),
        base.tag,
    )
    return base.tag, how


def _build_tarball(base: DebianBase, tarball: Path) -> None:
    if shutil.which("debootstrap") is None:
        raise RuntimeError(
            "debootstrap is not installed: run deploy/install-podman.sh (as root), or give a "
            "base image from a registry with BASE_IMAGE=python:3.11-slim"
        )
    tarball.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="debootstrap-", dir=tarball.parent))
    root = work / "root"
    try:
        print(f"debootstrap {base.suite} from {base.mirror} …", file=sys.stderr, flush=True)
        subprocess.run(  # noqa: S603
            [  # noqa: S607 - debootstrap is looked up on PATH like any tool
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(base.packages)}",
                base.suite,
                str(root),
                base.mirror,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        for path in PRUNED:
            shutil.rmtree(root / path, ignore_errors=True)
            (root / path).mkdir(parents=True)
        partial = tarball.with_suffix(".partial")
        subprocess.run(  # noqa: S603
            ["tar", "--numeric-owner", "-C", str(root), "-czf", str(partial), "."],  # noqa: S607
            check=True,
        )
        partial.replace(tarball)
    finally:
        _unmount_below(work)
        shutil.rmtree(work, ignore_errors=True)


def _unmount_below(directory: Path) -> None:
    """Unmount what a failed debootstrap left mounted (its /proc), so that removing the tree
    never reaches into the host's file systems."""
    prefix = str(directory.resolve()) + os.sep
    with open("/proc/mounts", encoding="utf-8") as mounts:
        targets = [line.split()[1] for line in mounts if line.split()[1].startswith(prefix)]
    for target in sorted(targets, reverse=True):
        subprocess.run(["umount", "-l", target], check=False)  # noqa: S603, S607

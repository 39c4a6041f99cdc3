"""`python -m deploy.image`: build the gateway's image with Podman (what `make image` runs).

The base is BASE_IMAGE when given (e.g. python:3.11-slim from a registry), else a Debian base
made here from Debian's packages (deploy/base.py). The machine's pip settings and CA bundle
reach pip as build secrets (deploy/pip_settings.py), so the build installs from wherever this
machine does. Prints the base image, the image's tag and size, and the time each took.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from deploy.base import DEFAULT_MIRROR, DebianBase, ensure_debian_base
from deploy.pip_settings import CA_BUNDLE_ID, PIP_CONF_ID, PipSettings, read_pip_settings
from deploy.podman import podman, podman_environment

IMAGE = "localhost/erp-crm-gateway:latest"
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class BuiltImage:
    tag: str
    base: str
    base_source: str  # "registry", or how the Debian base was had: stored, imported, built
    pip: PipSettings  # what the build was handed, to check that none of it stayed
    base_seconds: float
    build_seconds: float
    size_bytes: int


def build_image(
    tag: str = IMAGE,
    base_image: str | None = None,
    mirror: str = DEFAULT_MIRROR,
    output: IO[str] | None = None,
) -> BuiltImage:
    """Build (or, with every layer cached, re-tag) the image; `output` receives Podman's."""
    started = time.monotonic()
    if base_image:
        base, base_source = base_image, "registry"
    else:
        base, base_source = ensure_debian_base(DebianBase(mirror=mirror))
    based = time.monotonic()
    pip = read_pip_settings()
    previous = podman("image", "inspect", "--format={{.Id}}", tag, check=False)
    with tempfile.TemporaryDirectory(prefix="gateway-build-secrets-") as secrets:
        pip_conf = Path(secrets) / "pip.conf"
        pip_conf.write_text(pip.conf, encoding="utf-8")
        pip_conf.chmod(0o600)
        arguments = [
            "build",
            "--format=docker",  # keeps HEALTHCHECK, which the OCI format has no field for
            "--network=host",
            f"--build-arg=BASE_IMAGE={base}",
            f"--secret=id={PIP_CONF_ID},src={pip_conf}",
            f"--tag={tag}",
            f"--file={ROOT / 'Dockerfile'}",
        ]
        if pip.ca_bundle is not None:
            arguments.append(f"--secret=id={CA_BUNDLE_ID},src={pip.ca_bundle}")
        arguments += [f"--volume={directory}:{directory}:ro" for directory in pip.local_dirs]
        subprocess.run(  # noqa: S603
            ["podman", *arguments, str(ROOT)],  # noqa: S607
            env=podman_environment(),
            check=True,
            stdout=output,
            stderr=subprocess.STDOUT if output is not None else None,
        )
    built = time.monotonic()
    if previous and previous != podman("image", "inspect", "--format={{.Id}}", tag):
        # The image this tag named before, unless something else still uses it: its final
        # layers (the whole environment) would otherwise pile up with every rebuild.
        podman("rmi", previous, check=False)
    size = int(podman("image", "inspect", "--format={{.Size}}", tag))
    return BuiltImage(tag, base, base_source, pip, based - started, built - based, size)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.image", description=__doc__)
    parser.add_argument("--tag", default=IMAGE, help=f"the image's name [{IMAGE}]")
    parser.add_argument(
        "--base-image",
        default=os.environ.get("BASE_IMAGE"),
        help="a base from a registry, e.g. python:3.11-slim [BASE_IMAGE; default: Debian "
        "bookworm made here by debootstrap]",
    )
    parser.add_argument(
        "--mirror",
        default=os.environ.get("DEBIAN_MIRROR", DEFAULT_MIRROR),
        help=f"the Debian mirror debootstrap uses [DEBIAN_MIRROR; {DEFAULT_MIRROR}]",
    )
    options = parser.parse_args()
    try:
        image = build_image(options.tag, options.base_image, options.mirror)
    except (subprocess.CalledProcessError, RuntimeError) as exc:
        sys.exit(f"image build failed: {exc}")
    print(f"base image {image.base} ({image.base_source}, {image.base_seconds:.1f} s)")
    print(
        f"image {image.tag}: {image.size_bytes / 1e6:.0f} MB, built in {image.build_seconds:.1f} s"
    )


if __name__ == "__main__":
    main()

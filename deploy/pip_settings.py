"""The machine's pip settings, turned into what an image build can be handed.

pip merges several files and PIP_* variables; `pip config list` prints the merged result. Of
it we keep what says where packages come from and how to reach them, and write it as one
pip.conf, handed to the build as a secret since an index URL may carry credentials. That
pip.conf names the CA bundle pip trusts here (for a proxy that re-signs TLS) at the place
where the build mounts it, as a second secret. Local directories the settings point to (a
wheelhouse, a file:// index) are mounted read-only during the build, where they are here.
Nothing of this stays in the image.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

# Where the Dockerfile mounts the secrets (Podman's and BuildKit's default for an id).
SECRETS_DIR = "/run/secrets"
PIP_CONF_ID = "pip.conf"
CA_BUNDLE_ID = "ca-bundle"
# Settings about sources and transport; the rest (a constraints file, a cache, a user
# setting) is this machine's business, and `cert` is replaced by the mounted bundle.
KEPT = (
    "index-url",
    "extra-index-url",
    "find-links",
    "no-index",
    "trusted-host",
    "proxy",
    "timeout",
    "default-timeout",
    "retries",
)
LOCATION_KEYS = ("index-url", "extra-index-url", "find-links")
DEFAULT_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


@dataclass(frozen=True)
class PipSettings:
    conf: str
    ca_bundle: Path | None
    local_dirs: tuple[Path, ...]


def read_pip_settings(python: str = sys.executable) -> PipSettings:
    listed = subprocess.run(  # noqa: S603 - our own interpreter's pip
        [python, "-m", "pip", "config", "list"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return pip_settings(merged_config(listed), dict(os.environ))


def merged_config(listed: str) -> dict[str, str]:
    """`section.key='value'` lines merged as pip does for `install`: [global], then
    [install], then the environment (`:env:`) win in that order."""
    by_section: dict[str, dict[str, str]] = {}
    for line in listed.splitlines():
        name, separator, quoted = line.partition("=")
        section, _, key = name.rpartition(".")
        if not separator or not section:
            continue
        by_section.setdefault(section, {})[key] = str(ast.literal_eval(quoted))
    merged: dict[str, str] = {}
    for section in ("global", "install", ":env:"):
        merged.update(by_section.get(section, {}))
    return merged


def pip_settings(
    config: dict[str, str],
    environment: dict[str, str],
    default_ca_bundle: Path = DEFAULT_CA_BUNDLE,
) -> PipSettings:
    local_dirs: list[Path] = []
    lines = ["[global]"]
    for key in KEPT:
        if key not in config:
            continue
        if key not in LOCATION_KEYS:
            lines.append(f"{key} = {config[key]}")
            continue
        kept = []
        for location in config[key].split():
            directory = local_directory(location)
            if directory is None:
                kept.append(location)
            elif directory.is_dir():  # a missing one would only make pip warn in the build
                kept.append(location)
                # A file:// index lays out <repository>/simple/<project>/ with links that may
                # lead anywhere in the repository (../../files/…): mount all of it.
                local_dirs.append(directory if key == "find-links" else directory.parent)
        if kept:
            lines.append(f"{key} = {' '.join(kept)}")
    ca_bundle = _ca_bundle(config, environment, default_ca_bundle)
    if ca_bundle is not None:
        lines.append(f"cert = {SECRETS_DIR}/{CA_BUNDLE_ID}")
    return PipSettings("\n".join(lines) + "\n", ca_bundle, tuple(dict.fromkeys(local_dirs)))


def local_directory(location: str) -> Path | None:
    """The directory a pip location names on this machine, or None for a remote one."""
    if location.startswith("file:"):
        return Path(unquote(urlparse(location).path))
    if "://" in location:
        return None
    return Path(location)


def _ca_bundle(config: dict[str, str], environment: dict[str, str], default: Path) -> Path | None:
    candidates = [
        config.get("cert"),
        environment.get("REQUESTS_CA_BUNDLE"),
        environment.get("SSL_CERT_FILE"),
        str(default),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None

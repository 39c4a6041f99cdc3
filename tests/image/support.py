"""Containers of the gateway's image as the image tests start them: on the host's network
(the session's MongoDB, Valkey and sandbox listen on loopback), removed afterwards."""

from __future__ import annotations

import tarfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson

from deploy.podman import podman
from tests.support import eventually


@dataclass(frozen=True)
class Deployment:
    env_file: Path  # the production settings the containers get
    url: str  # where the API container listens


@dataclass(frozen=True)
class Container:
    name: str

    def pid(self) -> int:
        """The container's first process as the host's kernel knows it."""
        return int(podman("inspect", "--format={{.State.Pid}}", self.name))

    def running(self) -> bool:
        return podman("inspect", "--format={{.State.Running}}", self.name) == "true"

    def logs(self) -> str:
        return podman("logs", self.name, check=False, with_errors=True)

    def remove(self) -> None:
        podman("rm", "--force", "--time=5", self.name, check=False)


def run_detached(image: str, env_file: Path, role: str, *command: str) -> Container:
    """Start `command` (the image's own by default) in the background, without Podman's
    healthcheck timer (it needs systemd); `podman healthcheck run` runs the check on demand."""
    container = Container(f"gateway-test-{role}-{uuid.uuid4().hex[:8]}")
    podman(
        "run",
        "--detach",
        f"--name={container.name}",
        "--network=host",
        f"--env-file={env_file}",
        "--health-interval=disable",
        image,
        *command,
    )
    return container


async def ready(container: Container, url: str, *, timeout: float = 120.0) -> None:
    """Wait until the API in `container` answers /readyz with every check ok; fail at once if
    the container stops, with its logs."""
    async with httpx.AsyncClient(timeout=10) as client:

        async def answered() -> bool:
            assert container.running(), container.logs()
            try:
                response = await client.get(f"{url}/readyz")
            except httpx.TransportError:
                return False  # not listening yet
            return response.status_code == 200 and response.json()["status"] == "ready"

        await eventually(answered, timeout=timeout, what=f"{container.name} ready", interval=0.2)


def run_once(image: str, env_file: Path, *command: str) -> str:
    """Run `command` in a container removed when it ends; its standard output."""
    return podman("run", "--rm", "--network=host", f"--env-file={env_file}", image, *command)


def uids(pid: int) -> set[int]:
    """The real, effective, saved and file-system user ids of a host process."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return {int(uid) for uid in line.split()[1:]}
    raise AssertionError(f"no Uid line for process {pid}")


@dataclass(frozen=True)
class Layer:
    diff_id: str  # "sha256:…", as the image's configuration lists it
    paths: frozenset[str]
    copies: dict[str, list[str]]  # for each content looked for, the files holding exactly it


def saved_layers(image: str, archive: Path, looked_for: dict[str, bytes]) -> list[Layer]:
    """Every layer of `image` in order, from `podman save` (a docker-archive: a tar per layer),
    with the files whose bytes are one of `looked_for`."""
    podman("save", "--format=docker-archive", f"--output={archive}", image)
    layers = []
    with tarfile.open(archive) as saved:
        (manifest,) = orjson.loads(_read(saved, "manifest.json"))
        for layer_path in manifest["Layers"]:
            with tarfile.open(fileobj=saved.extractfile(layer_path)) as layer:
                paths = set()
                copies: dict[str, list[str]] = {name: [] for name in looked_for}
                for member in layer:
                    path = member.name.removeprefix("./")
                    paths.add(path)
                    for name, content in looked_for.items():
                        # Read only what could match: the sizes tell most files apart.
                        if (
                            member.isfile()
                            and member.size == len(content)
                            and _read(layer, member) == content
                        ):
                            copies[name].append(path)
                diff_id = "sha256:" + layer_path.removesuffix(".tar")
                layers.append(Layer(diff_id, frozenset(paths), copies))
    return layers


def _read(archive: tarfile.TarFile, member: str | tarfile.TarInfo) -> bytes:
    extracted = archive.extractfile(member)
    assert extracted is not None
    return extracted.read()
